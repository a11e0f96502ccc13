import { tf, InvalidArgumentError, ShapeError } from '@dbvae/backend';

/**
 * Latent codes accepted by the resampling functions: a `tf.Tensor2D` of shape `[n, k]`, or a
 * row-major `Float32Array` / `Float64Array` of length `n * k` given together with its shape.
 */
export type LatentInput = tf.Tensor2D | Float32Array | Float64Array;

/** A validated row-major latent matrix (internal). */
export interface LatentMatrix {
  /** Row-major values, `n * k` of them. */
  readonly data: Float32Array | Float64Array;
  /** Number of samples (rows). */
  readonly n: number;
  /** Number of latent dimensions (columns). */
  readonly k: number;
  /**
   * Whether the values are single precision (informational: the histograms take every value
   * as float64, exactly as the lab's NumPy code does on float64 latents).
   */
  readonly float32: boolean;
}

/**
 * Turns any {@link LatentInput} into a validated row-major matrix without allocating tensors.
 * Throws `ShapeError` for a bad or mismatched shape and `InvalidArgumentError` for a non-finite
 * value, a disposed tensor or an unsupported input type.
 */
export function toLatentMatrix(latents: LatentInput, shape: readonly [number, number] | undefined, caller: string): LatentMatrix {
  let data: Float32Array | Float64Array;
  let n: number;
  let k: number;
  let float32: boolean;
  if (latents instanceof tf.Tensor) {
    if (latents.isDisposed) throw new InvalidArgumentError(`${caller}: the latent tensor has been disposed; pass a live tf.Tensor2D.`);
    if (latents.rank !== 2) {
      throw new ShapeError(`${caller}: latents must be a rank-2 tensor [n, k], got shape [${latents.shape.join(', ')}].`);
    }
    [n, k] = latents.shape as [number, number];
    if (shape !== undefined && (shape[0] !== n || shape[1] !== k)) {
      throw new ShapeError(`${caller}: options.shape [${shape.join(', ')}] does not match the tensor's shape [${n}, ${k}]; drop options.shape or fix it.`);
    }
    const values = latents.dataSync();
    if (values instanceof Float32Array) {
      data = values;
      float32 = true;
    } else if (values instanceof Int32Array || values instanceof Uint8Array) {
      // Integer data: NumPy would compute the edges in float64, so do the same.
      data = Float64Array.from(values);
      float32 = false;
    } else {
      throw new InvalidArgumentError(`${caller}: latents must be a numeric tensor, got dtype '${latents.dtype}'.`);
    }
  } else if (latents instanceof Float32Array || latents instanceof Float64Array) {
    if (shape === undefined) {
      throw new ShapeError(`${caller}: a typed-array input needs its shape; pass { shape: [n, k] } with n * k = ${latents.length}.`);
    }
    [n, k] = shape;
    if (!Number.isInteger(n) || !Number.isInteger(k) || n < 0 || k < 0) {
      throw new ShapeError(`${caller}: options.shape must be two non-negative integers [n, k], got [${shape.join(', ')}].`);
    }
    if (n * k !== latents.length) {
      throw new ShapeError(`${caller}: options.shape [${n}, ${k}] needs ${n * k} values but the array holds ${latents.length}.`);
    }
    data = latents;
    float32 = latents instanceof Float32Array;
  } else {
    throw new InvalidArgumentError(`${caller}: latents must be a tf.Tensor2D, Float32Array or Float64Array.`);
  }
  if (n < 1) throw new ShapeError(`${caller}: latents hold no samples (n = 0); pass at least one row.`);
  if (k < 1) throw new ShapeError(`${caller}: latents have no dimensions (k = 0); pass at least one column.`);
  return { data, n, k, float32 };
}

/** Validates a positive integer bin count. */
export function checkBins(bins: number, caller: string): void {
  if (!Number.isInteger(bins) || bins < 1) {
    throw new InvalidArgumentError(`${caller}: bins must be an integer >= 1, got ${bins}.`);
  }
}

/** Validates the smoothing term: a number >= 0 (Infinity allowed, meaning uniform weights). */
export function checkAlpha(alpha: number, caller: string): void {
  if (typeof alpha !== 'number' || Number.isNaN(alpha) || alpha < 0) {
    throw new InvalidArgumentError(`${caller}: alpha must be a number >= 0 (Infinity gives uniform weights), got ${alpha}.`);
  }
}
