import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, InvalidArgumentError, ShapeError, tf } from '@dbvae/backend';
import { expectNoTensorLeaks, fixtureValues } from '@dbvae/test-utils';
import { attributeClassifierTrainStep, buildAttributeClassifier, buildDcganDiscriminator, buildDcganGenerator, ganTrainStep } from '@dbvae/models';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('DCGAN and attribute classifier', () => {
  it('generator maps z (64) to 64x64x3 in (-1, 1) through 1 -> 3 -> 7 -> 15 -> 31 -> 64', () => {
    const g = buildDcganGenerator({ hiddenDim: 2 });
    expect(g.inputs[0]!.shape).toEqual([null, 64]);
    const sides = g.layers.filter((l) => l.getClassName() === 'Conv2DTranspose').map((l) => (l.outputShape as number[])[1]);
    expect(sides).toEqual([3, 7, 15, 31, 64]);
    const out = g.predict(tf.randomNormal([2, 64], 0, 1, 'float32', 1)) as tf.Tensor;
    expect(out.shape).toEqual([2, 64, 64, 3]);
    out.dataSync().forEach((v) => expect(Math.abs(v)).toBeLessThan(1));
    out.dispose();
    g.dispose();
  });

  it('discriminator gives one logit, the attribute classifier 40, via 64 -> 31 -> 14 -> 4 -> 1', () => {
    const d = buildDcganDiscriminator({ hiddenDim: 2 });
    const c = buildAttributeClassifier({ hiddenDim: 2 });
    const sides = c.layers.filter((l) => l.getClassName() === 'Conv2D').map((l) => (l.outputShape as number[])[1]);
    expect(sides).toEqual([31, 14, 4, 1]);
    expect(d.outputs[0]!.shape).toEqual([null, 1]);
    expect(c.outputs[0]!.shape).toEqual([null, 40]);
    d.dispose();
    c.dispose();
  });

  it("discriminator batchNorm 'skip-first' / 'none' drops the input block's / every batch norm, and rejects unknown values", () => {
    const bnCount = (m: tf.LayersModel): number => m.layers.filter((l) => l.getClassName() === 'BatchNormalization').length;
    const models = (['all', 'skip-first', 'none'] as const).map((batchNorm) => buildDcganDiscriminator({ hiddenDim: 2, batchNorm }));
    expect(models.map(bnCount)).toEqual([3, 2, 0]);
    expect(models[1]!.layers.some((l) => l.name === 'dcgan_discriminator_bn1')).toBe(false);
    // Without batch norm a real batch's mean colour reaches the logit: shifting all images by a
    // constant changes it, while with batch norm on the input block (training mode) it cannot.
    const x = tf.tensor4d(fixtureValues(4 * 64 * 64 * 3, 9), [4, 64, 64, 3]);
    const shift = (m: tf.LayersModel): number =>
      tf.tidy(() => tf.max(tf.abs(tf.sub(m.apply(tf.add(x, 0.5), { training: true }) as tf.Tensor, m.apply(x, { training: true }) as tf.Tensor))).dataSync()[0]!);
    expect(shift(models[0]!)).toBeLessThan(1e-3);
    expect(shift(models[2]!)).toBeGreaterThan(1e-3);
    expect(() => buildDcganDiscriminator({ hiddenDim: 2, batchNorm: 'some' as 'all' })).toThrow(InvalidArgumentError);
    x.dispose();
    models.forEach((m) => m.dispose());
  });

  it('ganTrainStep moves each network with its own optimizer, leaks nothing, and checks shapes', async () => {
    const g = buildDcganGenerator({ hiddenDim: 2, zDim: 8, seed: 1 });
    const d = buildDcganDiscriminator({ hiddenDim: 2, seed: 1 });
    const gOpt = tf.train.adam(2e-4, 0.5);
    const dOpt = tf.train.adam(2e-4, 0.5);
    const real = tf.tensor4d(fixtureValues(4 * 64 * 64 * 3, 3), [4, 64, 64, 3]);
    const gBefore = g.trainableWeights.map((w) => Float32Array.from(w.read().dataSync()));
    const first = ganTrainStep(g, d, gOpt, dOpt, real, { seed: 1 });
    // At initialisation D is near chance: both losses near log 2.
    expect(Math.abs(first.discriminator - Math.LN2)).toBeLessThan(0.35);
    expect(Math.abs(first.generator - Math.LN2)).toBeLessThan(0.35);
    expect(g.trainableWeights.some((w, i) => w.read().dataSync().some((v, j) => v !== gBefore[i]![j]))).toBe(true);
    await expectNoTensorLeaks(() => ganTrainStep(g, d, gOpt, dOpt, real, { seed: 2 }), 2);
    expect(() => ganTrainStep(g, d, gOpt, dOpt, tf.zeros([2, 32, 32, 3]) as tf.Tensor4D)).toThrow(ShapeError);
    real.dispose();
    [gOpt, dOpt].forEach((o) => o.dispose());
    g.dispose();
    d.dispose();
  });

  it('ganTrainStep with realLabel r reports (BCE(D(x), r) + BCE(D(G(z)), 0)) / 2 and rejects r outside (0, 1]', () => {
    const g = buildDcganGenerator({ hiddenDim: 2, zDim: 8, seed: 3 });
    const d = buildDcganDiscriminator({ hiddenDim: 2, seed: 4 });
    const gOpt = tf.train.adam(2e-4, 0.5);
    const dOpt = tf.train.adam(2e-4, 0.5);
    const real = tf.tensor4d(fixtureValues(4 * 64 * 64 * 3, 7), [4, 64, 64, 3]);
    // Independent truth: the same forward passes (batch statistics, the step's noise seed), the
    // loss written out in plain numbers as softplus(l) - y * l.
    const r = 0.9;
    const [realLogits, fakeLogits] = tf.tidy(() => {
      const z = tf.randomNormal([4, 8], 0, 1, 'float32', 5);
      const fake = g.apply(z, { training: true }) as tf.Tensor;
      return [
        Array.from((d.apply(real, { training: true }) as tf.Tensor).dataSync()),
        Array.from((d.apply(fake, { training: true }) as tf.Tensor).dataSync()),
      ];
    });
    const softplus = (l: number): number => Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)));
    const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
    const expected = (mean(realLogits.map((l) => softplus(l) - r * l)) + mean(fakeLogits.map(softplus))) / 2;
    const plain = (mean(realLogits.map((l) => softplus(l) - l)) + mean(fakeLogits.map(softplus))) / 2;
    expect(Math.abs(expected - plain)).toBeGreaterThan(1e-4); // the smoothing is visible in the loss
    const losses = ganTrainStep(g, d, gOpt, dOpt, real, { seed: 5, realLabel: r });
    expect(losses.discriminator).toBeCloseTo(expected, 4);
    for (const bad of [0, -0.1, 1.5, Number.NaN]) expect(() => ganTrainStep(g, d, gOpt, dOpt, real, { realLabel: bad })).toThrow(InvalidArgumentError);
    real.dispose();
    [gOpt, dOpt].forEach((o) => o.dispose());
    g.dispose();
    d.dispose();
  });

  it('the attribute classifier learns fixed multi-label targets', async () => {
    const c = buildAttributeClassifier({ hiddenDim: 2, nOutputs: 3, seed: 2 });
    const opt = tf.train.adam(1e-2);
    const x = tf.tensor4d(fixtureValues(4 * 64 * 64 * 3, 5), [4, 64, 64, 3]);
    const y = tf.tensor2d([1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1], [4, 3]);
    const losses: number[] = [];
    await expectNoTensorLeaks(() => losses.push(attributeClassifierTrainStep(c, opt, x, y)), 10);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.8);
    expect(() => attributeClassifierTrainStep(c, opt, x, tf.zeros([4, 40]) as tf.Tensor2D)).toThrow(ShapeError);
    tf.dispose([x, y]);
    opt.dispose();
    c.dispose();
  });
});
