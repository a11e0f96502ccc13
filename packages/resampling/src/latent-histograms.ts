import { InvalidArgumentError } from '@dbvae/backend';
import { checkBins, toLatentMatrix, type LatentInput, type LatentMatrix } from './latent-input';

/** Options of {@link latentHistograms}. */
export interface LatentHistogramOptions {
  /** `[n, k]`: required for a typed-array input, checked against a tensor's shape otherwise. */
  shape?: readonly [number, number];
  /** Equal-width bins per dimension. Default 10 (the lab's). */
  bins?: number;
}

/** Bin indices per sample and dimension, in the narrowest integer type that holds `bins`. */
export type BinIndexArray = Uint8Array | Uint16Array | Int32Array;

/**
 * Per-dimension histograms of a latent matrix, with the lab's `np.histogram(density=True)` plus
 * `np.digitize` semantics. Arrays are flat: dimension `j`, bin `b` sits at `j * bins + b`
 * (edges at `j * (bins + 1) + b`); `binIndex` is row-major, `[i * k + j]`.
 */
export interface LatentHistograms {
  /** Number of samples. */
  readonly n: number;
  /** Number of latent dimensions. */
  readonly k: number;
  /** Bins per dimension. */
  readonly bins: number;
  /**
   * Bin edges, `bins + 1` per dimension, in float64 whatever the input's precision: `i * ((hi -
   * lo) / bins) + lo` as NumPy's `linspace(lo, hi, bins + 1)` computes them over the values
   * taken as float64, last edge exactly `hi`. For digitising, the first and last edges act as
   * -inf and +inf.
   */
  readonly edges: Float64Array;
  /** Sample counts per bin. */
  readonly counts: Int32Array;
  /** Density per bin: `count / width / n` (integrates to 1 over the dimension's range). */
  readonly density: Float64Array;
  /** Bin (0-based) of sample `i` in dimension `j`, at `i * k + j`. */
  readonly binIndex: BinIndexArray;
  /**
   * 1 where the dimension carries no usable spread and contributes uniformly to the weights:
   * its range is zero (all samples equal), or so narrow that a bin has zero width in the
   * working precision (NumPy would produce NaN there). Its histogram is taken over
   * `[lo - 0.5, hi + 0.5]` in float64, NumPy's expansion of an empty range (for values beyond
   * 2^19 in magnitude the margin grows to `|value| * 2^-20` so the bins stay representable).
   */
  readonly uniform: Uint8Array;
}

/**
 * Computes per-dimension equal-width histograms of latent codes (n samples x k dims).
 *
 * For each dimension the range `[min, max]` is cut into `bins` equal bins; a sample falls in bin
 * `b` when `edges[b] <= x < edges[b + 1]`, with the outer edges open to -inf and +inf (so the
 * maximum lands in the last bin, exactly as the lab's `np.digitize(x, edges)` after setting
 * `edges[0] = -inf, edges[-1] = +inf`). Densities are `count / (n * width)`, as
 * `np.histogram(density=True)`.
 *
 * @param latents - `tf.Tensor2D` `[n, k]`, or a row-major `Float32Array`/`Float64Array` with `options.shape`.
 * @param options - `shape`, `bins` (default 10).
 * @returns The histograms; see {@link LatentHistograms}.
 * @throws ShapeError for a missing or mismatched shape or an empty matrix.
 * @throws InvalidArgumentError for NaN/Infinity in the latents, `bins < 1`, or a range too wide to represent.
 * @example
 * ```ts
 * const h = latentHistograms(new Float64Array([0, 1, 2, 3]), { shape: [4, 1], bins: 2 });
 * // h.counts = [2, 2], h.density = [0.5 / 1.5, 0.5 / 1.5]
 * ```
 */
export function latentHistograms(latents: LatentInput, options: LatentHistogramOptions = {}): LatentHistograms {
  const bins = options.bins ?? 10;
  checkBins(bins, 'latentHistograms');
  const m = toLatentMatrix(latents, options.shape, 'latentHistograms');
  return histogramsOf(m, bins, 'latentHistograms');
}

