import { InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { toMatrix, type MatrixLike } from './matrix';

/** A square symmetric matrix of `size * size` values in row-major order. */
export interface SquareMatrix {
  /** Row-major values. */
  data: Float64Array;
  /** Number of rows and of columns. */
  size: number;
}

/**
 * Sample covariance matrix of the columns of `x` (each row is one observation), with the
 * unbiased `1 / (n - 1)` normalisation, computed in float64 with centred data (two passes).
 *
 * @param x - Observations, `[n, k]`, `n >= 2`.
 * @returns The `[k, k]` covariance matrix.
 * @throws ShapeError when `x` has fewer than two rows.
 * @example
 * ```ts
 * const cov = covarianceMatrix({ data: new Float64Array([1, 2, 2, 4, 3, 6]), rows: 3, cols: 2 });
 * // cov.data = [1, 2, 2, 4]
 * ```
 */
export function covarianceMatrix(x: MatrixLike): SquareMatrix {
  const m = toMatrix(x, 'covarianceMatrix');
  const { rows: n, cols: k, data } = m;
  if (n < 2) throw new ShapeError(`covarianceMatrix: need at least 2 observations, got ${n}.`);
  const mean = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) mean[j]! += data[i * k + j]!;
  for (let j = 0; j < k; j++) mean[j]! /= n;
  const cov = new Float64Array(k * k);
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) row[j] = data[i * k + j]! - mean[j]!;
    for (let a = 0; a < k; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      for (let b = a; b < k; b++) cov[a * k + b]! += ra * row[b]!;
    }
  }
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      const v = cov[a * k + b]! / (n - 1);
      cov[a * k + b] = v;
      cov[b * k + a] = v;
    }
  }
  return { data: cov, size: k };
}

/**
 * Pearson correlation matrix from a covariance matrix: `r_ab = cov_ab / sqrt(cov_aa cov_bb)`.
 * Entries involving a column with zero variance are `NaN` (the correlation is undefined), its
 * diagonal entry too.
 *
 * @param cov - A covariance matrix from {@link covarianceMatrix}.
 */
export function correlationFromCovariance(cov: SquareMatrix): SquareMatrix {
  const { size: k, data } = cov;
  const out = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      const d = Math.sqrt(data[a * k + a]! * data[b * k + b]!);
      out[a * k + b] = d > 0 ? Math.max(-1, Math.min(1, data[a * k + b]! / d)) : Number.NaN;
    }
  }
  return { data: out, size: k };
}

/** A least-squares line `y ~ slope * x + intercept` with Pearson's `r`. */
export interface LinearFit {
  /** Slope of the least-squares line. */
  slope: number;
  /** Intercept of the least-squares line. */
  intercept: number;
  /** Pearson correlation of x and y (`NaN` if either is constant). */
  r: number;
  /** Number of points. */
  n: number;
}

/**
 * Ordinary least-squares fit of `y` on `x`, for the regression plots of a bias report.
 *
 * @throws ShapeError when lengths differ or fewer than two points are given.
 * @throws InvalidArgumentError when `x` is constant (the slope is undefined).
 */
export function linearRegression(x: ArrayLike<number>, y: ArrayLike<number>): LinearFit {
  const n = x.length;
  if (y.length !== n) throw new ShapeError(`linearRegression: x has ${n} values but y has ${y.length}.`);
  if (n < 2) throw new ShapeError(`linearRegression: need at least 2 points, got ${n}.`);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (!(sxx > 0)) throw new InvalidArgumentError('linearRegression: x is constant, so the slope is undefined; walk with a non-zero step.');
  const slope = sxy / sxx;
  const r = syy > 0 ? sxy / Math.sqrt(sxx * syy) : Number.NaN;
  return { slope, intercept: my - slope * mx, r, n };
}

/**
 * The `p`-th percentile (0..100) of `values` with linear interpolation between order
 * statistics (numpy's default `linear` method).
 *
 * @throws ShapeError on an empty input; InvalidArgumentError when `p` is outside [0, 100].
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) throw new ShapeError('percentile: no values given.');
  if (!(p >= 0 && p <= 100)) throw new InvalidArgumentError(`percentile: p must be in [0, 100], got ${p}.`);
  const sorted = Float64Array.from(values).sort();
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}
