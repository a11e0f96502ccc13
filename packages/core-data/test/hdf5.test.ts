import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { initBackend, InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { FaceDataset, Hdf5LayoutError, readLabH5, writeLabH5 } from '@dbvae/core-data';

const PY = '/usr/bin/python3';
function hasH5py(): boolean {
  if (!existsSync(PY)) return false;
  try {
    execFileSync(PY, ['-c', 'import h5py, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const H5PY = hasH5py();
if (!H5PY) console.warn(`core-data: ${PY} with h5py not found; skipping the tests that read and write files with h5py (install python3-h5py to run them).`);

let dir: string;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  await h5wasm.ready;
  dir = mkdtempSync(join(tmpdir(), 'core-data-h5-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a file with arbitrary datasets through h5wasm directly (independent of writeLabH5). */
function rawH5(name: string, datasets: Array<{ name: string; data: ArrayLike<number> | string[]; shape: number[]; dtype: string }>): string {
  const path = join(dir, name);
  const f = new h5wasm.File(path, 'w');
  for (const d of datasets) f.create_dataset({ name: d.name, data: d.data as Uint8Array, shape: d.shape, dtype: d.dtype });
  f.close();
  return path;
}

async function expectLayoutError(path: string, problem: string, message: RegExp): Promise<void> {
  const err = await readLabH5(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Hdf5LayoutError);
  expect((err as Hdf5LayoutError).problem).toBe(problem);
  expect((err as Hdf5LayoutError).code).toBe('E_HDF5_LAYOUT');
  expect((err as Error).message).toMatch(message);
}

describe('readLabH5 / writeLabH5', () => {
  it.skipIf(!H5PY)('[h5py] reads a lab-layout file written by h5py (BGR uint8, (N,1) float labels)', async () => {
    const path = join(dir, 'h5py.h5');
    // Pixel (i, y, x) = (B, G, R) = (i*10 + y, x, 200 + i); labels alternate 1, 0.
    execFileSync(PY, [
      '-c',
      `
import h5py, numpy as np, sys
n, h, w = 5, 4, 6
im = np.zeros((n, h, w, 3), np.uint8)
for i in range(n):
    for y in range(h):
        for x in range(w):
            im[i, y, x] = (i * 10 + y, x, 200 + i)
with h5py.File(sys.argv[1], 'w') as f:
    f.create_dataset('images', data=im)
    f.create_dataset('labels', data=np.array([[1], [0], [1], [0], [1]], np.float32))
`,
      path,
    ]);
    const data = await readLabH5(path, { sliceBytes: 100 }); // several slices
    expect([data.n, data.height, data.width, data.channelOrder]).toEqual([5, 4, 6, 'bgr']);
    expect(Array.from(data.labels)).toEqual([1, 0, 1, 0, 1]);
    const px = (i: number, y: number, x: number): number[] => Array.from(data.images.subarray(((i * 4 + y) * 6 + x) * 3, ((i * 4 + y) * 6 + x) * 3 + 3));
    expect(px(3, 2, 5)).toEqual([32, 5, 203]);
    const ds = await FaceDataset.fromH5(path);
    expect(Array.from(ds.faceIndices)).toEqual([0, 2, 4]);
    expect(Array.from(ds.nonFaceIndices)).toEqual([1, 3]);
    const { x, y, indices } = ds.batchFromIndices([3]);
    // RGB float in [0, 1]: R = 203, G = 5, B = 32 at pixel (2, 5)
    const v = Array.from((await x.data()).subarray((2 * 6 + 5) * 3, (2 * 6 + 5) * 3 + 3));
    expect(v[0]).toBeCloseTo(203 / 255, 6);
    expect(v[1]).toBeCloseTo(5 / 255, 6);
    expect(v[2]).toBeCloseTo(32 / 255, 6);
    expect(Array.from(await y.data())).toEqual([0]);
    expect(Array.from(indices)).toEqual([3]);
    x.dispose();
    y.dispose();
  });

  it.skipIf(!H5PY)('[h5py] reads h5py files with gzip-compressed chunks and int64 (N,) labels', async () => {
    const path = join(dir, 'h5py-gzip.h5');
    execFileSync(PY, [
      '-c',
      `
import h5py, numpy as np, sys
im = (np.arange(10 * 8 * 8 * 3) % 256).astype(np.uint8).reshape(10, 8, 8, 3)
with h5py.File(sys.argv[1], 'w') as f:
    f.create_dataset('images', data=im, chunks=(2, 8, 8, 3), compression='gzip')
    f.create_dataset('labels', data=np.array([1, 0] * 5, dtype=np.int64))
`,
      path,
    ]);
    const d = await readLabH5(path, { sliceBytes: 500 });
    expect(d.n).toBe(10);
    expect(Array.from(d.labels)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
    for (const i of [0, 77, 1919]) expect(d.images[i]).toBe(i % 256);
  });

  it.skipIf(!H5PY)('[h5py] writes files h5py reads back as BGR uint8 and (N,1) float32 labels', async () => {
    const path = join(dir, 'ours.h5');
    const n = 150;
    const h = 40;
    const w = 40;
    const images = new Uint8Array(n * h * w * 3);
    for (let i = 0; i < images.length; i++) images[i] = (i * 7 + (i % 3) * 50) % 256;
    const labels: number[] = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 0 : 1));
    await writeLabH5(path, { images, labels, height: h, width: w, channelOrder: 'rgb', blockBytes: 100_000 }); // several blocks
    const out = execFileSync(PY, [
      '-c',
      `
import h5py, numpy as np, sys, json
with h5py.File(sys.argv[1], 'r') as f:
    im, lb = f['images'], f['labels']
    print(json.dumps([list(im.shape), str(im.dtype), list(lb.shape), str(lb.dtype), int(im[7, 3, 9, 0]), int(im[7, 3, 9, 2]), int(im[149, 39, 39, 1]), float(lb[:].sum())]))
`,
      path,
    ]).toString();
    const [shape, dtype, lshape, ldtype, b, r, g, sum] = JSON.parse(out) as [number[], string, number[], string, number, number, number, number];
    expect(shape).toEqual([n, h, w, 3]);
    expect(dtype).toBe('uint8');
    expect(lshape).toEqual([n, 1]);
    expect(ldtype).toBe('float32');
    const at = (i: number, y: number, x: number, c: number): number => images[((i * h + y) * w + x) * 3 + c] as number;
    expect(b).toBe(at(7, 3, 9, 2)); // stored BGR: channel 0 is blue
    expect(r).toBe(at(7, 3, 9, 0));
    expect(g).toBe(at(149, 39, 39, 1));
    expect(sum).toBe(labels.reduce((a, c) => a + c, 0));
  });

  it('round-trips through writeLabH5 and readLabH5 (RGB in, BGR on disk, RGB batches out)', async () => {
    const path = join(dir, 'rt.h5');
    const n = 6;
    const images = new Uint8Array(n * 2 * 2 * 3).map((_, i) => (i * 11) % 256);
    await writeLabH5(path, { images, labels: [1, 1, 0, 1, 0, 0], height: 2, width: 2 });
    const raw = await readLabH5(path);
    expect(raw.images[0]).toBe(images[2]);
    expect(raw.images[2]).toBe(images[0]);
    const ds = await FaceDataset.fromH5(path);
    const x = ds.getAllFaces();
    const got = Array.from(await x.data()).map((v) => Math.round(v * 255));
    const expected = [0, 1, 3].flatMap((i) => Array.from(images.subarray(i * 12, i * 12 + 12)));
    expect(got).toEqual(expected);
    x.dispose();
  });

  it('rejects a missing file and a file that is not HDF5', async () => {
    await expectLayoutError(join(dir, 'nope.h5'), 'not-found', /not found/);
    const txt = join(dir, 'text.h5');
    writeFileSync(txt, 'this is not an hdf5 file, just text '.repeat(50));
    await expectLayoutError(txt, 'not-hdf5', /not an HDF5 file/);
  });

  it('rejects a truncated HDF5 file as corrupt', async () => {
    const full = join(dir, 'full.h5');
    await writeLabH5(full, { images: new Uint8Array(50 * 16 * 16 * 3).fill(3), labels: new Array<number>(50).fill(1), height: 16, width: 16 });
    const cut = join(dir, 'cut.h5');
    writeFileSync(cut, readFileSync(full).subarray(0, 4000));
    await expectLayoutError(cut, 'corrupt', /corrupt or truncated/);
  });

  it('rejects a missing images or labels dataset', async () => {
    const p1 = rawH5('noimages.h5', [{ name: 'labels', data: new Float32Array([1, 0]), shape: [2, 1], dtype: '<f' }]);
    await expectLayoutError(p1, 'missing-dataset', /no dataset 'images'/);
    const p2 = rawH5('nolabels.h5', [{ name: 'images', data: new Uint8Array(2 * 2 * 2 * 3), shape: [2, 2, 2, 3], dtype: '<B' }]);
    await expectLayoutError(p2, 'missing-dataset', /no dataset 'labels'/);
  });

  it('rejects wrong ranks', async () => {
    const p1 = rawH5('rank3.h5', [
      { name: 'images', data: new Uint8Array(2 * 4 * 3), shape: [2, 4, 3], dtype: '<B' },
      { name: 'labels', data: new Float32Array([1, 0]), shape: [2, 1], dtype: '<f' },
    ]);
    await expectLayoutError(p1, 'wrong-rank', /'images' has shape \(2, 4, 3\)/);
    const p2 = rawH5('labels2d.h5', [
      { name: 'images', data: new Uint8Array(2 * 2 * 2 * 3), shape: [2, 2, 2, 3], dtype: '<B' },
      { name: 'labels', data: new Float32Array([1, 0, 1, 0]), shape: [2, 2], dtype: '<f' },
    ]);
    await expectLayoutError(p2, 'wrong-rank', /'labels' has shape \(2, 2\)/);
  });

  it('rejects wrong dtypes', async () => {
    const p = rawH5('float-images.h5', [
      { name: 'images', data: new Float32Array(2 * 2 * 2 * 3), shape: [2, 2, 2, 3], dtype: '<f' },
      { name: 'labels', data: new Float32Array([1, 0]), shape: [2, 1], dtype: '<f' },
    ]);
    await expectLayoutError(p, 'wrong-dtype', /expected uint8/);
    const path = join(dir, 'string-labels.h5');
    const f = new h5wasm.File(path, 'w');
    f.create_dataset({ name: 'images', data: new Uint8Array(2 * 2 * 2 * 3), shape: [2, 2, 2, 3], dtype: '<B' });
    f.create_dataset({ name: 'labels', data: ['face', 'other'] });
    f.close();
    await expectLayoutError(path, 'wrong-dtype', /'labels' has dtype/);
  });

  it('rejects label values outside {0, 1} and count mismatches', async () => {
    const p1 = rawH5('badlabel.h5', [
      { name: 'images', data: new Uint8Array(3 * 2 * 2 * 3), shape: [3, 2, 2, 3], dtype: '<B' },
      { name: 'labels', data: new Float32Array([1, 0.5, 0]), shape: [3, 1], dtype: '<f' },
    ]);
    await expectLayoutError(p1, 'label-values', /labels\[1\] = 0.5/);
    const p2 = rawH5('mismatch.h5', [
      { name: 'images', data: new Uint8Array(3 * 2 * 2 * 3), shape: [3, 2, 2, 3], dtype: '<B' },
      { name: 'labels', data: new Float32Array([1, 0]), shape: [2, 1], dtype: '<f' },
    ]);
    await expectLayoutError(p2, 'count-mismatch', /3 images but 'labels' holds 2/);
  });

  it('writeLabH5 validates its input', async () => {
    await expect(writeLabH5(join(dir, 'x.h5'), { images: new Uint8Array(10), labels: [1], height: 2, width: 2 })).rejects.toThrow(ShapeError);
    await expect(writeLabH5(join(dir, 'x.h5'), { images: new Uint8Array(12), labels: [2], height: 2, width: 2 })).rejects.toThrow(InvalidArgumentError);
  });
});
