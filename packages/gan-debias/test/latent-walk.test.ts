import { describe, it, expect, beforeAll } from 'vitest';
import { tf, initBackend, InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { expectAllClose, expectNoTensorLeaks, fixtureValues } from '@dbvae/test-utils';
import { biasReport, imageGrid, latentWalk } from '../src/index';

// A linear "generator" z -> reshape(z A) as 2x2x1 images and a linear "classifier"
// x -> flatten(x) B + c. Then logits = z M + c with M = A B, the gradient of the batch-mean
// target logit with respect to each latent is M[:, t] / n, and after j steps of size s every
// logit has changed by j * u with u = (s / n) M^T M[:, t] (fresh gradients: linear in j).
const d = 5;
const k = 3;
const n = 6;
const A = Array.from(fixtureValues(d * 4, 3)).map((v) => v * 0.8);
const B = Array.from(fixtureValues(4 * k, 5));
const c = [0.3, -0.2, 0.1];

function matmul(a: number[], b: number[], r: number, inner: number, cols: number): number[] {
  const out = new Array<number>(r * cols).fill(0);
  for (let i = 0; i < r; i++) for (let j = 0; j < cols; j++) for (let p = 0; p < inner; p++) out[i * cols + j]! += a[i * inner + p]! * b[p * cols + j]!;
  return out;
}
const M = matmul(A, B, d, 4, k); // [d, k]

function buildGenerator(): tf.Sequential {
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [d], units: 4, useBias: false }), tf.layers.reshape({ targetShape: [2, 2, 1] })],
  });
  (model.layers[0] as tf.layers.Layer).setWeights([tf.tensor2d(A, [d, 4])]);
  return model;
}
const Bt = (): tf.Tensor2D => tf.tensor2d(B, [4, k]);
const classifier = (x: tf.Tensor): tf.Tensor => tf.tidy(() => x.reshape([x.shape[0]!, 4]).matMul(Bt()).add(tf.tensor1d(c)));

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('latentWalk with a linear generator and classifier (closed form)', () => {
  it('records changes j * u at offset j and the closed-form covariance', async () => {
    const gen = buildGenerator();
    const z = tf.tensor2d(fixtureValues(n * d, 11), [n, d]);
    const steps = 4;
    const s = 0.5;
    for (const target of [0, 2]) {
      const walk = await latentWalk(gen, classifier, z, { target, steps, stepSize: s, attributeNames: ['a', 'b', 'c'] });
      const u = new Array<number>(k).fill(0);
      for (let a = 0; a < k; a++) for (let p = 0; p < d; p++) u[a]! += (s / n) * M[p * k + a]! * M[p * k + target]!;
      // start logits = z M + c
      const zM = matmul(Array.from(z.dataSync()), M, n, d, k).map((v, i) => v + c[i % k]!);
      expectAllClose(walk.startLogits, zM, 1e-4);
      for (let b = 0; b < 2 * steps; b++) {
        const off = walk.offsets[b]!;
        const expected = Array.from({ length: n * k }, (_, i) => off * u[i % k]!);
        expectAllClose(walk.changes.subarray(b * n * k, (b + 1) * n * k), expected, 1e-3);
      }
      expect(Array.from(walk.offsets)).toEqual([1, 2, 3, 4, -1, -2, -3, -4]);
      // covariance over rows = var(offsets) u u^T; offsets +-1..+-S each n times, mean 0
      const sumSq = (2 * n * steps * (steps + 1) * (2 * steps + 1)) / 6;
      const varOff = sumSq / (2 * steps * n - 1);
      const report = biasReport(walk, { topK: 2 });
      const expectedCov = Array.from({ length: k * k }, (_, i) => varOff * u[Math.floor(i / k)]! * u[i % k]!);
      expectAllClose(report.covariance.data, expectedCov, 1e-3);
      // perfectly linear changes: correlations are +-1 with the sign of u_a u_t
      for (const x of report.top) {
        expect(Math.abs(x.correlation)).toBeCloseTo(1, 4);
        expect(Math.sign(x.covariance)).toBe(Math.sign(u[x.index]! * u[target]!));
        expect(x.regression.slope).toBeCloseTo(u[x.index]! / u[target]!, 3);
        expect(x.regression.intercept).toBeCloseTo(0, 4);
      }
      const byMagnitude = [0, 1, 2].filter((a) => a !== target).sort((a, b) => Math.abs(u[b]!) - Math.abs(u[a]!));
      expect(report.top.map((x) => x.index)).toEqual(byMagnitude);
    }
    z.dispose();
    gen.dispose();
  });

  it("objective 'sum' moves each latent by its own gradient (n times the mean's step)", async () => {
    const gen = (zz: tf.Tensor2D): tf.Tensor => tf.tidy(() => zz.matMul(tf.tensor2d(A, [d, 4])).reshape([-1, 2, 2, 1]));
    const z = tf.tensor2d(fixtureValues(n * d, 2), [n, d]);
    const mean = await latentWalk(gen, classifier, z, { target: 1, steps: 2, stepSize: 0.1 });
    const sum = await latentWalk(gen, classifier, z, { target: 1, steps: 2, stepSize: 0.1, objective: 'sum' });
    expectAllClose(sum.changes, Array.from(mean.changes, (v) => v * n), 1e-3);
    z.dispose();
  });

  it('follows a fresh gradient at each step of a nonlinear model', async () => {
    // G(z) = z (as 1x1xd images), classifier logit0 = sum(z^2) / 2, logit1 = z_0.
    // With objective 'sum' the gradient of logit0 is z itself, so each up step multiplies z by (1 + s):
    // logit0 after j steps = (1 + s)^(2j) |z|^2 / 2 (an accumulating gradient would not give this).
    const gen = (zz: tf.Tensor2D): tf.Tensor => zz.reshape([-1, 1, 1, 2]);
    const cls = (x: tf.Tensor): tf.Tensor =>
      tf.tidy(() => {
        const f = x.reshape([-1, 2]);
        return tf.concat([f.square().sum(1, true).mul(0.5), f.slice([0, 0], [-1, 1])], 1);
      });
    const zv = [1, 2, -1, 0.5];
    const z = tf.tensor2d(zv, [2, 2]);
    const s = 0.1;
    const walk = await latentWalk(gen, cls, z, { target: 0, steps: 3, stepSize: s, objective: 'sum' });
    for (let b = 0; b < 6; b++) {
      const j = walk.offsets[b]!;
      const factor = j > 0 ? (1 + s) ** j : (1 - s) ** -j;
      for (let i = 0; i < 2; i++) {
        const z0 = zv[2 * i]!;
        const r2 = z0 ** 2 + zv[2 * i + 1]! ** 2;
        expect(walk.changes[(b * 2 + i) * 2]!).toBeCloseTo((factor ** 2 - 1) * r2 * 0.5, 4);
        expect(walk.changes[(b * 2 + i) * 2 + 1]!).toBeCloseTo((factor - 1) * z0, 4);
      }
    }
    z.dispose();
  });

  it('returns a trajectory grid (rows = samples, columns = offsets) equal to imageGrid of the frames', async () => {
    const gen = buildGenerator();
    const z = tf.tensor2d(fixtureValues(n * d, 4), [n, d]);
    const walk = await latentWalk(gen, classifier, z, { target: 0, steps: 4, stepSize: 0.5, images: { samples: 2, every: 2, valueRange: [-2, 2], padding: 1 } });
    expect(walk.trajectoryOffsets).toEqual([-4, -2, 0, 2, 4]);
    const grid = walk.trajectory!;
    expect(grid.width).toBe(5 * 3 + 1);
    expect(grid.height).toBe(2 * 3 + 1);
    // the offset-0 column holds G(z) of the first two latents
    const start = tf.tidy(() => (gen.predict(z) as tf.Tensor).slice([0, 0, 0, 0], [2, -1, -1, -1]) as tf.Tensor4D);
    const ref = imageGrid(start, 2, 1, { valueRange: [-2, 2], padding: 1 });
    for (let r = 0; r < 2; r++) {
      for (let y = 0; y < 2; y++) {
        for (let x = 0; x < 2; x++) {
          const gy = 1 + r * 3 + y;
          const got = grid.data[(gy * grid.width + 1 + 2 * 3 + x) * 3]!;
          const want = ref.data[(gy * ref.width + 1 + x) * 3]!;
          expect(got).toBe(want);
        }
      }
    }
    start.dispose();
    z.dispose();
    gen.dispose();
  });

  it('leaks no tensors over repeated walks, with and without images', async () => {
    const gen = buildGenerator();
    const z = tf.tensor2d(fixtureValues(n * d, 9), [n, d]);
    await expectNoTensorLeaks(() => latentWalk(gen, classifier, z, { target: 1, steps: 3, stepSize: 0.2, images: { samples: 3, every: 1 } }), 3);
    await expectNoTensorLeaks(() => latentWalk(gen, classifier, z, { target: 'attr2', steps: 2 }), 3);
    await expectNoTensorLeaks(() => latentWalk(gen, classifier, z, { target: 1, steps: 3, gradient: 'accumulated', record: 'before-step', images: { samples: 2, every: 1 } }), 3);
    z.dispose();
    gen.dispose();
  });

  it('validates its inputs', async () => {
    const gen = buildGenerator();
    const z = tf.tensor2d(fixtureValues(n * d, 9), [n, d]);
    await expect(latentWalk(gen, classifier, z, { target: 3 })).rejects.toThrow(InvalidArgumentError);
    await expect(latentWalk(gen, classifier, z, { target: 'nope' })).rejects.toThrow(InvalidArgumentError);
    await expect(latentWalk(gen, classifier, z, { target: 0, steps: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(latentWalk(gen, classifier, z, { target: 0, attributeNames: ['x'] })).rejects.toThrow(InvalidArgumentError);
    await expect(latentWalk(gen, classifier, z, { target: 0, gradient: 'x' as 'fresh' })).rejects.toThrow(InvalidArgumentError);
    await expect(latentWalk(gen, classifier, z, { target: 0, record: 'x' as 'after-step' })).rejects.toThrow(InvalidArgumentError);
    const z1 = tf.zeros([n]) as unknown as tf.Tensor2D;
    await expect(latentWalk(gen, classifier, z1, { target: 0 })).rejects.toThrow(ShapeError);
    z1.dispose();
    z.dispose();
    gen.dispose();
  });
});

describe('imageGrid', () => {
  it('tiles row by row, scales the value range and greys out one-channel images', () => {
    // 2 x 2 tiles of 1x1 images, values 0, 0.25, 0.5, 1 in [0, 1]
    const imgs = tf.tensor4d([0, 0.25, 0.5, 1], [4, 1, 1, 1]);
    const g = imageGrid(imgs, 2, 2, { padding: 0 });
    expect(g.width).toBe(2);
    expect(g.height).toBe(2);
    expect(Array.from(g.data)).toEqual([0, 0, 0, 64, 64, 64, 128, 128, 128, 255, 255, 255]);
    const rgb = tf.tensor4d([-1, 0, 1, 2], [1, 1, 1, 4]);
    expect(Array.from(imageGrid(rgb, 1, 1, { valueRange: [-1, 1], padding: 1, padValue: 7 }).data.subarray(12, 15))).toEqual([0, 128, 255]);
    expect(() => imageGrid(imgs, 3, 1)).toThrow(ShapeError);
    expect(() => imageGrid(imgs, 2, 2, { valueRange: [1, 0] })).toThrow(InvalidArgumentError);
    imgs.dispose();
    rgb.dispose();
  });
});
