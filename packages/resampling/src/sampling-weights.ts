import { InvalidArgumentError } from '@dbvae/backend';
import { binColumn, columnBins, COLUMN_BLOCK, gatherColumns, type LatentHistograms } from './latent-histograms';
import { checkAlpha, checkBins, toLatentMatrix, type LatentInput, type LatentMatrix } from './latent-input';

/**
 * How per-dimension histograms combine into one weight per sample:
 * - `'max'`: the MIT 6.S191 lab 2 rule. Per dimension, the inverse of the smoothed,
 *   normalised density at the sample's bin, normalised over samples; a sample's weight is the
 *   maximum over dimensions; normalised.
 * - `'product'`: the DB-VAE paper's rule, `prod_j 1 / (Q_j(z_j) + alpha)`, computed in log
 *   space so that a hundred dimensions never underflow.
 */
export type CombineRule = 'max' | 'product';

/** Options of {@link samplingWeights}. */
export interface SamplingWeightOptions {
  /** `[n, k]`: required for a typed-array input, checked against a tensor's shape otherwise. */
  shape?: readonly [number, number];
  /** Equal-width histogram bins per latent dimension. Default 10 (the lab's). */
  bins?: number;
  /**
   * Debiasing strength (the paper's smoothing term), added to every bin's density. Default
   * 0.001 (the lab's). `0` debiases hardest; larger values flatten the weights towards uniform;
   * `Infinity` gives exactly uniform weights.
   */
  alpha?: number;
  /** How dimensions combine: `'max'` (default, the lab's) or `'product'` (the paper's). */
  combine?: CombineRule;
  /**
   * Tempering: every weight is raised to `1 / temperature` before normalising (for the product
   * rule that divides the summed log factors by `temperature`, exactly, in log space). Default 1
   * (the rule as written). With 100 latent dimensions the product rule puts nearly all mass on a
   * handful of samples; a temperature of about the number of dimensions turns the product of
   * 100 factors into their geometric mean. `Infinity` gives uniform weights.
   */
  temperature?: number;
  /**
   * Share of the uniform distribution mixed in after tempering: `(1 - u) p + u / n`, in `[0, 1]`.
   * Default 0. Guarantees every sample a probability of at least `u / n`.
   */
  uniformMix?: number;
}

/** Tempering and uniform mixing of {@link SamplingWeightOptions}. */
export interface WeightShaping {
  /** Exponent divisor, `> 0`; default 1. */
  temperature?: number;
  /** Uniform share in `[0, 1]`; default 0. */
  uniformMix?: number;
}

/**
 * Sampling probabilities that up-weight samples whose latent codes fall where the data is
 * sparse: the DB-VAE adaptive resampling rule.
 *
 * With `d_j(b)` the histogram density of dimension `j` at bin `b` (see `latentHistograms`) and
 * `b_ij` the bin of sample `i`:
 * - `'max'`: `q_j(b) = (d_j(b) + alpha) / sum_b' (d_j(b') + alpha)`,
 *   `p_ij = (1 / q_j(b_ij)) / sum_i' (1 / q_j(b_i'j))`, `w_i = max_j p_ij`, `p_i = w_i / sum w`.
 * - `'product'`: `log w_i = -sum_j log(d_j(b_ij) + alpha)`, `p_i = softmax(log w)_i`.
 *
 * A dimension with zero range (or a range below the float resolution) contributes uniformly:
 * `1/n` to every sample's maximum, a constant factor to every product.
 *
 * @param latents - Latent means, `tf.Tensor2D` `[n, k]` or a row-major `Float32Array`/`Float64Array`
 *   with `options.shape`. Tensors are read with `dataSync()` (on a GPU backend that blocks until the
 *   download ends: `await t.data()` and pass the `Float32Array` instead), never disposed, and no
 *   tensor is allocated.
 * @param options - `shape`, `bins` (default 10), `alpha` (default 0.001), `combine` (default `'max'`),
 *   `temperature` (default 1) and `uniformMix` (default 0).
 * @returns `n` probabilities: finite, non-negative, summing to 1.
 * @throws ShapeError for a missing or mismatched shape or an empty matrix.
 * @throws InvalidArgumentError for NaN/Infinity in the latents, `bins < 1`, `alpha < 0`, an unknown `combine`,
 *   `temperature <= 0` or `uniformMix` outside `[0, 1]`.
 * @example
 * ```ts
 * const p = samplingWeights(latentMeans, { shape: [n, 100], bins: 10, alpha: 0.001, combine: 'max' });
 * ```
 */
