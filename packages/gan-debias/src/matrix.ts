import { tf, InvalidArgumentError, ShapeError } from '@dbvae/backend';

/**
 * A dense row-major matrix on plain typed arrays: `data[i * cols + j]` is row `i`, column `j`.
 * The latent-space fits and metrics run on these, not on tensors, so they are fast on any
 * backend and leave nothing to dispose.
 */
export interface Matrix {
  /** Row-major values, `rows * cols` of them. */
  data: Float64Array | Float32Array;
  /** Number of rows (samples). */
  rows: number;
  /** Number of columns (dimensions). */
  cols: number;
}

/** Anything accepted where a matrix of latents is expected: a rank-2 tensor or a {@link Matrix}. */
export type MatrixLike = tf.Tensor2D | Matrix;

/** @internal Reads a {@link MatrixLike} into a {@link Matrix} (tensors are copied, not disposed), checking finiteness. */
export function toMatrix(x: MatrixLike, name: string): Matrix {
  let m: Matrix;
  if (x instanceof tf.Tensor) {
    if (x.rank !== 2) throw new ShapeError(`${name}: expected a rank-2 tensor [samples, dims], got shape [${x.shape.join(', ')}].`);
    m = { data: x.dataSync() as Float32Array, rows: x.shape[0], cols: x.shape[1] };
  } else {
    if (!x || !Number.isInteger(x.rows) || !Number.isInteger(x.cols) || x.rows < 0 || x.cols < 0) {
      throw new ShapeError(`${name}: expected { data, rows, cols } with non-negative integer rows and cols.`);
    }
    if (x.data.length !== x.rows * x.cols) {
      throw new ShapeError(`${name}: data has ${x.data.length} values but rows * cols = ${x.rows * x.cols}.`);
    }
    m = x;
  }
  if (m.rows === 0 || m.cols === 0) throw new ShapeError(`${name}: the matrix is empty (${m.rows} x ${m.cols}); pass at least one sample and one dimension.`);
  assertFinite(m.data, name);
  return m;
}

/** @internal Throws if any value is NaN or infinite. */
export function assertFinite(values: ArrayLike<number>, name: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i] as number)) {
      throw new InvalidArgumentError(`${name}: value at index ${i} is ${values[i]}; remove or impute non-finite values first.`);
    }
  }
}

/** @internal Reads binary labels (0/1, or booleans as numbers) of the expected length. */
export function toBinaryLabels(labels: ArrayLike<number>, n: number, name: string): Uint8Array {
  if (labels.length !== n) throw new ShapeError(`${name}: expected ${n} labels, got ${labels.length}.`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = labels[i] as number;
    if (v !== 0 && v !== 1) throw new InvalidArgumentError(`${name}: labels must be 0 or 1, got ${v} at index ${i}.`);
    out[i] = v;
  }
  return out;
}

/** @internal Reads a finite score vector of the expected length (or any length if `n` is undefined). */
export function toScores(scores: ArrayLike<number>, n: number | undefined, name: string): Float64Array {
  if (n !== undefined && scores.length !== n) throw new ShapeError(`${name}: expected ${n} scores, got ${scores.length}.`);
  if (scores.length === 0) throw new ShapeError(`${name}: no scores given; pass at least one.`);
  assertFinite(scores, name);
  return Float64Array.from(scores);
}

/** @internal Checks an option is a positive integer. */
export function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got ${v}.`);
  return v;
}

/** @internal Checks an option is a finite positive number. */
export function positiveNumber(v: number, name: string): number {
  if (!Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${name} must be a finite positive number, got ${v}.`);
  return v;
}
