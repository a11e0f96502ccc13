import { toDistribution, type ScoreInput } from './weight-vector';

/** How concentrated a sampling distribution is; see {@link weightStats}. */
export interface WeightStats {
  /** Number of samples. */
  readonly n: number;
  /** Shannon entropy `-sum p log p`, in nats (`0 log 0 = 0`). `log n` for uniform weights. */
  readonly entropy: number;
  /** `entropy / log n`, in `[0, 1]`: 1 is uniform, near 0 is all mass on few samples (1 when n = 1). */
  readonly normalizedEntropy: number;
  /** Effective sample size `1 / sum p^2`, in `[1, n]`: n for uniform weights. */
  readonly effectiveSampleSize: number;
  /** `effectiveSampleSize / n`, in `(0, 1]`. */
  readonly effectiveSampleFraction: number;
  /** Largest probability. */
  readonly maxWeight: number;
  /** Smallest probability. */
  readonly minWeight: number;
}

/**
 * Summarises a sampling distribution: entropy, normalised entropy and effective sample size
 * (Kish's `1 / sum p^2`), to see how hard a weighting is debiasing. Weights are normalised first.
 *
 * @param p - Non-negative weights, one per sample.
 * @returns The statistics; see {@link WeightStats}.
 * @throws InvalidArgumentError for NaN/Infinity, negative weights or an all-zero vector.
 * @throws ShapeError for an empty vector.
 * @example
 * ```ts
 * weightStats([0.25, 0.25, 0.25, 0.25]).effectiveSampleSize; // 4
 * ```
 */
export function weightStats(p: ScoreInput): WeightStats {
  const q = toDistribution(p, 'weightStats');
  const n = q.length;
  let entropy = 0;
  let sq = 0;
  let maxWeight = -Infinity;
  let minWeight = Infinity;
  for (let i = 0; i < n; i++) {
    const v = q[i]!;
    if (v > 0) entropy -= v * Math.log(v);
    sq += v * v;
    if (v > maxWeight) maxWeight = v;
    if (v < minWeight) minWeight = v;
  }
  entropy = Math.max(0, entropy);
  const normalizedEntropy = n === 1 ? 1 : Math.min(1, entropy / Math.log(n));
  const effectiveSampleSize = Math.min(n, 1 / sq);
  return { n, entropy, normalizedEntropy, effectiveSampleSize, effectiveSampleFraction: effectiveSampleSize / n, maxWeight, minWeight };
}
