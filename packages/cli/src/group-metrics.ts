import { InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { wilsonInterval } from './stats/wilson';

/** Metrics of one group of test images (all faces), as written by `dbvae evaluate --json`. */
export interface GroupStats {
  /** Number of images in the group. */
  n: number;
  /** Mean predicted face probability. */
  meanProb: number;
  /** Fraction of the group's faces detected as faces (probability at or above the threshold): recall on faces, the DB-VAE paper's "accuracy". */
  accuracy: number;
  /** Lower end of the 95% Wilson interval of `accuracy` (the group's faces are a sample of size `n`). */
  low: number;
  /** Upper end of the 95% Wilson interval of `accuracy`. */
  high: number;
}

/** Result of {@link groupMetrics}: the JSON shape of `dbvae evaluate --json`. */
export interface GroupMetricsResult {
  /** Per-group statistics, keyed by group name, in first-seen order. */
  groups: Record<string, GroupStats>;
  /** Unweighted mean of the groups' accuracies (each group counts once, whatever its size). */
  meanAccuracy: number;
  /** Population variance of the groups' accuracies (divides by the number of groups), in accuracy units squared; multiply by 10^4 for the paper's percent-squared figures. */
  accuracyVariance: number;
}

/** Options of {@link groupMetrics}. */
export interface GroupMetricsOptions {
  /** A face is detected when its probability is at least this. Default 0.5. */
  threshold?: number;
}

/**
 * Per-group face-detection metrics: for each group the count, the mean face probability and the
 * accuracy (fraction with probability `>= threshold`) with its 95% Wilson interval, then the unweighted mean accuracy across
 * groups and its population variance: the DB-VAE paper's fairness summary.
 * @param probabilities Face probability of each test image, in [0, 1].
 * @param groups Group name of each image (same length), such as `'LF'`, `'DM'`.
 * @throws ShapeError when the lengths differ; InvalidArgumentError for no samples, a probability
 *   outside [0, 1] or not finite, an empty group name, or a threshold outside [0, 1].
 * @example
 * groupMetrics([0.9, 0.2, 0.7], ['LF', 'LF', 'DM']);
 * // { groups: { LF: { n: 2, meanProb: 0.55, accuracy: 0.5, low: 0.095, high: 0.905 }, DM: { n: 1, meanProb: 0.7, accuracy: 1, low: 0.207, high: 1 } },
 * //   meanAccuracy: 0.75, accuracyVariance: 0.0625 }
 */
export function groupMetrics(probabilities: ArrayLike<number>, groups: ArrayLike<string>, options: GroupMetricsOptions = {}): GroupMetricsResult {
  const threshold = options.threshold ?? 0.5;
  if (!(threshold >= 0 && threshold <= 1)) throw new InvalidArgumentError(`groupMetrics: threshold must be in [0, 1], got ${threshold}.`);
  const n = probabilities.length;
  if (groups.length !== n) throw new ShapeError(`groupMetrics: ${n} probabilities but ${groups.length} group names; give one group name per image.`);
  if (n === 0) throw new InvalidArgumentError('groupMetrics: no samples; the test folders contain no images.');
  const sums = new Map<string, { n: number; prob: number; hits: number }>();
  for (let i = 0; i < n; i++) {
    const p = probabilities[i] as number;
    const g = groups[i] as string;
    if (!Number.isFinite(p) || p < 0 || p > 1) throw new InvalidArgumentError(`groupMetrics: probability ${i} is ${p}; probabilities must be finite and in [0, 1] (apply a sigmoid to logits first).`);
    if (typeof g !== 'string' || g.length === 0) throw new InvalidArgumentError(`groupMetrics: group name ${i} is empty.`);
    let s = sums.get(g);
    if (!s) {
      s = { n: 0, prob: 0, hits: 0 };
      sums.set(g, s);
    }
    s.n += 1;
    s.prob += p;
    if (p >= threshold) s.hits += 1;
  }
  const result: Record<string, GroupStats> = {};
  const accs: number[] = [];
  for (const [g, s] of sums) {
    const accuracy = s.hits / s.n;
    const { low, high } = wilsonInterval(s.hits, s.n);
    result[g] = { n: s.n, meanProb: s.prob / s.n, accuracy, low, high };
    accs.push(accuracy);
  }
  const meanAccuracy = accs.reduce((a, b) => a + b, 0) / accs.length;
  const accuracyVariance = accs.reduce((a, b) => a + (b - meanAccuracy) ** 2, 0) / accs.length;
  return { groups: result, meanAccuracy, accuracyVariance };
}
