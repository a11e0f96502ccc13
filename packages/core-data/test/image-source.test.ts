import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import h5wasm from 'h5wasm/node';
import { initBackend, InvalidArgumentError } from '@dbvae/backend';
import { DatasetError, Hdf5LayoutError, iterateImageChunks, loadImageFolder, openImageSource, parseImageList, readLabH5, type ImageChunk, type ImageSource } from '@dbvae/core-data';

let dir: string;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  await h5wasm.ready;
  dir = mkdtempSync(join(tmpdir(), 'core-data-source-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Stored (BGR) byte of image i, pixel p, channel c: a pattern known without any reader. */
const stored = (i: number, p: number, c: number): number => (i * 31 + p * 7 + c * 101) % 256;

/** A lab-layout file written with h5wasm directly, chunked in 5 rows so that reads cross HDF5 chunks. */
function labFile(name: string, n: number, h: number, w: number, labels: number[] = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1))): string {
  const path = join(dir, name);
  const images = new Uint8Array(n * h * w * 3);
  for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) images[(i * h * w + p) * 3 + c] = stored(i, p, c);
  const f = new h5wasm.File(path, 'w');
  f.create_dataset({ name: 'images', data: images, shape: [n, h, w, 3], dtype: '<B', chunks: [Math.min(5, n), h, w, 3] });
  f.create_dataset({ name: 'labels', data: Float32Array.from(labels), shape: [n, 1], dtype: '<f' });
  f.close();
  return path;
}

async function concatChunks(source: ImageSource, chunkSize: number, start?: number, end?: number): Promise<{ chunks: ImageChunk[]; images: Uint8Array; labels: number[]; files: string[]; groups: string[] }> {
  const chunks: ImageChunk[] = [];
  for await (const c of iterateImageChunks(source, { chunkSize, start, end })) chunks.push(c);
  const images = new Uint8Array(chunks.reduce((s, c) => s + c.images.length, 0));
  let off = 0;
  for (const c of chunks) {
    images.set(c.images, off);
    off += c.images.length;
  }
  return { chunks, images, labels: chunks.flatMap((c) => Array.from(c.labels ?? [])), files: chunks.flatMap((c) => c.files ?? []), groups: chunks.flatMap((c) => c.groups ?? []) };
}

describe('openImageSource: lab HDF5', () => {
  it('concatenated chunks of every size equal the whole-file read and the known pattern (RGB)', async () => {
    const n = 23;
    const [h, w] = [3, 4];
    const path = labFile('lab.h5', n, h, w);
    const whole = await readLabH5(path, { channelOrder: 'bgr' });
    const source = await openImageSource(path);
    expect(source.kind).toBe('lab-h5');
    expect([source.n, source.height, source.width]).toEqual([n, h, w]);
    // Independent truth: the pattern with B and R swapped.
    const rgb = new Uint8Array(n * h * w * 3);
    for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) rgb[(i * h * w + p) * 3 + c] = stored(i, p, 2 - c);
    for (const chunkSize of [1, 4, 5, 7, 23, 100]) {
      const got = await concatChunks(source, chunkSize);
      expect(got.chunks.length).toBe(Math.ceil(n / chunkSize));
      expect(got.chunks.map((c) => c.start)).toEqual(Array.from({ length: Math.ceil(n / chunkSize) }, (_, k) => k * chunkSize));
      expect(Buffer.from(got.images).equals(Buffer.from(rgb))).toBe(true);
      expect(got.labels).toEqual(Array.from(whole.labels));
      expect(got.chunks.every((c) => c.failures.length === 0)).toBe(true);
    }
    // A sub-range, as a shard reads it.
    const part = await concatChunks(source, 4, 6, 17);
    expect(part.chunks.map((c) => [c.start, c.n])).toEqual([
      [6, 4],
      [10, 4],
      [14, 3],
    ]);
    expect(Buffer.from(part.images).equals(Buffer.from(rgb.subarray(6 * h * w * 3, 17 * h * w * 3)))).toBe(true);
    await source.close();
    await expect(source.read(0, 1)).rejects.toThrow(/closed/);
  });

  it('rejects bad ranges and chunk sizes, and a label outside {0, 1} at its index', async () => {
    const path = labFile('bad-label.h5', 6, 2, 2, [1, 0, 1, 1, 7, 0]);
    const source = await openImageSource(path);
    await expect(source.read(-1, 2)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(source.read(3, 7)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(iterateImageChunks(source, { chunkSize: 0 }).next()).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(source.read(0, 4)).resolves.toMatchObject({ n: 4 });
    const err = await source.read(2, 6).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Hdf5LayoutError);
    expect((err as Error).message).toMatch(/labels\[4\] = 7/);
    await source.close();
  });
});

