import sharp from 'sharp';
import { InvalidArgumentError, ShapeError } from '@dbvae/backend';
import type { ImageGridRow, RgbImage } from './types';

/** Options of {@link imageGridPng}. */
export interface ImageGridOptions {
  /** Each image is enlarged by this integer factor (nearest neighbour, so pixels stay crisp). Default 2. */
  scale?: number;
  /** Pixels between images and around the grid. Default 4. */
  gap?: number;
  /** Width in pixels of the label column at the left (0 for none). Default: 110 when any row has a label, else 0. */
  labelWidth?: number;
  /** Background colour. Default `'#ffffff'`. */
  background?: string;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

function checkImage(img: RgbImage, where: string): { w: number; h: number } {
  const w = img.width ?? 64;
  const h = img.height ?? 64;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0) throw new InvalidArgumentError(`${where}: width and height must be positive integers, got ${w}x${h}.`);
  if (img.data.length !== w * h * 3) throw new ShapeError(`${where}: ${img.data.length} bytes for a ${w}x${h} RGB image; expected ${w * h * 3} (height * width * 3, channel-last).`);
  return { w, h };
}

/**
 * Lays rows of RGB images (the lab's 64x64 faces) out as one PNG, optionally with a text label
 * at the left of each row: "average face per percentile", "most and least represented faces".
 * Cells are as large as the largest image; smaller images are centred.
 * @throws InvalidArgumentError for no rows, an empty grid or a bad option; ShapeError when an image's byte count does not match its size.
 * @example
 * const png = await imageGridPng([{ label: 'least', images: faces.slice(0, 8) }, { label: 'most', images: faces.slice(-8) }]);
 */
export async function imageGridPng(rows: readonly ImageGridRow[], options: ImageGridOptions = {}): Promise<Buffer> {
  const scale = options.scale ?? 2;
  const gap = options.gap ?? 4;
  if (!Number.isInteger(scale) || scale < 1 || scale > 16) throw new InvalidArgumentError(`imageGridPng: scale must be an integer in [1, 16], got ${scale}.`);
  if (!Number.isInteger(gap) || gap < 0) throw new InvalidArgumentError(`imageGridPng: gap must be a non-negative integer, got ${gap}.`);
  if (rows.length === 0) throw new InvalidArgumentError('imageGridPng: no rows.');
  const hasLabels = rows.some((r) => r.label);
  const labelWidth = options.labelWidth ?? (hasLabels ? 110 : 0);
  let cellW = 0;
  let cellH = 0;
  let cols = 0;
  rows.forEach((row, r) => {
    cols = Math.max(cols, row.images.length);
    row.images.forEach((img, c) => {
      const { w, h } = checkImage(img, `imageGridPng: row ${r} image ${c}`);
      cellW = Math.max(cellW, w * scale);
      cellH = Math.max(cellH, h * scale);
    });
  });
  if (cols === 0) throw new InvalidArgumentError('imageGridPng: every row is empty.');
  const width = labelWidth + gap + cols * (cellW + gap);
  const height = gap + rows.length * (cellH + gap);
  const composites: Parameters<ReturnType<typeof sharp>['composite']>[0] = [];
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const top = gap + r * (cellH + gap);
    for (let c = 0; c < row.images.length; c++) {
      const img = row.images[c]!;
      const w = img.width ?? 64;
      const h = img.height ?? 64;
      const buf = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
      const input = await sharp(buf, { raw: { width: w, height: h, channels: 3 } }).resize(w * scale, h * scale, { kernel: 'nearest' }).png().toBuffer();
      composites.push({ input, left: labelWidth + gap + c * (cellW + gap) + Math.floor((cellW - w * scale) / 2), top: top + Math.floor((cellH - h * scale) / 2) });
    }
  }
  if (labelWidth > 0) {
    const texts = rows
      .map((row, r) => (row.label ? `<text x="${labelWidth - 8}" y="${gap + r * (cellH + gap) + cellH / 2}" text-anchor="end" dominant-baseline="middle" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="17" font-weight="600" fill="#334155">${escapeXml(row.label)}</text>` : ''))
      .join('');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth}" height="${height}">${texts}</svg>`;
    composites.push({ input: Buffer.from(svg), left: 0, top: 0 });
  }
  return sharp({ create: { width, height, channels: 3, background: options.background ?? '#ffffff' } })
    .composite(composites)
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/**
 * Converts a float image (such as a tensor's `dataSync()` of a mean face, channel-last RGB) to
 * the bytes {@link imageGridPng} draws: values in [0, 1] (`range: 'unit'`, the default; the
 * lab's scaling) or [0, 255] (`'byte'`) are scaled, rounded and clamped.
 * @throws ShapeError when the length is not `height * width * 3`; InvalidArgumentError for NaN.
 * @example
 * const face = toRgbImage(chunk.meanImage.dataSync()); // 64 x 64 x 3 floats in [0, 1]
 */
export function toRgbImage(values: ArrayLike<number>, width = 64, height = 64, range: 'unit' | 'byte' = 'unit'): RgbImage {
  if (values.length !== width * height * 3) throw new ShapeError(`toRgbImage: ${values.length} values for a ${width}x${height} RGB image; expected ${width * height * 3}.`);
  const k = range === 'unit' ? 255 : 1;
  const data = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) throw new InvalidArgumentError(`toRgbImage: value ${i} is NaN.`);
    data[i] = Math.max(0, Math.min(255, Math.round(v * k)));
  }
  return { data, width, height };
}
