import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { initBackend, InvalidArgumentError } from '@dbvae/backend';
import { DatasetError, imagesToTensor, loadImageFolder } from '@dbvae/core-data';

let dir: string;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  dir = mkdtempSync(join(tmpdir(), 'core-data-img-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A solid-colour image written by sharp (an independent encoder). */
async function solid(path: string, w: number, h: number, rgb: [number, number, number], alpha?: number, format: 'png' | 'jpeg' = 'png'): Promise<void> {
  const channels = alpha === undefined ? 3 : 4;
  const buf = Buffer.alloc(w * h * channels);
  for (let p = 0; p < w * h; p++) {
    buf[p * channels] = rgb[0];
    buf[p * channels + 1] = rgb[1];
    buf[p * channels + 2] = rgb[2];
    if (alpha !== undefined) buf[p * channels + 3] = alpha;
  }
  const img = sharp(buf, { raw: { width: w, height: h, channels } });
  await (format === 'png' ? img.png() : img.jpeg({ quality: 95 })).toFile(path);
}

describe('loadImageFolder', () => {
  it('loads grouped RGBA and RGB PNGs of several sizes, resized, alpha dropped', async () => {
    const root = join(dir, 'grouped');
    const colours: Record<string, [number, number, number]> = { LF: [250, 200, 170], LM: [230, 180, 150], DF: [110, 70, 50], DM: [90, 60, 40] };
    const sizes: Array<[number, number]> = [
      [60, 60],
      [600, 600],
      [97, 130],
    ];
    for (const [g, c] of Object.entries(colours)) {
      mkdirSync(join(root, g), { recursive: true });
      for (const [k, [w, h]] of sizes.entries()) await solid(join(root, g, `${k}.png`), w, h, c, k === 1 ? 255 : k === 2 ? 40 : undefined);
    }
    writeFileSync(join(root, 'LF', 'notes.txt'), 'not an image');
    const data = await loadImageFolder(root, { size: [64, 64], groups: true });
    expect(data.groupNames).toEqual(['DF', 'DM', 'LF', 'LM']);
    expect(data.files.length).toBe(12);
    expect(data.groups.filter((g) => g === 'DM').length).toBe(3);
    expect(data.images.length).toBe(12 * 64 * 64 * 3);
    for (let i = 0; i < 12; i++) {
      const c = colours[data.groups[i] as string]!;
      // a solid image stays solid after resizing; alpha (even 40/255) is dropped, not composited
      for (const p of [0, 64 * 32 + 17, 4095]) for (let ch = 0; ch < 3; ch++) expect(Math.abs((data.images[(i * 4096 + p) * 3 + ch] as number) - c[ch]!)).toBeLessThanOrEqual(1);
    }
    expect(data.files[0]).toBe(join('DF', '0.png'));
    const x = imagesToTensor(data, { indices: [0, 5] });
    expect(x.shape).toEqual([2, 64, 64, 3]);
    expect((await x.data())[0]).toBeCloseTo(110 / 255, 2);
    x.dispose();
  });

  it('resizes bilinearly: a left/right split image keeps its halves and blends at the seam', async () => {
    const root = join(dir, 'flat');
    mkdirSync(root, { recursive: true });
    const w = 128;
    const h = 32;
    const buf = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) buf.fill(x < w / 2 ? 0 : 200, (y * w + x) * 3, (y * w + x) * 3 + 3);
    await sharp(buf, { raw: { width: w, height: h, channels: 3 } }).png().toFile(join(root, 'split.png'));
    await solid(join(root, 'b.jpg'), 40, 50, [20, 140, 220], undefined, 'jpeg');
    const data = await loadImageFolder(root, { size: [8, 16] });
    expect(data.files).toEqual(['b.jpg', 'split.png']);
    expect(data.groups).toEqual(['', '']);
    const row = Array.from({ length: 16 }, (_, x) => data.images[(8 * 16 + 4 * 16 + x) * 3] as number);
    expect(row[0]).toBe(0);
    expect(row[15]).toBe(200);
    expect(row.slice(0, 7).every((v) => v === 0)).toBe(true);
    expect(row.slice(9).every((v) => v === 200)).toBe(true);
    // JPEG decoded close to its colour
    expect(Math.abs((data.images[0] as number) - 20)).toBeLessThanOrEqual(4);
    expect(Math.abs((data.images[2] as number) - 220)).toBeLessThanOrEqual(4);
  });

  it('gives typed errors for a missing folder, no images, a corrupt file and a bad size', async () => {
    await expect(loadImageFolder(join(dir, 'missing'))).rejects.toThrow(DatasetError);
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    await expect(loadImageFolder(empty)).rejects.toThrow(/no .png/);
    const bad = join(dir, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'broken.png'), 'definitely not a png');
    await expect(loadImageFolder(bad)).rejects.toThrow(/cannot decode .*broken.png/);
    await expect(loadImageFolder(bad, { size: [0, 64] })).rejects.toThrow(InvalidArgumentError);
  });
});