/** Columns gathered per block by {@link gatherColumns}: 16 float32 values fill a 64-byte cache line. */
export const COLUMN_BLOCK = 16;

/**
 * Copies columns `j0 .. j0 + width - 1` of the row-major matrix into `buf` column-major (column
 * `c` at `c * n`), as float64 (exact for float32 input); writes each column's minimum and maximum
 * to `lo[c]` and `hi[c]`, and throws `InvalidArgumentError` at the first NaN or Infinity.
 * Reading `width` neighbouring columns per row touches each cache line of the input once.
 */
export function gatherColumns(m: LatentMatrix, j0: number, width: number, buf: Float64Array, lo: Float64Array, hi: Float64Array, caller: string): void {
  const { data, n, k } = m;
  lo.fill(Infinity);
  hi.fill(-Infinity);
  for (let i = 0, off = j0; i < n; i++, off += k) {
    for (let c = 0, t = i; c < width; c++, t += n) {
      const x = data[off + c]!;
      if (x - x !== 0) throw nonFinite(caller, x, i, j0 + c);
      buf[t] = x;
      if (x < lo[c]!) lo[c] = x;
      if (x > hi[c]!) hi[c] = x;
    }
  }
}

/** Per-column scratch of {@link binColumn}. */
export interface ColumnBins {
  /** `bins + 1` edges. */
  readonly edges: Float64Array;
  /** `bins` widths, `edges[b + 1] - edges[b]` in float64 (NumPy's `np.diff` of the edges). */
  readonly widths: Float64Array;
  /** `bins` counts. */
  readonly counts: Int32Array;
  /** `bins` densities, `count / width / n`. */
  readonly density: Float64Array;
  /** `n` bin indices. */
  readonly index: BinIndexArray;
  /** `bins + 1` edges with the outer two at -inf and +inf (the digitize view). */
  readonly open: Float64Array;
}

/** Allocates the scratch of {@link binColumn}. */
export function columnBins(n: number, bins: number): ColumnBins {
  return {
    edges: new Float64Array(bins + 1),
    widths: new Float64Array(bins),
    counts: new Int32Array(bins),
    density: new Float64Array(bins),
    index: indexArray(n, bins),
    open: new Float64Array(bins + 1),
  };
}

/**
 * Histogram of one column, `col[off .. off + n - 1]` (finite values, range `[lo, hi]`): fills
 * `out` and returns true when the dimension is flagged uniform (zero range, or a zero-width bin in the working
 * precision). This is the hot loop: one pass over the column, with the reciprocal bin width and
 * the edges in locals.
 */
export function binColumn(col: Float64Array, off: number, n: number, lo: number, hi: number, bins: number, out: ColumnBins, caller: string, j: number): boolean {
  const { edges, widths, counts, density, index, open } = out;
  let a = lo;
  let b = hi;
  if (!Number.isFinite(b - a)) {
    throw new InvalidArgumentError(`${caller}: the range of latent dimension ${j} ([${a}, ${b}]) overflows a float64; rescale the latents.`);
  }
  let uniform = a === b || !fillEdges(edges, widths, bins, a, b);
  if (uniform) {
    // NumPy's expansion of an empty range (+-0.5), in float64; widened for |values| > 2^19
    // so that the expanded range stays resolvable.
    const h = Math.max(0.5, Math.max(Math.abs(a), Math.abs(b)) * 2 ** -20);
    a -= h;
    b += h;
    fillEdges(edges, widths, bins, a, b);
    uniform = true;
  }
  // Bin of x: the estimate floor((x - a) / width), from the precomputed reciprocal width, is
  // exact unless x lies within rounding distance `tol` (in bins) of an edge; only then is it
  // corrected against the stored edges (outer edges at
  // -inf and +inf). The result is exactly `edges[q] <= x < edges[q + 1]`, the maximum in the
  // last bin.
  const scale = bins / (b - a);
  const last = bins - 1;
  open[0] = -Infinity;
  for (let q = 1; q < bins; q++) open[q] = edges[q]!;
  open[bins] = Infinity;
  // Relative rounding of the estimate and of the edges, in units of bins, with a wide margin.
  const tol = uniform ? 1 : Math.max(Math.abs(a), Math.abs(b)) * scale * 2 ** -45 + 2 ** -30;
  const hiTol = 1 - tol;
  counts.fill(0);
  for (let i = 0, t = off; i < n; i++, t++) {
    const x = col[t]!;
    const f = (x - a) * scale;
    let q = f | 0;
    const frac = f - q;
    if (frac < tol || frac > hiTol || q > last) {
      if (q > last) q = last;
      while (x < open[q]!) q--;
      while (x >= open[q + 1]!) q++;
    }
    index[i] = q;
    counts[q]!++;
  }
  // Densities, in NumPy's order of operations: count / width / n.
  for (let q = 0; q < bins; q++) density[q] = counts[q]! / widths[q]! / n;
  return uniform;
}

