import { InvalidArgumentError } from '@dbvae/backend';
import { softmaxInPlace, toVector, type ScoreInput } from './weight-vector';

/** Options of {@link inverseBiasWeights}. */
export interface InverseBiasOptions {
  /**
   * What the scores are. `'logDensity'` (default): log-densities, as `@dbvae/risk-wrappers`
   * reports `bias` (higher = better represented). `'density'`: densities >= 0 (lab 3's
   * `exp`-space scores), inverted as `1 / (bias + eps)`.
   */
  scale?: 'logDensity' | 'density';
  /**
   * Tempering exponent `alpha >= 0`: `p_i` proportional to `density_i ^ -alpha`. 1 (default) is
   * the full inverse (lab 3's rule); 0 gives uniform weights; values in between soften the
   * up-weighting of rare samples (useful when log-densities span hundreds of nats, where the
   * full inverse puts all the weight on one sample).
   */
  exponent?: number;
  /** `'density'` scale only: added before inverting so a zero score stays finite. Default `1e-7` (lab 3's). */
  eps?: number;
}

/**
 * Inverse-representation weights from a bias score: `p_i` proportional to
 * `density_i ^ -exponent`, normalised, computed in log space (`log p_i = -exponent *
 * logDensity_i`, then log-sum-exp), so scores of any magnitude are safe. By default the
 * scores are **log-densities** (the risk wrappers' `bias`); with `scale: 'density'` they are
 * densities and the lab's `1 / (bias + eps)` applies (tempered by `exponent`).
 *
 * @param bias - One score per sample; tensors of rank >= 2 are averaged per sample.
 * @returns Probabilities summing to 1.
 * @throws InvalidArgumentError for NaN/Infinity, a negative density, `eps <= 0`, or a bad exponent or scale.
 * @throws ShapeError for an empty input.
 * @example
 * ```ts
 * inverseBiasWeights([Math.log(0.5), Math.log(0.25), Math.log(0.25)]); // [0.2, 0.4, 0.4]
 * inverseBiasWeights(out.perSample('bias'), { exponent: 0.5 });           // tempered
 * inverseBiasWeights([0.5, 0.25, 0.25], { scale: 'density' });            // lab 3, ~[0.2, 0.4, 0.4]
 * ```
 */
export function inverseBiasWeights(bias: ScoreInput, options: InverseBiasOptions = {}): Float64Array {
  const { eps = 1e-7, exponent = 1, scale = 'logDensity' } = options;
  if (!(eps > 0) || !Number.isFinite(eps)) {
    throw new InvalidArgumentError(`inverseBiasWeights: eps must be a finite number > 0, got ${eps}.`);
  }
  if (!(exponent >= 0) || !Number.isFinite(exponent)) {
    throw new InvalidArgumentError(`inverseBiasWeights: exponent must be a finite number >= 0, got ${exponent}.`);
  }
  if (scale !== 'logDensity' && scale !== 'density') {
    throw new InvalidArgumentError(`inverseBiasWeights: scale must be 'logDensity' or 'density', got ${String(scale)}.`);
  }
  const b = toVector(bias, 'inverseBiasWeights', 'bias');
  for (let i = 0; i < b.length; i++) {
    const v = b[i]!;
    if (scale === 'density') {
      if (v < 0) throw new InvalidArgumentError(`inverseBiasWeights: densities must be >= 0, found ${v} at index ${i} (log-densities such as the risk wrappers' bias need the default scale 'logDensity').`);
      b[i] = -exponent * Math.log(v + eps);
    } else {
      b[i] = -exponent * v;
    }
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
