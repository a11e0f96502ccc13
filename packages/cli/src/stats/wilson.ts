import { InvalidArgumentError } from '@dbvae/backend';

/** z of a two-sided 95% normal interval, `Phi^-1(0.975)`. */
export const Z95 = 1.959963984540054;

/** A confidence interval `[low, high]` around an estimate. */
export interface Interval {
  /** Lower bound. */
  low: number;
  /** Upper bound. */
  high: number;
}

/**
 * Wilson score interval for a binomial proportion: `successes` out of `n` trials. Unlike the
 * normal ("Wald") interval it stays inside [0, 1] and keeps its coverage near 0% and 100%, where
 * per-group face-detection accuracies sit:
 * `(p + z^2 / 2n +- z sqrt(p (1 - p) / n + z^2 / 4n^2)) / (1 + z^2 / n)`.
 *
 * @param successes - Number of successes, an integer in `[0, n]`.
 * @param n - Number of trials, a positive integer.
 * @param z - Normal quantile; default {@link Z95} (95%).
 * @returns The interval, within [0, 1].
 * @throws InvalidArgumentError for a non-integer or out-of-range count, or `z <= 0`.
 * @example
 * wilsonInterval(95, 100); // { low: 0.8882, high: 0.9785 } (rounded)
 */
export function wilsonInterval(successes: number, n: number, z: number = Z95): Interval {
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`wilsonInterval: n must be a positive integer, got ${n}.`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) throw new InvalidArgumentError(`wilsonInterval: successes must be an integer in [0, ${n}], got ${successes}.`);
  if (!(z > 0 && Number.isFinite(z))) throw new InvalidArgumentError(`wilsonInterval: z must be a positive number, got ${z}.`);
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0 and n successes the bound is exactly 0 or 1; clamp the rounding.
  return { low: successes === 0 ? 0 : Math.max(0, centre - half), high: successes === n ? 1 : Math.min(1, centre + half) };
}
