import { createRandom, InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { quantile } from './bootstrap';
import type { Interval } from './wilson';

/** An estimate with its 95% interval. */
export interface EstimateInterval extends Interval {
  /** The statistic on the observed data. */
  estimate: number;
}

/** What {@link pairedGroupBootstrap} returns: model B minus model A on the same test faces. */
export interface PairedGroupComparison {
  /** Difference of the unweighted mean accuracy over groups, B - A. */
  meanAccuracyDifference: EstimateInterval;
  /** Difference of the population variance of the groups' accuracies, B - A. */
  accuracyVarianceDifference: EstimateInterval;
  /** Share of resamples where B's variance is lower than A's. */
  shareVarianceLower: number;
  /** Resamples drawn. */
  resamples: number;
}

function summary(correct: Uint8Array, members: Int32Array[], pick: (g: number, j: number) => number): { mean: number; variance: number } {
  const accs = members.map((m, g) => {
    let hits = 0;
    for (let j = 0; j < m.length; j++) hits += correct[m[pick(g, j)]!]!;
    return hits / m.length;
  });
  const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
  return { mean, variance: accs.reduce((a, b) => a + (b - mean) ** 2, 0) / accs.length };
}

/**
 * Paired, stratified percentile bootstrap of how model B differs from model A on the same test
 * faces: each resample draws, within every group, as many faces as the group has (with
 * replacement) and scores both models on the same draw. This is the test-set part of the noise
 * of one run; the spread over training seeds comes on top.
 *
 * @param correctA - 1 where model A detected the face, per test face.
 * @param correctB - The same for model B.
 * @param groups - Group of each face.
 * @param options - `resamples` (default 2000), `seed` (default 0).
 * @throws ShapeError when the lengths differ; InvalidArgumentError for no faces.
 */
export function pairedGroupBootstrap(correctA: ArrayLike<number>, correctB: ArrayLike<number>, groups: ArrayLike<string>, options: { resamples?: number; seed?: number } = {}): PairedGroupComparison {
  const { resamples = 2000, seed = 0 } = options;
  const n = groups.length;
  if (correctA.length !== n || correctB.length !== n) throw new ShapeError(`pairedGroupBootstrap: ${correctA.length} and ${correctB.length} outcomes for ${n} group names; give one of each per test face.`);
  if (n === 0) throw new InvalidArgumentError('pairedGroupBootstrap: no test faces.');
  if (!Number.isInteger(resamples) || resamples < 1) throw new InvalidArgumentError(`pairedGroupBootstrap: resamples must be a positive integer, got ${resamples}.`);
  const index = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const g = groups[i]!;
    if (!index.has(g)) index.set(g, []);
    index.get(g)!.push(i);
  }
  const members = [...index.values()].map((m) => Int32Array.from(m));
  const a = Uint8Array.from(correctA, (v) => (v ? 1 : 0));
  const b = Uint8Array.from(correctB, (v) => (v ? 1 : 0));
  const identity = (_g: number, j: number) => j;
  const a0 = summary(a, members, identity);
  const b0 = summary(b, members, identity);
  const rng = createRandom(seed);
  const dMean = new Float64Array(resamples);
  const dVar = new Float64Array(resamples);
  let lower = 0;
  const draws = members.map((m) => new Int32Array(m.length));
  for (let r = 0; r < resamples; r++) {
    for (let g = 0; g < members.length; g++) for (let j = 0; j < draws[g]!.length; j++) draws[g]![j] = rng.int(draws[g]!.length);
    const pick = (g: number, j: number) => draws[g]![j]!;
    const sa = summary(a, members, pick);
    const sb = summary(b, members, pick);
    dMean[r] = sb.mean - sa.mean;
    dVar[r] = sb.variance - sa.variance;
    if (sb.variance < sa.variance) lower++;
  }
  dMean.sort();
  dVar.sort();
  return {
    meanAccuracyDifference: { estimate: b0.mean - a0.mean, low: quantile(dMean, 0.025), high: quantile(dMean, 0.975) },
    accuracyVarianceDifference: { estimate: b0.variance - a0.variance, low: quantile(dVar, 0.025), high: quantile(dVar, 0.975) },
    shareVarianceLower: lower / resamples,
    resamples,
  };
}
