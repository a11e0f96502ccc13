import { tf, InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { assertFinite } from './matrix';

/** An RGB image as raw bytes: `data[(y * width + x) * 3 + c]`, 8 bits per channel. */
export interface ImageGrid {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Row-major RGB bytes, `width * height * 3` of them. */
  data: Uint8Array;
}

/** Options of {@link imageGrid}. */
export interface ImageGridOptions {
  /**
   * The pixel values that map to black and white, `[low, high]`; values outside are clipped.
   * Default `[0, 1]`. Use `[-1, 1]` for a generator that ends in `tanh`.
   */
  valueRange?: [number, number];
  /** Pixels of border between and around tiles. Default 2. */
  padding?: number;
  /** Border grey level, 0..255. Default 255 (white). */
  padValue?: number;
}

/**
 * Tiles a batch of NHWC images into one RGB image, `rows` by `cols`, filled row by row
 * (image `r * cols + c` lands in row `r`, column `c`). One-channel images are drawn grey;
 * only the first three channels of images with more are used.
 *
 * @param images - `[rows * cols, height, width, channels]`, channels 1, 3 or more. Not disposed.
 * @param rows - Number of tile rows.
 * @param cols - Number of tile columns.
 * @param options - See {@link ImageGridOptions}.
 * @returns The grid as raw RGB bytes, ready for a PNG encoder.
 * @throws ShapeError when the batch size is not `rows * cols` or the tensor is not rank 4.
 * @throws InvalidArgumentError on bad options or non-finite pixels.
 * @example
 * ```ts
 * const grid = imageGrid(images, 4, 8, { valueRange: [-1, 1] });
 * // grid.width === 8 * (w + 2) + 2
 * ```
 */
export function imageGrid(images: tf.Tensor4D, rows: number, cols: number, options: ImageGridOptions = {}): ImageGrid {
  if (!(images instanceof tf.Tensor) || images.rank !== 4) {
    throw new ShapeError('imageGrid: images must be a rank-4 tensor [n, height, width, channels].');
  }
  if (!Number.isInteger(rows) || rows <= 0 || !Number.isInteger(cols) || cols <= 0) {
    throw new InvalidArgumentError(`imageGrid: rows and cols must be positive integers, got ${rows} and ${cols}.`);
  }
  const [n, h, w, c] = images.shape;
  if (n !== rows * cols) throw new ShapeError(`imageGrid: ${n} images do not fill ${rows} x ${cols} tiles; pass exactly ${rows * cols}.`);
  const [lo, hi] = options.valueRange ?? [0, 1];
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) {
    throw new InvalidArgumentError(`imageGrid: valueRange must be two finite numbers with low < high, got [${lo}, ${hi}].`);
  }
  const pad = options.padding ?? 2;
  if (!Number.isInteger(pad) || pad < 0) throw new InvalidArgumentError(`imageGrid: padding must be a non-negative integer, got ${pad}.`);
  const padValue = options.padValue ?? 255;
  if (!Number.isInteger(padValue) || padValue < 0 || padValue > 255) {
    throw new InvalidArgumentError(`imageGrid: padValue must be an integer in 0..255, got ${padValue}.`);
  }
  const px = images.dataSync();
  assertFinite(px, 'imageGrid: images');
  const width = cols * (w + pad) + pad;
  const height = rows * (h + pad) + pad;
  const data = new Uint8Array(width * height * 3).fill(padValue);
  const scale = 255 / (hi - lo);
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / cols);
    const col = i % cols;
    const x0 = pad + col * (w + pad);
    const y0 = pad + r * (h + pad);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const src = ((i * h + y) * w + x) * c;
        const dst = ((y0 + y) * width + x0 + x) * 3;
        for (let ch = 0; ch < 3; ch++) {
          const v = px[src + (c >= 3 ? ch : 0)]!;
          data[dst + ch] = Math.round(Math.min(255, Math.max(0, (v - lo) * scale)));
        }
      }
    }
  }
  return { width, height, data };
}
