import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { Hdf5LayoutError, Hdf5ReadError, readLabH5 } from '@dbvae/core-data';

let dir: string;
beforeAll(async () => {
  await h5wasm.ready;
  dir = mkdtempSync(join(tmpdir(), 'core-data-h5-integrity-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 64;
/** Smooth (compressible) images, so that deflate codes them and a damaged byte breaks decompression. */
function images(): Uint8Array {
  const out = new Uint8Array(N * 64 * 64 * 3);
  for (let i = 0; i < out.length; i++) out[i] = ((i >> 6) + (i % 7)) & 255;
  return out;
}

/** A lab-layout file with gzip-compressed 8-image chunks, written with h5wasm itself. */
function writeGzipFile(path: string): void {
  const f = new h5wasm.File(path, 'w');
  try {
    f.create_dataset({ name: 'images', data: images(), shape: [N, 64, 64, 3], dtype: '<B', chunks: [8, 64, 64, 3], compression: 'gzip' });
    f.create_dataset({ name: 'labels', data: new Float32Array(N).map((_, i) => i % 2), shape: [N, 1], dtype: '<f' });
  } finally {
    f.close();
  }
}

/** Overwrites `count` bytes in the middle of the file (inside the compressed image chunks). */
function damageMiddle(src: string, dst: string, count = 256): void {
  const bytes = readFileSync(src);
  const mid = Math.floor(bytes.length / 2);
  bytes.fill(0xff, mid, mid + count);
  writeFileSync(dst, bytes);
}

describe('readLabH5 checks every read', () => {
  it('reads an intact gzip-chunked file exactly', async () => {
    const path = join(dir, 'good.h5');
    writeGzipFile(path);
    const d = await readLabH5(path);
    expect(d.n).toBe(N);
    expect(Buffer.from(d.images).equals(Buffer.from(images()))).toBe(true);
  });

  it('a corrupt chunk is a typed error naming the file and the dataset, never zeros or stale bytes', async () => {
    const good = join(dir, 'good2.h5');
    const bad = join(dir, 'bad.h5');
    writeGzipFile(good);
    damageMiddle(good, bad);
    // Read an intact file first, so the heap holds image bytes that a failed read could hand back.
    await readLabH5(good);
    const error = await readLabH5(bad).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Hdf5ReadError);
    expect(error).toBeInstanceOf(Hdf5LayoutError);
    const e = error as Hdf5ReadError;
    expect(e.problem).toBe('corrupt');
    expect(e.dataset).toBe('images');
    expect(e.message).toContain(bad);
    expect(e.message).toMatch(/dataset 'images'/);
    expect(e.diagnostic).toMatch(/HDF5/);
    // The good file still reads exactly afterwards (the library's state is intact).
    expect(Buffer.from((await readLabH5(good)).images).equals(Buffer.from(images()))).toBe(true);
  });

  it('prints the HDF5 error stack only when DBVAE_HDF5_DIAGNOSTICS=1 (the CLI suite checks the quiet default in a real process)', async () => {
    const good = join(dir, 'good3.h5');
    const bad = join(dir, 'bad3.h5');
    writeGzipFile(good);
    damageMiddle(good, bad);
    let printed = '';
    const write = process.stderr.write;
    process.stderr.write = ((text: string) => ((printed += text), true)) as typeof process.stderr.write;
    process.env.DBVAE_HDF5_DIAGNOSTICS = '1';
    try {
      await expect(readLabH5(bad)).rejects.toBeInstanceOf(Hdf5ReadError);
    } finally {
      process.stderr.write = write;
      delete process.env.DBVAE_HDF5_DIAGNOSTICS;
    }
    expect(printed).toMatch(/H5Dread|filter/);
  });

  it('an unopenable file (signature, then garbage) is reported without diagnostics', async () => {
    const good = join(dir, 'good4.h5');
    writeGzipFile(good);
    const bytes = readFileSync(good);
    bytes.fill(0, 8, 2048);
    const path = join(dir, 'garbled.h5');
    writeFileSync(path, bytes);
    await expect(readLabH5(path)).rejects.toMatchObject({ problem: 'corrupt' });
  });
});
