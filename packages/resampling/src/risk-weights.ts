import { InvalidArgumentError } from '@dbvae/backend';
import { softmaxInPlace, toVector, type ScoreInput } from './weight-vector';

/**
 * Inverse-representation weights from a bias score (lab 3's rule): `p_i = 1 / (bias_i + eps)`,
 * normalised. A bias score is a density-like "how represented is this sample" (e.g. the
 * histogram wrapper's output), so rare samples get large weights.
 *
 * @param bias - One non-negative score per sample; tensors of rank >= 2 are averaged per sample.
 * @param options - `eps`: added before inverting so a zero score stays finite. Default `1e-7` (lab 3's).
 * @returns Probabilities summing to 1.
 * @throws InvalidArgumentError for NaN/Infinity, a negative score, or `eps <= 0`.
 * @throws ShapeError for an empty input.
 * @example
 * ```ts
 * inverseBiasWeights([0.5, 0.25, 0.25]); // ~[0.2, 0.4, 0.4]
 * ```
 */
export function inverseBiasWeights(bias: ScoreInput, options: { eps?: number } = {}): Float64Array {
  const { eps = 1e-7 } = options;
  if (!(eps > 0) || !Number.isFinite(eps)) {
    throw new InvalidArgumentError(`inverseBiasWeights: eps must be a finite number > 0, got ${eps}.`);
  }
  const b = toVector(bias, 'inverseBiasWeights', 'bias');
  // log p = -log(bias + eps): normalised with log-sum-exp so tiny scores cannot overflow.
  for (let i = 0; i < b.length; i++) {
    const v = b[i]!;
    if (v < 0) throw new InvalidArgumentError(`inverseBiasWeights: bias scores must be >= 0, found ${v} at index ${i}.`);
    b[i] = -Math.log(v + eps);
  }
  return softmaxInPlace(b);
}

/**
 * Epistemic up-weighting: `p_i` proportional to `uncertainty_i ^ power`, so the samples the model is
 * least sure about are seen more often. Computed in log space. If every uncertainty is zero the
 * weights are uniform.
 *
 * @param uncertainty - One non-negative score per sample (e.g. a VAE reconstruction error or an
 *   ensemble's standard deviation); tensors of rank >= 2 are averaged per sample.
 * @param options - `power` (>= 0, default 1): 0 gives uniform weights, larger values focus harder.
 * @returns Probabilities summing to 1.
 * @throws InvalidArgumentError for NaN/Infinity, a negative score, or a bad `power`.
 * @throws ShapeError for an empty input.
 */
export function epistemicWeights(uncertainty: ScoreInput, options: { power?: number } = {}): Float64Array {
  const { power = 1 } = options;
  if (!(power >= 0) || !Number.isFinite(power)) {
    throw new InvalidArgumentError(`epistemicWeights: power must be a finite number >= 0, got ${power}.`);
  }
  const u = toVector(uncertainty, 'epistemicWeights', 'uncertainty');
  let allZero = true;
  for (let i = 0; i < u.length; i++) {
    const v = u[i]!;
    if (v < 0) throw new InvalidArgumentError(`epistemicWeights: uncertainties must be >= 0, found ${v} at index ${i}.`);
    if (v > 0) allZero = false;
  }
  if (allZero || power === 0) return new Float64Array(u.length).fill(1 / u.length);
  for (let i = 0; i < u.length; i++) u[i] = u[i] === 0 ? -Infinity : power * Math.log(u[i]!);
  return softmaxInPlace(u);
}