export function samplingWeights(latents: LatentInput, options: SamplingWeightOptions = {}): Float64Array {
  const { bins = 10, alpha = 0.001, combine = 'max' } = options;
  checkBins(bins, 'samplingWeights');
  checkAlpha(alpha, 'samplingWeights');
  checkCombine(combine, 'samplingWeights');
  const shaping = checkShaping(options, 'samplingWeights');
  const m = toLatentMatrix(latents, options.shape, 'samplingWeights');
  return fusedWeights(m, bins, alpha, combine, shaping); // validates finiteness too
}

/**
 * The weighting step of {@link samplingWeights} on histograms already computed by
 * `latentHistograms` (e.g. to inspect them, or to try several `alpha` on one pass of binning).
 *
 * @param h - Histograms from `latentHistograms`.
 * @param options - `alpha` (default 0.001), `combine` (default `'max'`), `temperature`, `uniformMix`.
 * @returns `n` probabilities summing to 1.
 * @throws InvalidArgumentError for `alpha < 0` or an unknown `combine`.
 */
export function weightsFromHistograms(h: LatentHistograms, options: { alpha?: number; combine?: CombineRule } & WeightShaping = {}): Float64Array {
  const { alpha = 0.001, combine = 'max' } = options;
  checkAlpha(alpha, 'weightsFromHistograms');
  checkCombine(combine, 'weightsFromHistograms');
  const shaping = checkShaping(options, 'weightsFromHistograms');
  const { n } = h;
  if (alpha === Infinity) return new Float64Array(n).fill(1 / n);
  return weightsFromRowMajor(h, alpha, combine, shaping);
}

interface Shaping {
  temperature: number;
  uniformMix: number;
}

function checkShaping(options: WeightShaping, caller: string): Shaping {
  const { temperature = 1, uniformMix = 0 } = options;
  if (!(temperature > 0)) throw new InvalidArgumentError(`${caller}: temperature must be > 0 (Infinity = uniform), got ${temperature}.`);
  if (!(uniformMix >= 0 && uniformMix <= 1)) throw new InvalidArgumentError(`${caller}: uniformMix must be in [0, 1], got ${uniformMix}.`);
  return { temperature, uniformMix };
}

/**
 * Turns per-sample scores into probabilities: the max rule's positive weights or the product
 * rule's log weights, tempered by `1 / temperature` in log space, normalised, then mixed with
 * the uniform distribution.
 */
function finish(out: Float64Array, combine: CombineRule, { temperature, uniformMix }: Shaping): Float64Array {
  const n = out.length;
  if (temperature === Infinity) return out.fill(1 / n);
  let p: Float64Array;
  if (temperature === 1) {
    p = combine === 'max' ? normalise(out) : softmax(out);
  } else {
    const inv = 1 / temperature;
    if (combine === 'max') for (let i = 0; i < n; i++) out[i] = out[i]! > 0 ? inv * Math.log(out[i]!) : -Infinity;
    else for (let i = 0; i < n; i++) out[i] = inv * out[i]!;
    p = softmax(out);
  }
  if (uniformMix > 0) for (let i = 0; i < n; i++) p[i] = (1 - uniformMix) * p[i]! + uniformMix / n;
  return p;
}

function checkCombine(combine: unknown, caller: string): void {
  if (combine !== 'max' && combine !== 'product') {
    throw new InvalidArgumentError(`${caller}: combine must be 'max' or 'product', got ${String(combine)}.`);
  }
}

/**
 * Fills `table[0 .. bins - 1]` with the max rule's per-sample weight of each bin for one
 * dimension: `(1 / q(b)) / sum_i (1 / q(b_i))` with `q = (d + alpha) / sum (d + alpha)`, the
 * normalisation over samples taken through the counts. A uniform dimension gets `1 / n`.
 */
export function maxRuleTable(density: Float64Array, counts: Int32Array, bins: number, n: number, alpha: number, uniform: boolean, table: Float64Array): void {
  if (uniform) {
    table.fill(1 / n, 0, bins);
    return;
  }
  // For alpha beyond ~1e300 the sum of smoothed densities would overflow; dividing every term by
  // alpha first changes nothing after normalisation and keeps it finite.
  const huge = alpha > 1e300;
  let s = 0;
  for (let b = 0; b < bins; b++) s += huge ? density[b]! / alpha + 1 : density[b]! + alpha;
  let total = 0;
  for (let b = 0; b < bins; b++) {
    const r = 1 / ((huge ? density[b]! / alpha + 1 : density[b]! + alpha) / s);
    table[b] = r;
    const c = counts[b]!;
    if (c > 0) total += c * r; // empty bins (r may be Infinity at alpha 0) hold no sample
  }
  for (let b = 0; b < bins; b++) table[b] = table[b]! / total;
}

