import { InvalidArgumentError } from '@dbvae/backend';
import { softmaxInPlace, toDistribution, type ScoreInput } from './weight-vector';

/**
 * Mixes a weighting with the uniform distribution: `(1 - lambda) * p + lambda / n`. Trades
 * debiasing (lambda 0: `p` itself) against plain accuracy-oriented sampling (lambda 1: uniform),
 * and guarantees every sample a probability of at least `lambda / n`.
 *
 * @param p - Non-negative weights (normalised first, so any positive scale works).
 * @param lambda - Share of the uniform distribution, in `[0, 1]`.
 * @returns Probabilities summing to 1.
 * @throws InvalidArgumentError for `lambda` outside `[0, 1]` or invalid weights.
 * @example
 * ```ts
 * mixWithUniform([1, 0], 0.5); // [0.75, 0.25]
 * ```
 */
export function mixWithUniform(p: ScoreInput, lambda: number): Float64Array {
  if (!(lambda >= 0 && lambda <= 1)) {
    throw new InvalidArgumentError(`mixWithUniform: lambda must be in [0, 1], got ${lambda}.`);
  }
  const q = toDistribution(p, 'mixWithUniform');
  const u = lambda / q.length;
  for (let i = 0; i < q.length; i++) q[i] = (1 - lambda) * q[i]! + u;
  return q;
}

/**
 * Temperature scaling of a weighting: `p_i^(1/T)`, normalised (in log space). `T = 1` keeps `p`,
 * `T > 1` flattens it towards uniform (`T = Infinity` returns exactly uniform weights over all
 * samples), `T < 1` sharpens it towards its largest weights. Zero weights stay zero for finite `T`.
 *
 * @param p - Non-negative weights (normalised first).
 * @param temperature - `T > 0`; `Infinity` allowed.
 * @returns Probabilities summing to 1.
 * @throws InvalidArgumentError for `T <= 0`, NaN, or invalid weights.
 * @example
 * ```ts
 * temperWeights([0.8, 0.2], 2); // [2/3, 1/3]: sqrt(0.8) : sqrt(0.2)
 * ```
 */
export function temperWeights(p: ScoreInput, temperature: number): Float64Array {
  if (!(temperature > 0)) {
    throw new InvalidArgumentError(`temperWeights: temperature must be > 0 (Infinity allowed), got ${temperature}.`);
  }
  const q = toDistribution(p, 'temperWeights');
  if (temperature === 1) return q;
  if (temperature === Infinity) return q.fill(1 / q.length);
  const inv = 1 / temperature;
  for (let i = 0; i < q.length; i++) q[i] = q[i] === 0 ? -Infinity : inv * Math.log(q[i]!);
  return softmaxInPlace(q);
}
