import { InvalidArgumentError } from '@dbvae/backend';
import { Z95, type Interval } from './wilson';

/** Two-sided 95% Student-t quantiles `t_{0.975, df}` for df = 1 .. 30. */
const T975 = [12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836, 2.446911851, 2.364624252, 2.306004135, 2.262157163, 2.228138852, 2.200985160, 2.178812830, 2.160368656, 2.144786688, 2.131449546, 2.119905299, 2.109815578, 2.100922040, 2.093024054, 2.085963447, 2.079613845, 2.073873068, 2.068657610, 2.063898562, 2.059538553, 2.055529439, 2.051830516, 2.048407142, 2.045229642, 2.042272456];

/** `t_{0.975, df}`: the 95% two-sided Student-t quantile (tabulated to df 30, then a Cornish-Fisher expansion). */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new InvalidArgumentError(`tQuantile975: df must be a positive integer, got ${df}.`);
  if (df <= 30) return T975[df - 1]!;
  const z = Z95;
  // Cornish-Fisher expansion of the t quantile in 1/df (accurate to ~1e-5 beyond df 30).
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

/** Mean of a sample with its 95% Student-t interval (`low = high = mean` for one value). */
export interface MeanInterval extends Interval {
  /** Sample mean. */
  mean: number;
  /** Sample standard deviation (n - 1); 0 for one value. */
  sd: number;
  /** Sample size. */
  n: number;
}

/**
 * The mean of a small sample (such as one metric over seeds) with its 95% Student-t interval,
 * `mean +- t_{0.975, n-1} sd / sqrt(n)`.
 * @throws InvalidArgumentError for an empty sample or a non-finite value.
 * @example
 * meanInterval([1, 2, 3]); // { mean: 2, sd: 1, n: 3, low: -0.484, high: 4.484 }
 */
export function meanInterval(values: ArrayLike<number>): MeanInterval {
  const n = values.length;
  if (n < 1) throw new InvalidArgumentError('meanInterval: no values.');
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`meanInterval: value ${i} is ${v}.`);
    sum += v;
  }
  const mean = sum / n;
  if (n === 1) return { mean, sd: 0, n, low: mean, high: mean };
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  const half = (tQuantile975(n - 1) * sd) / Math.sqrt(n);
  return { mean, sd, n, low: mean - half, high: mean + half };
}

/** The across-group summary of one model on one seed (fractions, as `groupMetrics`). */
export interface SeedMetrics {
  /** The training seed. */
  seed: number;
  /** Mean of the groups' accuracies. */
  meanAccuracy: number;
  /** Population variance of the groups' accuracies. */
  accuracyVariance: number;
}

/** How the DB-VAE compares with the standard CNN over several seeds. */
export interface SeedComparison {
  /** Seeds, in order. */
  seeds: number[];
  /** Per model: mean accuracy and variance across groups, each as a mean over seeds with a 95% t-interval. */
  models: Record<
    'standard' | 'dbvae',
    {
      /** Mean accuracy across groups, over seeds. */
      meanAccuracy: MeanInterval;
      /** Variance of accuracy across groups, over seeds. */
      accuracyVariance: MeanInterval;
    }
  >;
  /** Paired per-seed differences, DB-VAE minus CNN: mean accuracy and accuracy variance, with 95% t-intervals. */
  difference: {
    /** Per-seed difference of mean accuracy, over seeds. */
    meanAccuracy: MeanInterval;
    /** Per-seed difference of accuracy variance, over seeds. */
    accuracyVariance: MeanInterval;
  };
  /** Per-seed ratio of the DB-VAE's accuracy variance to the CNN's (below 0.5: cut by at least half). */
  varianceRatio: MeanInterval;
  /** Seeds where the DB-VAE cuts the variance by at least half and its mean accuracy is not lower. */
  seedsWhereVerdictHolds: number;
}

/**
 * Summarises paired runs (the same seed's data for both models) over seeds: means with 95%
 * Student-t intervals, paired differences, the variance ratio, and in how many seeds the
 * DB-VAE's variance is at most half the CNN's with a mean accuracy at least the CNN's.
 * @throws InvalidArgumentError when the two lists do not hold the same seeds.
 */
export function compareOverSeeds(standard: readonly SeedMetrics[], dbvae: readonly SeedMetrics[]): SeedComparison {
  if (standard.length === 0 || standard.length !== dbvae.length || standard.some((s, i) => s.seed !== dbvae[i]!.seed)) {
    throw new InvalidArgumentError('compareOverSeeds: give both models the same, non-empty list of seeds in the same order.');
  }
  const pick = (list: readonly SeedMetrics[], key: 'meanAccuracy' | 'accuracyVariance') => list.map((m) => m[key]);
  const diff = (key: 'meanAccuracy' | 'accuracyVariance') => dbvae.map((m, i) => m[key] - standard[i]![key]);
  // A zero CNN variance (all groups equal) leaves the ratio undefined: count it as no cut (ratio 1).
  const ratios = dbvae.map((m, i) => (standard[i]!.accuracyVariance > 0 ? m.accuracyVariance / standard[i]!.accuracyVariance : m.accuracyVariance > 0 ? Infinity : 1));
  const finiteRatios = ratios.map((r) => (Number.isFinite(r) ? r : 1e6));
  return {
    seeds: standard.map((s) => s.seed),
    models: {
      standard: { meanAccuracy: meanInterval(pick(standard, 'meanAccuracy')), accuracyVariance: meanInterval(pick(standard, 'accuracyVariance')) },
      dbvae: { meanAccuracy: meanInterval(pick(dbvae, 'meanAccuracy')), accuracyVariance: meanInterval(pick(dbvae, 'accuracyVariance')) },
    },
    difference: { meanAccuracy: meanInterval(diff('meanAccuracy')), accuracyVariance: meanInterval(diff('accuracyVariance')) },
    varianceRatio: meanInterval(finiteRatios),
    seedsWhereVerdictHolds: ratios.filter((r, i) => r <= 0.5 && dbvae[i]!.meanAccuracy >= standard[i]!.meanAccuracy).length,
  };
}