async function solid(path: string, w: number, h: number, rgb: [number, number, number]): Promise<void> {
  const buf = Buffer.alloc(w * h * 3);
  for (let p = 0; p < w * h; p++) buf.set(rgb, p * 3);
  await sharp(buf, { raw: { width: w, height: h, channels: 3 } }).png().toFile(path);
}

describe('openImageSource: folders and lists', () => {
  it('a grouped folder read in chunks equals loadImageFolder, files and groups included', async () => {
    const root = join(dir, 'grouped');
    const colours: Record<string, [number, number, number]> = { DF: [110, 70, 50], LF: [250, 200, 170], LM: [230, 180, 150] };
    for (const [g, c] of Object.entries(colours)) {
      mkdirSync(join(root, g), { recursive: true });
      for (let k = 0; k < 3; k++) await solid(join(root, g, `${k}.png`), 10 + k * 7, 12, [c[0] - k, c[1], c[2] + k]);
    }
    const whole = await loadImageFolder(root, { size: [8, 8], groups: true });
    const source = await openImageSource(root, { size: [8, 8] });
    expect(source.kind).toBe('image-folder');
    expect(source.n).toBe(9);
    for (const chunkSize of [1, 2, 4, 9]) {
      const got = await concatChunks(source, chunkSize);
      expect(Buffer.from(got.images).equals(Buffer.from(whole.images))).toBe(true);
      expect(got.files).toEqual(whole.files);
      expect(got.groups).toEqual(whole.groups);
      expect(got.labels).toEqual([]);
    }
    // Solid colours survive resizing exactly: independent of loadImageFolder.
    const first = await source.read(0, 1);
    expect(Array.from(first.images.subarray(0, 3))).toEqual(colours.DF);
  });

  it('a list of paths (relative to the list, comments and blanks skipped) reports an unreadable image as a failure and goes on', async () => {
    const sub = join(dir, 'list-images');
    mkdirSync(sub, { recursive: true });
    await solid(join(sub, 'a.png'), 5, 5, [10, 20, 30]);
    await solid(join(sub, 'b.png'), 9, 3, [40, 50, 60]);
    writeFileSync(join(sub, 'broken.png'), 'not a png at all');
    const listPath = join(dir, 'images.txt');
    writeFileSync(listPath, `# scored images\nlist-images/a.png\n\nlist-images/broken.png\n${join(sub, 'b.png')}\r\nlist-images/missing.png\n`);
    const source = await openImageSource(listPath, { size: [4, 4] });
    expect(source.kind).toBe('image-list');
    expect(source.n).toBe(4);
    const got = await concatChunks(source, 3);
    expect(got.files).toEqual(['list-images/a.png', 'list-images/broken.png', join(sub, 'b.png'), 'list-images/missing.png']);
    const px = (i: number): number[] => Array.from(got.images.subarray(i * 48, i * 48 + 3));
    expect(px(0)).toEqual([10, 20, 30]);
    expect(px(1)).toEqual([0, 0, 0]);
    expect(px(2)).toEqual([40, 50, 60]);
    const failures = got.chunks.flatMap((c) => c.failures);
    expect(failures.map((f) => f.index)).toEqual([1, 3]);
    expect(failures[0]!.reason).toMatch(/broken\.png/);
    expect(failures[1]!.reason).toMatch(/missing\.png/);
  });

  it('parseImageList resolves relative paths against the list folder', () => {
    const { names, absolute } = parseImageList('x.png\n  # c\n/abs/y.jpg\n', '/data/lists/l.txt');
    expect(names).toEqual(['x.png', '/abs/y.jpg']);
    expect(absolute).toEqual(['/data/lists/x.png', '/abs/y.jpg']);
  });

  it('clear errors for a missing path, an empty list and an empty folder', async () => {
    await expect(openImageSource(join(dir, 'nope'))).rejects.toBeInstanceOf(DatasetError);
    writeFileSync(join(dir, 'empty.txt'), '# nothing\n\n');
    await expect(openImageSource(join(dir, 'empty.txt'))).rejects.toThrow(/names no images/);
    mkdirSync(join(dir, 'empty-dir'));
    await expect(openImageSource(join(dir, 'empty-dir'))).rejects.toThrow(/no \.png/);
  });
});
