import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, InvalidArgumentError, ShapeError, tf } from '@dbvae/backend';
import { expectAllClose, expectNoTensorLeaks, fixtureValues } from '@dbvae/test-utils';
import { buildFaceDecoder, buildLab3Classifier, buildStandardClassifier, DBVAE } from '@dbvae/models';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const tiny = { latentDim: 4, nFilters: 2, inputShape: [16, 16, 3] as [number, number, number], denseUnits: 16, seed: 3 };
const images = (n: number, side = 16, seed = 7): tf.Tensor4D => tf.tensor4d(fixtureValues(n * side * side * 3, seed).map((v) => (v + 1) / 2), [n, side, side, 3]);

describe('lab networks', () => {
  it('face decoder: lab layout 4x4x6n -> 64x64x3 with kernels 3,3,5,5', () => {
    const decoder = buildFaceDecoder({ latentDim: 8, nFilters: 2 });
    expect(decoder.outputs[0]?.shape).toEqual([null, 64, 64, 3]);
    const names = decoder.layers.map((l) => l.getClassName());
    expect(names).toEqual(['InputLayer', 'Dense', 'Reshape', 'Conv2DTranspose', 'Conv2DTranspose', 'Conv2DTranspose', 'Conv2DTranspose']);
    expect(decoder.layers[2]?.outputShape).toEqual([null, 4, 4, 12]);
    const kernels = decoder.layers.slice(3).map((l) => (l.getConfig() as { kernelSize: number[] }).kernelSize[0]);
    expect(kernels).toEqual([3, 3, 5, 5]);
    const filters = decoder.layers.slice(3).map((l) => (l.getConfig() as { filters: number }).filters);
    expect(filters).toEqual([8, 4, 2, 3]);
    decoder.dispose();
  });

  it('sigmoid decoder output lies in (0, 1); bad sizes throw', () => {
    const decoder = buildFaceDecoder({ latentDim: 4, nFilters: 2, outputShape: [16, 16, 3], outputActivation: 'sigmoid' });
    const out = decoder.predict(tf.mul(tf.randomNormal([3, 4], 0, 1, 'float32', 1), 10)) as tf.Tensor;
    out.dataSync().forEach((v) => expect(v > 0 && v < 1).toBe(true));
    expect(() => buildFaceDecoder({ outputShape: [20, 16, 3] })).toThrow(InvalidArgumentError);
    expect(() => buildFaceDecoder({ latentDim: 0 })).toThrow(InvalidArgumentError);
    decoder.dispose();
  });

  it('lab 3 classifier: five blocks n..8n down to 2x2, one logit', () => {
    const model = buildLab3Classifier({ nFilters: 2, denseUnits: 8 });
    const convs = model.layers.filter((l) => l.getClassName() === 'Conv2D').map((l) => (l.getConfig() as { filters: number }).filters);
    expect(convs).toEqual([2, 4, 8, 12, 16]);
    expect(model.getLayer('lab3_classifier_flatten').outputShape).toEqual([null, 2 * 2 * 16]);
    expect(model.outputs[0]?.shape).toEqual([null, 1]);
    expect(() => buildLab3Classifier({ inputShape: [48, 48, 3] })).toThrow(InvalidArgumentError);
    model.dispose();
  });

  it('same seed gives the same initial weights', () => {
    const a = buildStandardClassifier({ nFilters: 2, denseUnits: 8, inputShape: [16, 16, 3], seed: 9 });
    const b = buildStandardClassifier({ nFilters: 2, denseUnits: 8, inputShape: [16, 16, 3], seed: 9 });
    a.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(b.getWeights()[i]!.dataSync())));
    a.dispose();
    b.dispose();
  });
});

