import { describe, it, expect, beforeAll } from 'vitest';
import { createRandom, initBackend, InvalidArgumentError, ShapeError, tf } from '@dbvae/backend';
import { expectNoTensorLeaks } from '@dbvae/test-utils';
import { DatasetError, FaceDataset } from '@dbvae/core-data';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

/** n images of 2x3 where every byte of image i is (i + channel) % 256; labels given. */
function makeData(labels: number[], order: 'rgb' | 'bgr' = 'rgb'): FaceDataset {
  const h = 2;
  const w = 3;
  const images = new Uint8Array(labels.length * h * w * 3);
  for (let i = 0; i < labels.length; i++) for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) images[(i * h * w + p) * 3 + c] = (i * 3 + c) % 256;
  return FaceDataset.fromArrays({ images, labels, height: h, width: w, channelOrder: order });
}

describe('FaceDataset', () => {
  const labels = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 0 : 1)); // 26 faces, 14 non-faces

  it('splits faces from non-faces in row order', () => {
    const ds = makeData(labels);
    expect(ds.numFaces).toBe(26);
    expect(ds.numNonFaces).toBe(14);
    expect(Array.from(ds.nonFaceIndices)).toEqual(labels.flatMap((l, i) => (l === 0 ? [i] : [])));
    expect(ds.faceIndices).toBeInstanceOf(Int32Array);
  });

  it('getBatch returns half faces, half non-faces, sorted, distinct, with matching images and labels', async () => {
    const ds = makeData(labels);
    const { x, y, indices } = ds.getBatch(10, { rng: createRandom(4) });
    expect(x.shape).toEqual([10, 2, 3, 3]);
    expect(y.shape).toEqual([10, 1]);
    expect(new Set(indices).size).toBe(10);
    for (let i = 1; i < 10; i++) expect(indices[i]).toBeGreaterThan(indices[i - 1] as number);
    const yv = await y.data();
    let faces = 0;
    const xv = await x.data();
    for (let r = 0; r < 10; r++) {
      const row = indices[r] as number;
      expect(yv[r]).toBe(labels[row]);
      faces += yv[r] as number;
      // first pixel's RGB
      for (let c = 0; c < 3; c++) expect(xv[r * 18 + c]).toBeCloseTo(((row * 3 + c) % 256) / 255, 6);
    }
    expect(faces).toBe(5);
    x.dispose();
    y.dispose();
  });

  it('flips BGR stores to RGB and supports channels-first', async () => {
    const ds = FaceDataset.fromArrays({ images: new Uint8Array([10, 20, 30, 40, 50, 60]), labels: [1, 0], height: 1, width: 1, channelOrder: 'bgr', dataFormat: 'channelsFirst' });
    const { x } = ds.batchFromIndices([1, 0]);
    expect(x.shape).toEqual([2, 3, 1, 1]);
    expect(Array.from(await x.data()).map((v) => Math.round(v * 255))).toEqual([60, 50, 40, 30, 20, 10]);
    x.dispose();
    const ds2 = FaceDataset.fromArrays({ images: new Uint8Array([1, 2, 3, 4, 5, 6]), labels: [1], height: 1, width: 2, dataFormat: 'channelsFirst' });
    const all = ds2.getAllFaces();
    expect(Array.from(await all.data()).map((v) => Math.round(v * 255))).toEqual([1, 4, 2, 5, 3, 6]);
    all.dispose();
  });

  it('follows pPos: zero-weight faces never drawn, inclusion follows the weights', async () => {
    const ds = makeData(labels);
    const pPos = Array.from({ length: ds.numFaces }, (_, j) => (j < 6 ? 1 : 0));
    const rng = createRandom(8);
    for (let t = 0; t < 20; t++) {
      const { x, y, indices } = ds.getBatch(8, { pPos, rng });
      const drawnFaces = Array.from(indices).filter((r) => labels[r] === 1);
      expect(drawnFaces.length).toBe(4);
      for (const r of drawnFaces) expect(Array.from(ds.faceIndices.subarray(0, 6))).toContain(r);
      x.dispose();
      y.dispose();
    }
    // a weight vector of the wrong length or with too few positive entries is rejected
    expect(() => ds.getBatch(8, { pPos: [1, 2, 3] })).toThrow(/pPos has length 3 but must have length 26/);
    expect(() => ds.getBatch(16, { pPos })).toThrow(InvalidArgumentError);
    expect(() => ds.getBatch(4, { pNeg: new Array<number>(14).fill(NaN) })).toThrow(/pNeg\[0\] is NaN/);
  });

  it('onlyFaces draws only faces; the same seed gives the same batch', () => {
    const ds = makeData(labels);
    const a = ds.getBatch(12, { onlyFaces: true, rng: createRandom(1) });
    const b = ds.getBatch(12, { onlyFaces: true, rng: createRandom(1) });
    expect(Array.from(a.indices).every((r) => labels[r] === 1)).toBe(true);
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
    tf.dispose([a.x, a.y, b.x, b.y]);
  });

  it('faceBatches yields every face once in faceIndices order', async () => {
    const ds = makeData(labels);
    const seen: number[] = [];
    for (const x of ds.faceBatches(7)) {
      const v = await x.data();
      for (let r = 0; r < x.shape[0]; r++) seen.push(Math.round((v[r * 18] as number) * 255) / 3);
      x.dispose();
    }
    expect(seen).toEqual(Array.from(ds.faceIndices));
  });

  it('epoch covers each image once; split takes the first 80% of each class', () => {
    const ds = makeData(labels);
    const rows: number[] = [];
    for (const b of ds.epoch(9, { rng: createRandom(3) })) {
      rows.push(...b.indices);
      tf.dispose([b.x, b.y]);
    }
    expect(rows.length).toBe(40);
    expect([...rows].sort((p, q) => p - q)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const { train, test } = ds.split(0.8);
    expect(Array.from(train.faceIndices)).toEqual(Array.from(ds.faceIndices.subarray(0, 20)));
    expect(Array.from(test.faceIndices)).toEqual(Array.from(ds.faceIndices.subarray(20)));
    expect(train.numNonFaces).toBe(11);
    expect(test.numNonFaces).toBe(3);
  });

  it('validates inputs with typed errors', () => {
    expect(() => FaceDataset.fromArrays({ images: new Uint8Array(10), labels: [1], height: 2, width: 2 })).toThrow(ShapeError);
    expect(() => FaceDataset.fromArrays({ images: new Uint8Array(12), labels: [3], height: 2, width: 2 })).toThrow(DatasetError);
    expect(() => FaceDataset.fromArrays({ images: new Uint8Array(0), labels: [], height: 2, width: 2 })).toThrow(DatasetError);
    const onlyFaces = makeData([1, 1, 1, 1]);
    expect(() => onlyFaces.getBatch(2)).toThrow(/no non-faces/);
    expect(() => makeData(labels).getBatch(0)).toThrow(InvalidArgumentError);
    expect(() => makeData(labels).getBatch(60)).toThrow(/only 26 exist/);
  });

  it('getBatch and faceBatches do not leak tensors', async () => {
    const ds = makeData(labels);
    const pPos = Array.from({ length: ds.numFaces }, (_, j) => 1 + j);
    await expectNoTensorLeaks(() => {
      const { x, y } = ds.getBatch(8, { pPos });
      x.dispose();
      y.dispose();
      for (const b of ds.faceBatches(10)) b.dispose();
    }, 5);
  });
});
