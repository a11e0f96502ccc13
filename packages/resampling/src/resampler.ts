import { InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { checkAlpha, checkBins, type LatentInput } from './latent-input';
import { samplingWeights, type CombineRule } from './sampling-weights';
import { mixWithUniform, temperWeights } from './weight-transforms';
import { weightStats, type WeightStats } from './weight-stats';

/** Options of the {@link Resampler}. */
export interface ResamplerOptions {
  /** Histogram bins per latent dimension. Default 10. */
  bins?: number;
  /** Debiasing strength (smoothing term). Default 0.001; `Infinity` gives uniform weights. */
  alpha?: number;
  /** `'max'` (default, the lab's rule) or `'product'` (the paper's). */
  combine?: CombineRule;
  /** Temperature applied to the weights (`p^(1/T)`, normalised). Default 1 (unchanged). */
  temperature?: number;
  /** Share of uniform mixed in after the temperature, `[0, 1]`. Default 0 (none). */
  uniformMix?: number;
  /**
   * Latent size `k`, so that `update` can take a bare typed array of `n * k` values without a
   * shape. Optional: a shape passed to `update` or a tensor's shape wins.
   */
  latentDim?: number;
}

/**
 * Recomputes DB-VAE sampling weights each epoch from the current latent means and keeps
 * statistics of how hard they debias (entropy, normalised entropy, effective sample size).
 *
 * @example
 * ```ts
 * const resampler = new Resampler({ alpha: 0.001, combine: 'max', latentDim: 100 });
 * for (let epoch = 0; epoch < epochs; epoch++) {
 *   const p = resampler.update(latentMeans); // Float32Array of n * 100 values
 *   console.log(resampler.stats?.effectiveSampleSize);
 *   // draw batches with p: sampleWithoutReplacement(p, 32, random) from @dbvae/core-data
 * }
 * ```
 */
export class Resampler {
  /** The resolved options. */
  readonly options: Readonly<Required<Omit<ResamplerOptions, 'latentDim'>>> & {
    /** The latent size the resampler was told to expect, if any (then checked on every update). */
    readonly latentDim: number | undefined;
  };
  /** Statistics of every update so far, oldest first. */
  readonly history: WeightStats[] = [];
  private current: Float64Array | undefined;

  /**
   * @param options - See {@link ResamplerOptions}.
   * @throws InvalidArgumentError for `bins < 1`, `alpha < 0`, an unknown `combine`,
   *   `temperature <= 0`, `uniformMix` outside `[0, 1]`, or a bad `latentDim`.
   */
  constructor(options: ResamplerOptions = {}) {
    const { bins = 10, alpha = 0.001, combine = 'max', temperature = 1, uniformMix = 0, latentDim } = options;
    checkBins(bins, 'Resampler');
    checkAlpha(alpha, 'Resampler');
    if (combine !== 'max' && combine !== 'product') {
      throw new InvalidArgumentError(`Resampler: combine must be 'max' or 'product', got ${String(combine)}.`);
    }
    if (!(temperature > 0)) throw new InvalidArgumentError(`Resampler: temperature must be > 0, got ${temperature}.`);
    if (!(uniformMix >= 0 && uniformMix <= 1)) throw new InvalidArgumentError(`Resampler: uniformMix must be in [0, 1], got ${uniformMix}.`);
    if (latentDim !== undefined && (!Number.isInteger(latentDim) || latentDim < 1)) {
      throw new InvalidArgumentError(`Resampler: latentDim must be an integer >= 1, got ${latentDim}.`);
    }
    this.options = { bins, alpha, combine, temperature, uniformMix, latentDim };
  }

  /**
   * Recomputes the weights from this epoch's latent means.
   *
   * @param latents - `tf.Tensor2D` `[n, k]`, or a row-major typed array (with `shape`, or with
   *   `latentDim` set in the constructor).
   * @param shape - `[n, k]` of a typed-array input.
   * @returns The new weights (`n` probabilities summing to 1); also kept in {@link Resampler.weights}.
   * @throws ShapeError / InvalidArgumentError as {@link samplingWeights}.
   */
  update(latents: LatentInput, shape?: readonly [number, number]): Float64Array {
    let s = shape;
    const k = this.options.latentDim;
    if (s === undefined && k !== undefined && (latents instanceof Float32Array || latents instanceof Float64Array)) {
      if (latents.length % k !== 0) {
        throw new ShapeError(`Resampler.update: ${latents.length} values do not split into rows of latentDim ${k}; pass the shape explicitly.`);
      }
      s = [latents.length / k, k];
    }
    const { bins, alpha, combine, temperature, uniformMix } = this.options;
    let p = samplingWeights(latents, { shape: s, bins, alpha, combine });
    if (temperature !== 1) p = temperWeights(p, temperature);
    if (uniformMix !== 0) p = mixWithUniform(p, uniformMix);
    this.current = p;
    this.history.push(weightStats(p));
    return p;
  }

  /** The weights of the last update, or `undefined` before the first. */
  get weights(): Float64Array | undefined {
    return this.current;
  }

  /** Statistics of the last update, or `undefined` before the first. */
  get stats(): WeightStats | undefined {
    return this.history.at(-1);
  }

  /** Number of updates so far. */
  get epoch(): number {
    return this.history.length;
  }
}