describe('DBVAE', () => {
  it('encoder has 2k+1 outputs split into logit, means, log-variances, no activation on the latent heads', () => {
    const model = new DBVAE(tiny);
    expect(model.encoder.outputs[0]?.shape).toEqual([null, 2 * 4 + 1]);
    const head = model.encoder.layers[model.encoder.layers.length - 1]!;
    expect((head.getConfig() as { activation: string }).activation).toBe('linear');
    const x = images(5);
    const raw = model.encoder.predict(x) as tf.Tensor2D;
    const { logit, mean, logVar } = model.encode(x);
    expect(logit.shape).toEqual([5, 1]);
    expect(mean.shape).toEqual([5, 4]);
    expect(logVar.shape).toEqual([5, 4]);
    const r = raw.arraySync();
    expectAllClose(logit.dataSync(), r.map((row) => row[0]!), 1e-6);
    expectAllClose(mean.dataSync(), r.flatMap((row) => row.slice(1, 5)), 1e-6);
    expectAllClose(logVar.dataSync(), r.flatMap((row) => row.slice(5, 9)), 1e-6);
    const p = model.predict(x);
    expectAllClose(p.dataSync(), Array.from(logit.dataSync()).map((l) => 1 / (1 + Math.exp(-l))), 1e-5);
    const pass = model.forward(x, { seed: 1 });
    expect(pass.reconstruction.shape).toEqual([5, 16, 16, 3]);
    expect(pass.z.shape).toEqual([5, 4]);
    tf.dispose([x, raw, logit, mean, logVar, p, ...Object.values(pass)]);
    model.dispose();
  });

  it('reparameterisation: seeded, with mean and variance exp(logVar)', () => {
    const model = new DBVAE(tiny);
    const n = 4000;
    const mean = tf.tensor2d(Array.from({ length: n * 4 }, (_, i) => [-1, 0, 0.5, 2][i % 4]!), [n, 4]);
    const logVar = tf.tensor2d(Array.from({ length: n * 4 }, (_, i) => [0, -2, 1, Math.log(0.25)][i % 4]!), [n, 4]);
    const z1 = model.reparameterize(mean, logVar, 42);
    const z2 = model.reparameterize(mean, logVar, 42);
    const z3 = model.reparameterize(mean, logVar, 43);
    expect(Array.from(z1.dataSync())).toEqual(Array.from(z2.dataSync()));
    expect(Array.from(z1.dataSync())).not.toEqual(Array.from(z3.dataSync()));
    const { mean: m, variance: v } = tf.moments(z1, 0);
    const sd = [1, Math.exp(-1), Math.exp(0.5), 0.5];
    // Sample mean within 4 standard errors; sample variance within 10%.
    m.dataSync().forEach((got, j) => expect(Math.abs(got - [-1, 0, 0.5, 2][j]!)).toBeLessThan((4 * sd[j]!) / Math.sqrt(n)));
    v.dataSync().forEach((got, j) => expect(Math.abs(got / sd[j]! ** 2 - 1)).toBeLessThan(0.1));
    tf.dispose([mean, logVar, z1, z2, z3, m, v]);
    model.dispose();
  });

  it('latentMeans from a tensor or an iterator equal the encoder means, in batches', () => {
    const model = new DBVAE(tiny);
    const x = images(11);
    const { mean, logit, logVar } = model.encode(x);
    const fromTensor = model.latentMeans(x, { batchSize: 4 });
    function* batches(): Generator<tf.Tensor4D> {
      for (let s = 0; s < 11; s += 5) yield tf.slice(x, [s, 0, 0, 0], [Math.min(5, 11 - s), -1, -1, -1]);
    }
    const fromIter = model.latentMeans(batches());
    expect(fromTensor.length).toBe(11 * 4);
    expectAllClose(fromTensor, mean.dataSync(), 1e-5);
    expectAllClose(fromIter, mean.dataSync(), 1e-5);
    expect(() => model.latentMeans([][Symbol.iterator]())).toThrow(InvalidArgumentError);
    expect(() => model.encode(images(2, 32))).toThrow(ShapeError);
    tf.dispose([x, mean, logit, logVar]);
    model.dispose();
  });

  it('leaks no tensors in forward passes and latentMeans', async () => {
    const model = new DBVAE(tiny);
    const x = images(6);
    await expectNoTensorLeaks(() => {
      tf.dispose(Object.values(model.forward(x, { training: true, seed: 2 })));
      model.latentMeans(x, { batchSize: 4 });
      model.predict(x).dispose();
      model.reconstruct(x).dispose();
    }, 3);
    x.dispose();
    model.dispose();
  });
});
