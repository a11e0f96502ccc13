import { createRandom, InvalidArgumentError } from '@dbvae/backend';
import type { Interval } from './wilson';

/** Options of {@link bootstrapInterval}. */
export interface BootstrapOptions {
  /** Resamples drawn. Default 2000. */
  resamples?: number;
  /** Two-sided confidence level in (0, 1). Default 0.95. */
  level?: number;
  /** Seed of the resampling. Default 0. */
  seed?: number;
}

/**
 * Percentile bootstrap interval of a statistic: draws `resamples` samples of the same size with
 * replacement, computes `statistic` on each and returns the `(1 - level) / 2` and `(1 + level) / 2`
 * quantiles (linear interpolation between order statistics). Seeded, so a report is reproducible.
 *
 * @param values - The observed sample (at least one value).
 * @param statistic - Computed on each resample (e.g. the mean, or the variance of per-group accuracies).
 * @param options - `resamples` (2000), `level` (0.95), `seed` (0).
 * @returns The interval and the statistic on the observed sample (`estimate`).
 * @throws InvalidArgumentError for an empty sample, `resamples < 1` or a level outside (0, 1).
 * @example
 * bootstrapInterval([0.9, 0.95, 0.85], (s) => s.reduce((a, b) => a + b) / s.length);
 */
export function bootstrapInterval(
  values: ArrayLike<number>,
  statistic: (sample: Float64Array) => number,
  options: BootstrapOptions = {},
): Interval & {
  /** The statistic on the observed sample. */
  estimate: number;
} {
  const { resamples = 2000, level = 0.95, seed = 0 } = options;
  const n = values.length;
  if (n < 1) throw new InvalidArgumentError('bootstrapInterval: the sample is empty.');
  if (!Number.isInteger(resamples) || resamples < 1) throw new InvalidArgumentError(`bootstrapInterval: resamples must be a positive integer, got ${resamples}.`);
  if (!(level > 0 && level < 1)) throw new InvalidArgumentError(`bootstrapInterval: level must be in (0, 1), got ${level}.`);
  const data = Float64Array.from(values);
  const rng = createRandom(seed);
  const stats = new Float64Array(resamples);
  const sample = new Float64Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) sample[i] = data[rng.int(n)]!;
    stats[r] = statistic(sample);
  }
  stats.sort();
  return { low: quantile(stats, (1 - level) / 2), high: quantile(stats, (1 + level) / 2), estimate: statistic(data) };
}

/** Quantile of sorted values with linear interpolation (NumPy's default, "linear"). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new InvalidArgumentError('quantile: no values.');
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
