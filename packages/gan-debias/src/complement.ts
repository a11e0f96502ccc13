import { InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { GanDebiasError } from './errors';
import { toMatrix, type Matrix, type MatrixLike } from './matrix';
import type { LinearClassifier } from './linear-classifier';

/**
 * How {@link complementLatents} moves a latent:
 * - `'complement'` (default, Ramaswamy et al.): across the protected hyperplane along the
 *   direction orthogonal to `w_t`, so `h_t(z') = h_t(z)` and `h_g(z') = -h_g(z)`;
 * - `'project'`: the same direction with half the distance, onto the protected hyperplane
 *   (`h_t(z') = h_t(z)`, `h_g(z') = 0`);
 * - `'reflect'`: plain reflection across the protected hyperplane ignoring the target
 *   (`h_g(z') = -h_g(z)`, the target score changes by `-2 (w_g . w_t) h_g(z)`).
 */
export type ComplementMode = 'complement' | 'project' | 'reflect';

/** Options of {@link complementLatents}. */
export interface ComplementOptions {
  /** See {@link ComplementMode}. Default `'complement'`. */
  mode?: ComplementMode;
  /**
   * Smallest `1 - (w_g . w_t)^2` accepted in the modes that keep the target score; below it
   * the two hyperplanes are (nearly) parallel and the move would be huge. Default 1e-6.
   */
  minSin2?: number;
}

/**
 * For each latent `z`, the complementary latent of Ramaswamy, Kim and Russakovsky (CVPR 2021)
 * that keeps the target score and flips the protected one:
 *
 * `z' = z - 2 (w_g . z + b_g) / (1 - (w_g . w_t)^2) (w_g - (w_g . w_t) w_t)`
 *
 * with both classifiers normalised to unit weight norm (as {@link fitLinearSvm} returns them).
 * See {@link ComplementMode} for the ablations. Computed in float64.
 *
 * @param z - Latents `[n, d]` (a tensor is read, not disposed).
 * @param target - The target classifier `h_t` (unit `w`).
 * @param protectedAttr - The protected classifier `h_g` (unit `w`).
 * @param options - See {@link ComplementOptions}.
 * @returns The complements as a `{ data, rows, cols }` matrix (float64).
 * @throws ShapeError on mismatched dimensions; InvalidArgumentError when a weight vector is not unit length;
 *   GanDebiasError when the hyperplanes are (nearly) parallel.
 * @example
 * ```ts
 * const zPrime = complementLatents(z, ht, hg);
 * // linearScores(ht, zPrime) equals linearScores(ht, z); linearScores(hg, zPrime) is its negation
 * ```
 */
export function complementLatents(z: MatrixLike, target: LinearClassifier, protectedAttr: LinearClassifier, options: ComplementOptions = {}): Matrix {
  const m = toMatrix(z, 'complementLatents: z');
  const d = m.cols;
  const mode = options.mode ?? 'complement';
  if (mode !== 'complement' && mode !== 'project' && mode !== 'reflect') {
    throw new InvalidArgumentError(`complementLatents: mode must be 'complement', 'project' or 'reflect', got '${String(mode)}'.`);
  }
  const wt = target.w;
  const wg = protectedAttr.w;
  if (wt.length !== d || wg.length !== d) {
    throw new ShapeError(`complementLatents: latents have ${d} dims but the classifiers have ${wt.length} and ${wg.length} weights.`);
  }
  let nt = 0;
  let ng = 0;
  let c = 0;
  for (let j = 0; j < d; j++) {
    nt += wt[j]! * wt[j]!;
    ng += wg[j]! * wg[j]!;
    c += wg[j]! * wt[j]!;
  }
  if (Math.abs(nt - 1) > 1e-6 || Math.abs(ng - 1) > 1e-6) {
    throw new InvalidArgumentError(`complementLatents: weights must have unit norm (got |w_t|^2 = ${nt}, |w_g|^2 = ${ng}); normalise them with normalizeLinear.`);
  }
  const dir = new Float64Array(d);
  let factor: number;
  if (mode === 'reflect') {
    dir.set(wg);
    factor = 2;
  } else {
    const sin2 = 1 - c * c;
    const minSin2 = options.minSin2 ?? 1e-6;
    if (!(sin2 > minSin2)) {
      throw new GanDebiasError(`complementLatents: the target and protected hyperplanes are nearly parallel (1 - cos^2 = ${sin2}); no latent can keep one score and flip the other.`);
    }
    for (let j = 0; j < d; j++) dir[j] = (wg[j]! - c * wt[j]!) / sin2;
    factor = mode === 'complement' ? 2 : 1;
  }
  const out = new Float64Array(m.rows * d);
  for (let i = 0; i < m.rows; i++) {
    const o = i * d;
    let s = protectedAttr.b;
    for (let j = 0; j < d; j++) s += wg[j]! * m.data[o + j]!;
    const k = factor * s;
    for (let j = 0; j < d; j++) out[o + j] = m.data[o + j]! - k * dir[j]!;
  }
  return { data: out, rows: m.rows, cols: d };
}