/** The narrowest integer array that holds bin indices `0 .. bins - 1`. */
function indexArray(length: number, bins: number): BinIndexArray {
  return bins <= 256 ? new Uint8Array(length) : bins <= 65536 ? new Uint16Array(length) : new Int32Array(length);
}

/** Histogram core on a validated matrix (internal). */
export function histogramsOf(m: LatentMatrix, bins: number, caller: string): LatentHistograms {
  const { n, k } = m;
  const edges = new Float64Array(k * (bins + 1));
  const counts = new Int32Array(k * bins);
  const density = new Float64Array(k * bins);
  const uniform = new Uint8Array(k);
  const binIndex = indexArray(n * k, bins);
  const buf = new Float64Array(COLUMN_BLOCK * n);
  const scratch = columnBins(n, bins);
  const lo = new Float64Array(COLUMN_BLOCK);
  const hi = new Float64Array(COLUMN_BLOCK);
  for (let j0 = 0; j0 < k; j0 += COLUMN_BLOCK) {
    const width = Math.min(COLUMN_BLOCK, k - j0);
    gatherColumns(m, j0, width, buf, lo, hi, caller);
    for (let c = 0; c < width; c++) {
      const j = j0 + c;
      uniform[j] = binColumn(buf, c * n, n, lo[c]!, hi[c]!, bins, scratch, caller, j) ? 1 : 0;
      edges.set(scratch.edges, j * (bins + 1));
      counts.set(scratch.counts, j * bins);
      density.set(scratch.density, j * bins);
      const index = scratch.index;
      for (let i = 0, t = j; i < n; i++, t += k) binIndex[t] = index[i]!;
    }
  }
  return { n, k, bins, edges, counts, density, binIndex, uniform };
}

/**
 * Writes the edges and widths of the range [a, b] in float64, as NumPy's `histogram` does for
 * float64 values: `linspace` gives edge `i` as `i * step + a` with `step = (b - a) / bins` and
 * sets the last edge to `b` exactly; the widths are `np.diff` of those edges. Returns false when
 * some width is zero.
 */
function fillEdges(edges: Float64Array, widths: Float64Array, bins: number, a: number, b: number): boolean {
  const step = (b - a) / bins;
  edges[0] = a;
  for (let i = 1; i < bins; i++) edges[i] = i * step + a;
  edges[bins] = b;
  let ok = true;
  for (let i = 0; i < bins; i++) {
    const w = edges[i + 1]! - edges[i]!;
    widths[i] = w;
    if (!(w > 0)) ok = false;
  }
  return ok;
}

function nonFinite(caller: string, x: number, i: number, j: number): InvalidArgumentError {
  return new InvalidArgumentError(`${caller}: latents must be finite, found ${x} at sample ${i}, dimension ${j}; check the encoder for NaN/Infinity (e.g. a diverging loss) before resampling.`);
}
