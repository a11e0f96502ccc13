import { InvalidArgumentError, ShapeError } from '@dbvae/backend';
import type { ImageGridRow, RgbImage } from './types';

/** A batch of packed RGB images, as `@dbvae/core-data` holds them: `n * height * width * 3` bytes. */
export interface PackedImages {
  /** Pixels, image after image, channel-last RGB. */
  data: Uint8Array;
  /** Number of images. */
  n: number;
  /** Image width. Default 64. */
  width?: number;
  /** Image height. Default 64. */
  height?: number;
}

function check(images: PackedImages, scores: ArrayLike<number>, where: string): { w: number; h: number; size: number } {
  const w = images.width ?? 64;
  const h = images.height ?? 64;
  const size = w * h * 3;
  if (!Number.isInteger(images.n) || images.n <= 0) throw new InvalidArgumentError(`${where}: no images.`);
  if (images.data.length !== images.n * size) throw new ShapeError(`${where}: ${images.data.length} bytes for ${images.n} images of ${w}x${h}x3; expected ${images.n * size}.`);
  if (scores.length !== images.n) throw new ShapeError(`${where}: ${scores.length} scores for ${images.n} images.`);
  for (let i = 0; i < scores.length; i++) if (!Number.isFinite(scores[i] as number)) throw new InvalidArgumentError(`${where}: score ${i} is ${scores[i]}; scores must be finite.`);
  return { w, h, size };
}

function ascending(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number) || a - b);
}

/**
 * The lab's "average face per percentile": sorts images by score (ascending), cuts them into
 * `chunks` consecutive chunks (earlier chunks take the remainder, as numpy's `array_split`) and
 * averages each chunk pixel by pixel. With a bias score (a density), the first image is the
 * average of the rarest faces.
 * @returns One grid row of `chunks` images.
 * @throws InvalidArgumentError for no images, non-finite scores or a chunk count outside [1, n]; ShapeError for size mismatches.
 */
export function averageFacesPerPercentile(images: PackedImages, scores: ArrayLike<number>, chunks = 10, label = 'mean face'): ImageGridRow {
  const { w, h, size } = check(images, scores, 'averageFacesPerPercentile');
  if (!Number.isInteger(chunks) || chunks < 1 || chunks > images.n) throw new InvalidArgumentError(`averageFacesPerPercentile: chunks must be an integer in [1, ${images.n}], got ${chunks}.`);
  const order = ascending(scores);
  const base = Math.floor(images.n / chunks);
  const extra = images.n % chunks;
  const out: RgbImage[] = [];
  let start = 0;
  const acc = new Float64Array(size);
  for (let c = 0; c < chunks; c++) {
    const count = base + (c < extra ? 1 : 0);
    acc.fill(0);
    for (let k = start; k < start + count; k++) {
      const off = (order[k] as number) * size;
      for (let j = 0; j < size; j++) acc[j]! += images.data[off + j] as number;
    }
    start += count;
    const data = new Uint8Array(size);
    for (let j = 0; j < size; j++) data[j] = Math.round((acc[j] as number) / count);
    out.push({ data, width: w, height: h });
  }
  return { label, images: out };
}

/**
 * The `k` images with the lowest and the highest score, as two grid rows (lowest first, in
 * ascending order; highest in descending order). With a bias score: the least and the most
 * represented faces.
 * @throws InvalidArgumentError for no images, non-finite scores or `k` outside [1, n]; ShapeError for size mismatches.
 */
export function extremeImages(images: PackedImages, scores: ArrayLike<number>, k = 8, labels: [string, string] = ['least', 'most']): ImageGridRow[] {
  const { w, h, size } = check(images, scores, 'extremeImages');
  if (!Number.isInteger(k) || k < 1 || k > images.n) throw new InvalidArgumentError(`extremeImages: k must be an integer in [1, ${images.n}], got ${k}.`);
  const order = ascending(scores);
  const pick = (i: number): RgbImage => ({ data: images.data.slice(i * size, (i + 1) * size), width: w, height: h });
  return [
    { label: labels[0], images: order.slice(0, k).map(pick) },
    { label: labels[1], images: order.slice(-k).reverse().map(pick) },
  ];
}