/** Fills `table` with the product rule's per-bin log factor `-log(d + alpha)` (0 when uniform). */
export function productRuleTable(density: Float64Array, bins: number, alpha: number, uniform: boolean, table: Float64Array): void {
  for (let b = 0; b < bins; b++) table[b] = uniform ? 0 : -Math.log(density[b]! + alpha);
}

/** Normalises in place: divides by the sum (max rule). */
function normalise(w: Float64Array): Float64Array {
  let sum = 0;
  for (let i = 0; i < w.length; i++) sum += w[i]!;
  for (let i = 0; i < w.length; i++) w[i] = w[i]! / sum;
  return w;
}

/** Log-sum-exp normalisation in place (product rule): the largest term becomes exp(0) = 1. */
function softmax(logw: Float64Array): Float64Array {
  let top = -Infinity;
  for (let i = 0; i < logw.length; i++) if (logw[i]! > top) top = logw[i]!;
  let sum = 0;
  for (let i = 0; i < logw.length; i++) {
    const e = Math.exp(logw[i]! - top);
    logw[i] = e;
    sum += e;
  }
  for (let i = 0; i < logw.length; i++) logw[i] = logw[i]! / sum;
  return logw;
}

/** The fused fast path: blocks of columns, one histogram and one accumulation pass per column. */
function fusedWeights(m: LatentMatrix, bins: number, alpha: number, combine: CombineRule, shaping: Shaping): Float64Array {
  const { n, k } = m;
  const out = new Float64Array(n); // max rule: running maxima from 0; product rule: log sums from 0
  const buf = new Float64Array(Math.min(COLUMN_BLOCK, k) * n);
  const scratch = columnBins(n, bins);
  const table = new Float64Array(bins);
  const index = scratch.index;
  const lo = new Float64Array(COLUMN_BLOCK);
  const hi = new Float64Array(COLUMN_BLOCK);
  for (let j0 = 0; j0 < k; j0 += COLUMN_BLOCK) {
    const width = Math.min(COLUMN_BLOCK, k - j0);
    gatherColumns(m, j0, width, buf, lo, hi, 'samplingWeights');
    for (let c = 0; c < width; c++) {
      const uniform = binColumn(buf, c * n, n, lo[c]!, hi[c]!, bins, scratch, 'samplingWeights', j0 + c);
      if (alpha === Infinity) continue; // validated only
      if (combine === 'max') {
        maxRuleTable(scratch.density, scratch.counts, bins, n, alpha, uniform, table);
        for (let i = 0; i < n; i++) {
          const v = table[index[i]!]!;
          if (v > out[i]!) out[i] = v;
        }
      } else if (!uniform) {
        productRuleTable(scratch.density, bins, alpha, uniform, table);
        for (let i = 0; i < n; i++) out[i] = out[i]! + table[index[i]!]!;
      }
    }
  }
  if (alpha === Infinity) return out.fill(1 / n);
  return finish(out, combine, shaping);
}

/** Weights from precomputed (row-major) histograms. */
function weightsFromRowMajor(h: LatentHistograms, alpha: number, combine: CombineRule, shaping: Shaping): Float64Array {
  const { n, k, bins, counts, density, binIndex, uniform } = h;
  const tables = new Float64Array(k * bins);
  for (let j = 0; j < k; j++) {
    const table = tables.subarray(j * bins, (j + 1) * bins);
    const d = density.subarray(j * bins, (j + 1) * bins);
    if (combine === 'max') maxRuleTable(d, counts.subarray(j * bins, (j + 1) * bins), bins, n, alpha, uniform[j] === 1, table);
    else productRuleTable(d, bins, alpha, uniform[j] === 1, table);
  }
  const out = new Float64Array(n);
  for (let i = 0, off = 0; i < n; i++, off += k) {
    let acc = 0;
    for (let j = 0, cb = 0; j < k; j++, cb += bins) {
      const v = tables[cb + binIndex[off + j]!]!;
      if (combine === 'max') {
        if (v > acc) acc = v;
      } else {
        acc += v;
      }
    }
    out[i] = acc;
  }
  return finish(out, combine, shaping);
}
