import { describe, it, expect } from 'vitest';
import sharp from 'sharp';
import { ShapeError, InvalidArgumentError } from '@dbvae/backend';
import { imageGridPng, toRgbImage } from '../src/report/image-grid';

function solid(r: number, g: number, b: number, w = 64, h = 64) {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set([r, g, b], i * 3);
  return { data, width: w, height: h };
}

describe('imageGridPng', () => {
  it('lays out rows of images at the given scale and gap, pixels intact', async () => {
    const png = await imageGridPng([{ images: [solid(255, 0, 0), solid(0, 255, 0)] }, { images: [solid(0, 0, 255)] }], { scale: 2, gap: 4 });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    // 2 columns of 128 px + 3 gaps; 2 rows of 128 px + 3 gaps.
    expect(info.width).toBe(4 + 2 * (128 + 4));
    expect(info.height).toBe(4 + 2 * (128 + 4));
    const px = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    expect(px(4, 4)).toEqual([255, 0, 0]);
    expect(px(4 + 127, 4 + 127)).toEqual([255, 0, 0]);
    expect(px(4 + 132, 4)).toEqual([0, 255, 0]);
    expect(px(4, 4 + 132)).toEqual([0, 0, 255]);
    expect(px(2, 2)).toEqual([255, 255, 255]); // gap
    expect(px(4 + 132 + 10, 4 + 132 + 10)).toEqual([255, 255, 255]); // empty cell
  });

  it('keeps single pixels crisp (nearest-neighbour scaling) and reserves a label column', async () => {
    const img = solid(0, 0, 0, 2, 1);
    img.data.set([200, 100, 50], 3); // right pixel
    const png = await imageGridPng([{ label: 'least', images: [img] }], { scale: 3, gap: 0, labelWidth: 10 });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([10 + 6, 3]);
    const px = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    expect(px(10 + 2, 1)).toEqual([0, 0, 0]);
    expect(px(10 + 3, 1)).toEqual([200, 100, 50]);
  });

  it('rejects mis-sized images and empty grids', async () => {
    await expect(imageGridPng([{ images: [{ data: new Uint8Array(10) }] }])).rejects.toThrow(ShapeError);
    await expect(imageGridPng([])).rejects.toThrow(InvalidArgumentError);
    await expect(imageGridPng([{ images: [] }])).rejects.toThrow(/empty/);
    await expect(imageGridPng([{ images: [solid(0, 0, 0)] }], { scale: 0 })).rejects.toThrow(InvalidArgumentError);
  });
});

describe('toRgbImage', () => {
  it('scales, rounds and clamps float pixels', () => {
    const img = toRgbImage([0, 0.5, 1, 1.2, -0.1, 0.002], 2, 1);
    expect(Array.from(img.data)).toEqual([0, 128, 255, 255, 0, 1]);
    expect(Array.from(toRgbImage([0, 127.6, 300], 1, 1, 'byte').data)).toEqual([0, 128, 255]);
    expect(() => toRgbImage([0, 0], 1, 1)).toThrow(ShapeError);
    expect(() => toRgbImage([0, Number.NaN, 0], 1, 1)).toThrow(InvalidArgumentError);
  });
});
