import { describe, it, expect, beforeAll } from 'vitest';
import { tf, createRandom, initBackend, ShapeError, InvalidArgumentError } from '@dbvae/backend';
import { expectAllClose, expectNoTensorLeaks } from '@dbvae/test-utils';
import { buildAugmentedSet, complementLatents, linearScores, normalizeLinear, trainDebiasedClassifier, type LinearClassifier } from '../src/index';

const d = 6;
const unit = (seed: number, b: number): LinearClassifier => {
  const rng = createRandom(seed);
  return normalizeLinear({ w: Float64Array.from({ length: d }, () => rng.normal()), b });
};
const ht = unit(1, 0.2);
const hg = unit(2, -0.1);
const rng = createRandom(4);
const m = 10;
const z = { data: Float64Array.from({ length: m * d }, () => rng.normal()), rows: m, cols: d };
// "images" are the latents themselves as 1 x d x 1 pictures, so G(z') can be checked against z'
const generator = (zz: tf.Tensor2D): tf.Tensor => zz.reshape([-1, 1, d, 1]);

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('buildAugmentedSet', () => {
  it('stacks real, G(z) and G(z\') with hallucinated target labels and flipped protected labels', async () => {
    const real = { images: tf.ones([3, 1, d, 1]), targetLabels: [1, 0, 1], protectedLabels: [0, 0, 1] };
    const set = await buildAugmentedSet({ generator, latents: z, target: ht, protectedAttr: hg, real, batchSize: 4 });
    expect(set.images.shape).toEqual([3 + 2 * m, 1, d, 1]);
    const st = linearScores(ht, z);
    const sg = linearScores(hg, z);
    expect(Array.from(set.targetLabels.subarray(0, 3))).toEqual([1, 0, 1]);
    expect(Array.from(set.protectedLabels.subarray(0, 3))).toEqual([0, 0, 1]);
    for (let i = 0; i < m; i++) {
      const t = st[i]! >= 0 ? 1 : 0;
      const g = sg[i]! >= 0 ? 1 : 0;
      expect(set.targetLabels[3 + i]).toBe(t);
      expect(set.targetLabels[3 + m + i]).toBe(t);
      expect(set.protectedLabels[3 + i]).toBe(g);
      expect(set.protectedLabels[3 + m + i]).toBe(1 - g);
    }
    expect(Array.from(set.source)).toEqual([0, 0, 0, ...new Array(m).fill(1), ...new Array(m).fill(2)]);
    const zp = complementLatents(z, ht, hg);
    const pix = set.images.dataSync();
    expectAllClose(pix.subarray(3 * d, (3 + m) * d), z.data, 1e-5);
    expectAllClose(pix.subarray((3 + m) * d), zp.data, 1e-5);
    // the flipped protected label is what h_g says about z'
    const sgp = linearScores(hg, zp);
    for (let i = 0; i < m; i++) if (Math.abs(sg[i]!) > 1e-9) expect(sgp[i]! >= 0 ? 1 : 0).toBe(set.protectedLabels[3 + m + i]);
    set.images.dispose();
    real.images.dispose();
  });

  it('uses given labels of G(z) (e.g. image-classifier predictions) instead of the latent scores', async () => {
    const target = Array.from({ length: m }, (_, i) => i % 2);
    const prot = Array.from({ length: m }, (_, i) => (i < 3 ? 1 : 0));
    const set = await buildAugmentedSet({ generator, latents: z, target: ht, protectedAttr: hg, labels: { target, protectedAttr: prot } });
    expect(Array.from(set.targetLabels)).toEqual([...target, ...target]);
    expect(Array.from(set.protectedLabels)).toEqual([...prot, ...prot.map((g) => 1 - g)]);
    set.images.dispose();
    await expect(buildAugmentedSet({ generator, latents: z, target: ht, protectedAttr: hg, labels: { target: [1] } })).rejects.toThrow(ShapeError);
  });

  it('accepts a LayersModel generator and rejects mismatched real data', async () => {
    const model = tf.sequential({ layers: [tf.layers.reshape({ inputShape: [d], targetShape: [1, d, 1] })] });
    const set = await buildAugmentedSet({ generator: model, latents: z, target: ht, protectedAttr: hg });
    expect(set.images.shape).toEqual([2 * m, 1, d, 1]);
    set.images.dispose();
    const bad = { images: tf.ones([2, 2, 2, 1]), targetLabels: [1, 0], protectedLabels: [0, 1] };
    await expect(buildAugmentedSet({ generator, latents: z, target: ht, protectedAttr: hg, real: bad })).rejects.toThrow(ShapeError);
    const badLabels = { images: tf.ones([2, 1, d, 1]), targetLabels: [1], protectedLabels: [0, 1] };
    await expect(buildAugmentedSet({ generator, latents: z, target: ht, protectedAttr: hg, real: badLabels })).rejects.toThrow(ShapeError);
    bad.images.dispose();
    badLabels.images.dispose();
    model.dispose();
  });
});

describe('trainDebiasedClassifier', () => {
  it('hands the set to the user callback, returns its result and disposes the images (no leaks)', async () => {
    let seen = 0;
    const result = await expectNoTensorLeaks(
      () =>
        trainDebiasedClassifier({
          generator,
          latents: z,
          target: ht,
          protectedAttr: hg,
          train: (set) => {
            seen = set.images.shape[0]!;
            return set.targetLabels.reduce((a, v) => a + v, 0);
          },
        }),
      3,
    );
    expect(seen).toBe(2 * m);
    expect(result).toBe(2 * Array.from(linearScores(ht, z)).filter((s) => s >= 0).length);
    await expect(trainDebiasedClassifier({ generator, latents: z, target: ht, protectedAttr: hg, train: undefined as never })).rejects.toThrow(InvalidArgumentError);
  });
});
