import { tf, InvalidArgumentError, ShapeError } from '@dbvae/backend';

/**
 * A per-sample score or weight vector: any array-like of numbers, or a tensor. A tensor of rank
 * 2 or more is averaged over its trailing axes per sample (lab 3's `np.mean(bias, axis=-1)` on
 * the `[n, 1]` bias output).
 */
export type ScoreInput = ArrayLike<number> | tf.Tensor;

/** Reads a score input into a fresh Float64Array without allocating tensors (internal). */
export function toVector(input: ScoreInput, caller: string, what: string): Float64Array {
  let out: Float64Array;
  if (input instanceof tf.Tensor) {
    if (input.isDisposed) throw new InvalidArgumentError(`${caller}: the ${what} tensor has been disposed.`);
    if (input.rank === 0) throw new ShapeError(`${caller}: ${what} must have one entry per sample (rank >= 1), got a scalar.`);
    const n = input.shape[0]!;
    const values = input.dataSync();
    const per = n === 0 ? 0 : values.length / n;
    out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < per; t++) s += Number(values[i * per + t]);
      out[i] = per === 0 ? NaN : s / per;
    }
  } else if (input !== null && typeof input === 'object' && typeof input.length === 'number') {
    out = Float64Array.from(input);
  } else {
    throw new InvalidArgumentError(`${caller}: ${what} must be an array of numbers or a tf.Tensor.`);
  }
  if (out.length === 0) throw new ShapeError(`${caller}: ${what} is empty; pass one value per sample.`);
  for (let i = 0; i < out.length; i++) {
    const v = out[i]!;
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`${caller}: ${what} must be finite, found ${v} at index ${i}.`);
  }
  return out;
}

/**
 * Reads a weight vector and normalises it to sum 1 (internal). Weights must be finite,
 * non-negative and not all zero.
 */
export function toDistribution(p: ScoreInput, caller: string): Float64Array {
  const out = toVector(p, caller, 'weights');
  let sum = 0;
  for (let i = 0; i < out.length; i++) {
    const v = out[i]!;
    if (v < 0) throw new InvalidArgumentError(`${caller}: weights must be non-negative, found ${v} at index ${i}.`);
    sum += v;
  }
  if (!(sum > 0) || !Number.isFinite(sum)) {
    throw new InvalidArgumentError(`${caller}: weights must have a positive finite sum, got ${sum}.`);
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / sum;
  return out;
}

/** Normalises log-weights in place to probabilities with the log-sum-exp shift (internal). */
export function softmaxInPlace(logw: Float64Array): Float64Array {
  let top = -Infinity;
  for (let i = 0; i < logw.length; i++) if (logw[i]! > top) top = logw[i]!;
  let sum = 0;
  for (let i = 0; i < logw.length; i++) {
    const e = logw[i] === -Infinity ? 0 : Math.exp(logw[i]! - top);
    logw[i] = e;
    sum += e;
  }
  for (let i = 0; i < logw.length; i++) logw[i] = logw[i]! / sum;
  return logw;
}
