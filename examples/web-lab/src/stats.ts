/** Small statistics for the lab's figures (pure functions, unit-tested). */

/**
 * Wilson score interval of a binomial proportion k/n at the normal quantile z (1.96: 95%).
 * Unlike the normal approximation it stays inside [0, 1] and is sensible at k = 0 or k = n.
 */
export function wilsonInterval(k: number, n: number, z = 1.96): { low: number; high: number } {
  if (!(n > 0) || k < 0 || k > n) return { low: Number.NaN, high: Number.NaN };
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At k = 0 and k = n the bound is exactly 0 or 1 (rounding would leave 1 - 1e-16 otherwise).
  return { low: k === 0 ? 0 : Math.max(0, center - half), high: k === n ? 1 : Math.min(1, center + half) };
}

/**
 * Percentile rank of `value` among `reference`, in [0, 100]: the share of reference values
 * below it, ties counted half. Works whatever the scale of a score (probability or
 * log-density), as long as higher means better represented.
 */
export function percentileRank(value: number, reference: ArrayLike<number>): number {
  if (reference.length === 0 || Number.isNaN(value)) return Number.NaN;
  let below = 0;
  let equal = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] as number;
    if (r < value) below++;
    else if (r === value) equal++;
  }
  return (100 * (below + equal / 2)) / reference.length;
}

/** Numerically stable logistic function. */
export function sigmoid(logit: number): number {
  if (logit >= 0) return 1 / (1 + Math.exp(-logit));
  const e = Math.exp(logit);
  return e / (1 + e);
}
