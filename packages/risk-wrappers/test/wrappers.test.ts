import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, createRandom, initBackend, tf } from '@dbvae/backend';
import { expectAllClose, expectNoTensorLeaks } from '@dbvae/test-utils';
import {
  ComposedWrapper,
  DropoutWrapper,
  EnsembleWrapper,
  HistogramVAEWrapper,
  HistogramWrapper,
  MVEWrapper,
  NotReadyError,
  UnsupportedModelError,
  VAEWrapper,
  loadRiskWrapper,
  wrap,
} from '@dbvae/risk-wrappers';
import { denseModel, uniformColumn } from './helpers';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

function mean(a: ArrayLike<number>, from = 0, to = a.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i] as number;
  return s / (to - from);
}

describe('HistogramWrapper', () => {
  // The lab's toy setup: a dense region (900 points in [-1, 0)) and a sparse one (100 in [0, 1)).
  const xs = new Float32Array([...uniformColumn(900, -1, 0, 1), ...uniformColumn(100, 0, 1, 2)]);
  const ys = Float32Array.from(xs, (x) => Math.sin(3 * x));

  it('orders a dense and a sparse region correctly (input and hidden features)', async () => {
    const x = tf.tensor2d(xs, [xs.length, 1]);
    const y = tf.tensor2d(ys, [ys.length, 1]);
    const grid = tf.tensor2d([-0.75, -0.5, -0.25, 0.25, 0.5, 0.75], [6, 1]);
    for (const source of ['input', 'features'] as const) {
      const w = new HistogramWrapper(denseModel(1, [16], 1, 3, 'tanh'), { queueSize: 1000, numBins: 5, source, mode: 'joint' });
      w.compile({ optimizer: 'adam', loss: 'mse' });
      await w.fit(x, y, { epochs: 2, batchSize: 100 });
      expect(w.histogram?.filled).toBe(1000);
      const out = w.predict(grid);
      const b = out.bias?.dataSync() as Float32Array;
      expect(Math.min(...b.slice(0, 3)), `${source}: every dense point above every sparse one`).toBeGreaterThan(Math.max(...b.slice(3)));
      out.dispose();
      w.dispose();
    }
    tf.dispose([x, y, grid]);
  });

  it('counts the compiled loss once and trains the user model itself (shared layers)', () => {
    const model = denseModel(1, [8], 1, 4);
    const w = new HistogramWrapper(model, { queueSize: 50, mode: 'joint' });
    w.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = tf.tensor2d(xs.slice(0, 32), [32, 1]);
    const y = tf.tensor2d(ys.slice(0, 32), [32, 1]);
    const expected = tf.tidy(() => tf.losses.meanSquaredError(y, model.predict(x) as tf.Tensor).dataSync()[0] as number);
    expect(w.trainOnBatch(x, y)).toBeCloseTo(expected, 5);
    // After the step, the user's model and the wrapper's yHat agree: the weights are the same objects.
    const out = w.predict(x);
    const direct = model.predict(x) as tf.Tensor;
    expectAllClose(out.yHat.dataSync(), direct.dataSync(), 1e-5);
    const afterLoss = tf.tidy(() => tf.losses.meanSquaredError(y, direct).dataSync()[0] as number);
    expect(afterLoss).toBeLessThan(expected);
    out.dispose();
    tf.dispose([x, y, direct]);
  });

  it('gives bias for an inference-only function model via fitHistogram, and refuses training', () => {
    const fn = (x: tf.Tensor): tf.Tensor => tf.sum(x, 1, true);
    const w = new HistogramWrapper(fn, { numBins: 4 });
    const x = tf.tensor2d(xs, [xs.length, 1]);
    expect(() => w.predict(x)).toThrow(NotReadyError);
    w.fitHistogram(x);
    const grid = tf.tensor2d([-0.5, 0.5], [2, 1]);
    const out = w.predict(grid);
    const b = out.bias?.dataSync() as Float32Array;
    expect(b[0]).toBeGreaterThan(b[1] as number);
    w.compile({ loss: 'mse' });
    expect(() => w.trainOnBatch(grid, grid)).toThrow(UnsupportedModelError);
    expect(() => new DropoutWrapper(fn)).toThrow(UnsupportedModelError);
    expect(() => new MVEWrapper(fn)).toThrow(UnsupportedModelError);
    out.dispose();
    tf.dispose([x, grid]);
  });
});

describe('MVEWrapper', () => {
  it('recovers the true noise variance of y = x^3 + noise growing with x (mean error within 10%)', async () => {
    const rng = createRandom(1);
    const n = 8000;
    const sigma = (x: number): number => 0.1 + 0.2 * (x + 1);
    const xs = Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
    const ys = Float32Array.from(xs, (x) => x ** 3 + sigma(x) * rng.normal());
    const w = new MVEWrapper(denseModel(1, [32, 32], 1, 1), { mode: 'joint' });
    w.compile({ optimizer: tf.train.adam(0.01), loss: 'mse' });
    const x = tf.tensor2d(xs, [n, 1]);
    const y = tf.tensor2d(ys, [n, 1]);
    await w.fit(x, y, { epochs: 30, batchSize: 256 });
    const gridValues = [-0.9, -0.6, -0.3, 0, 0.3, 0.6, 0.9];
    const grid = tf.tensor2d(gridValues, [7, 1]);
    const out = w.predict(grid);
    const v = out.aleatoric?.dataSync() as Float32Array;
    // Each point within 20%, and the grid-averaged relative error within 10% (per-point errors
    // of a few percent are the sampling noise of 8000 points).
    const errors = gridValues.map((g, i) => Math.abs((v[i] as number) - sigma(g) ** 2) / sigma(g) ** 2);
    errors.forEach((e, i) => expect(e, `variance at x=${gridValues[i]}: ${v[i]} vs ${sigma(gridValues[i] as number) ** 2}`).toBeLessThan(0.2));
    expect(mean(errors)).toBeLessThan(0.1);
    // And the variance grows with x, as the noise does.
    for (let i = 1; i < v.length; i++) expect(v[i] as number).toBeGreaterThan(v[i - 1] as number);
    out.dispose();
    w.dispose();
    tf.dispose([x, y, grid]);
  });
});

describe('MVEWrapper (classification), optimizer copies and ensemble leaks', () => {
  it('trains with sampled logits and reports a positive variance per logit', async () => {
    const x = tf.tensor2d(uniformColumn(128, -1, 1, 11), [128, 1]);
    const y = tf.tidy(() => tf.cast(tf.greater(x, 0), 'float32'));
    const w = new MVEWrapper(denseModel(1, [8], 1, 3), { classification: true, samples: 4, mode: 'joint' });
    w.compile({ optimizer: tf.train.adam(0.02), loss: 'binaryCrossentropy' });
    const h = await w.fit(x, y, { epochs: 10, batchSize: 32 });
    expect(h.loss[9]).toBeLessThan(h.loss[0] as number);
    const out = w.predict(x);
    const v = out.aleatoric?.dataSync() as Float32Array;
    expect(v.every((a) => a > 0 && Number.isFinite(a))).toBe(true);
    out.dispose();
    tf.dispose([x, y]);
  });

  it('infers classification from a cross-entropy loss: yHat stays logits that separate the classes', async () => {
    const x = tf.tensor2d(uniformColumn(128, -1, 1, 13), [128, 1]);
    const y = tf.tidy(() => tf.cast(tf.greater(x, 0), 'float32'));
    const w = wrap(denseModel(1, [8], 1, 5), { aleatoric: true, mode: 'joint' });
    w.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy' });
    await w.fit(x, y, { epochs: 20, batchSize: 32 });
    const probe = tf.tensor2d([-0.8, 0.8], [2, 1]);
    const out = w.predict(probe);
    const [low, high] = Array.from(out.yHat.dataSync());
    // Logits of a trained classifier, not regression targets in [0, 1]: clearly signed.
    expect(low).toBeLessThan(-1);
    expect(high).toBeGreaterThan(1);
    out.dispose();
    tf.dispose([x, y, probe]);
  });

  it('gives every ensemble member its own copy of an optimizer instance, and does not leak', async () => {
    const given = tf.train.adam(0.0123);
    const e = new EnsembleWrapper(denseModel(1, [4], 1, 4), { numMembers: 2, mode: 'joint', memberWrapper: (m, _i, mode) => new MVEWrapper(m, { mode }) });
    e.compile({ optimizer: given, loss: 'mse' });
    const opts = e.members.map((m) => m.optimizerInstance);
    expect(opts[0]).not.toBe(opts[1]);
    expect(opts).not.toContain(given);
    expect(opts.map((o) => o?.getConfig()['learningRate'])).toEqual([0.0123, 0.0123]);
    const x = tf.tensor2d(uniformColumn(16, -1, 1, 5), [16, 1]);
    await expectNoTensorLeaks(() => {
      e.trainOnBatch(x, x);
      const out = e.predict(x);
      expect(out.risks).toEqual(['epistemic', 'aleatoric']);
      out.dispose();
    }, 2);
    x.dispose();
  });
});

describe('epistemic wrappers outside the training range', () => {
  const xs = uniformColumn(400, -1, 1, 7);
  const ys = Float32Array.from(xs, (v) => Math.sin(3 * v));
  const inside = [-0.8, -0.4, 0, 0.4, 0.8];
  const outside = [-4, -3, 3, 4];

  /** Fits on the training range, then asserts the epistemic std outside it is over twice that inside. */
  async function expectHigherStdOutside(w: DropoutWrapper | EnsembleWrapper): Promise<void> {
    const x = tf.tensor2d(xs, [xs.length, 1]);
    const y = tf.tensor2d(ys, [ys.length, 1]);
    await w.fit(x, y, { epochs: 15, batchSize: 32 });
    const grid = tf.tensor2d([...inside, ...outside], [9, 1]);
    const out = w.predict(grid);
    const e = out.epistemic?.dataSync() as Float32Array;
    expect(mean(e, inside.length)).toBeGreaterThan(2 * mean(e, 0, inside.length));
    out.dispose();
    tf.dispose([x, y, grid]);
  }

  it('MC dropout: higher std outside, with dropout only in the wrapper', async () => {
    const model = denseModel(1, [64, 64], 1, 5);
    const w = new DropoutWrapper(model, { rate: 0.1, passes: 20, seed: 3, mode: 'joint' });
    w.compile({ optimizer: tf.train.adam(0.01), loss: 'mse' });
    await expectHigherStdOutside(w);
    // The user's model has no dropout: two predictions agree exactly.
    const grid = tf.tensor2d([...inside, ...outside], [9, 1]);
    const a = model.predict(grid) as tf.Tensor;
    const b = model.predict(grid) as tf.Tensor;
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([grid, a, b]);
  });

  it('ensemble with an optimizer name: higher std outside, each member its own optimizer', async () => {
    const w = new EnsembleWrapper(denseModel(1, [32, 32], 1, 6), { numMembers: 3, seed: 1, mode: 'joint' });
    w.compile({ optimizer: 'adam', loss: 'mse' });
    const opts = w.members.map((m) => m.optimizerInstance);
    expect(new Set(opts).size).toBe(3);
    await expectHigherStdOutside(w);
  });
});

describe('VAEWrapper', () => {
  // 8x8 "training-like" images: one smooth bump; out of distribution: uniform noise.
  function bumps(n: number, seed: number): tf.Tensor4D {
    const rng = createRandom(seed);
    const data = new Float32Array(n * 64);
    for (let i = 0; i < n; i++) {
      const cx = 2 + 4 * rng.next();
      const cy = 2 + 4 * rng.next();
      for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) data[i * 64 + r * 8 + c] = Math.exp(-((r - cy) ** 2 + (c - cx) ** 2) / 4);
    }
    return tf.tensor4d(data, [n, 8, 8, 1]);
  }
  function convModel(): tf.LayersModel {
    const input = tf.input({ shape: [8, 8, 1] });
    let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
    h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
    h = tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(h) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: out });
  }

  it('needs a decoder for convolutional extractors', () => {
    expect(() => new VAEWrapper(convModel(), { latentDim: 4 })).toThrow(UnsupportedModelError);
  });

  it("reconstructs training-like images better than noise (decoder 'auto')", async () => {
    const x = bumps(256, 1);
    const y = tf.tidy(() => tf.cast(tf.greater(tf.sum(x.slice([0, 0, 0, 0], [-1, 8, 4, 1]), [1, 2, 3]), tf.sum(x.slice([0, 0, 4, 0], [-1, 8, 4, 1]), [1, 2, 3])), 'float32').reshape([-1, 1]));
    const w = new VAEWrapper(convModel(), { latentDim: 4, decoder: 'auto', seed: 2, mode: 'joint', weight: 1 });
    w.compile({ optimizer: tf.train.adam(0.005), loss: 'binaryCrossentropy' });
    const h = await w.fit(x, y, { epochs: 8, batchSize: 32 });
    expect(h.loss[h.loss.length - 1]).toBeLessThan(h.loss[0] as number);
    const test = bumps(32, 2);
    const noise = tf.randomUniform([32, 8, 8, 1], 0, 1, 'float32', 5);
    const a = w.predict(test);
    const b = w.predict(noise);
    expect(mean(b.epistemic?.dataSync() as Float32Array)).toBeGreaterThan(2 * mean(a.epistemic?.dataSync() as Float32Array));
    tf.dispose([x, y, test, noise]);
    a.dispose();
    b.dispose();
  });

  it('uses the log-variance parameterisation in the KL (hand-computed loss)', () => {
    // Mean head 0, log-variance head constant c, decoder constant 0: the VAE loss is
    // sum(x^2) + klWeight * (-0.5) * sum_d (1 + c - exp(c)), whatever the sampled noise.
    const latent = 3;
    const c = 0.7;
    const zin = tf.input({ shape: [latent] });
    const dec = tf.model({ inputs: zin, outputs: tf.layers.dense({ units: 2, kernelInitializer: 'zeros', biasInitializer: 'zeros', trainable: false }).apply(zin) as tf.SymbolicTensor });
    const model = denseModel(2, [4], 1, 9);
    const w = new VAEWrapper(model, { latentDim: latent, decoder: dec, klWeight: 0.5, mode: 'joint', weight: 1 });
    const heads = w.components.vaeHeads as tf.LayersModel;
    const [meanLayer, logvarLayer] = [heads.getLayer('rw_vae_mean'), heads.getLayer('rw_vae_logvar')];
    meanLayer.setWeights(meanLayer.getWeights().map((t) => tf.zerosLike(t)));
    logvarLayer.setWeights(logvarLayer.getWeights().map((t, i) => (i === 0 ? tf.zerosLike(t) : tf.fill(t.shape, c))));
    w.compile({ loss: 'mse' });
    const x = tf.tensor2d([[1, 2], [0.5, -1]]);
    const y = tf.tensor2d([[0.3], [-0.2]]);
    const mse = tf.tidy(() => tf.losses.meanSquaredError(y, model.predict(x) as tf.Tensor).dataSync()[0] as number);
    const rec = (1 + 4 + 0.25 + 1) / 2;
    const kl = -0.5 * latent * (1 + c - Math.exp(c));
    expect(w.evaluate(x, y)).toBeCloseTo(mse + rec + 0.5 * kl, 4);
    tf.dispose([x, y]);
  });

  it('HistogramVAEWrapper fills its latent histogram with one class only', async () => {
    const x = tf.tensor2d(uniformColumn(64, -1, 1, 3), [64, 1]);
    const y = tf.tidy(() => tf.cast(tf.greater(x, 0), 'float32'));
    const w = new HistogramVAEWrapper(denseModel(1, [8], 1, 2), { latentDim: 2, onlyClass: 1, queueSize: 1000, mode: 'joint' });
    w.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    await w.fit(x, y, { epochs: 1, batchSize: 16 });
    const positives = Array.from(y.dataSync()).filter((v) => v === 1).length;
    expect(w.histogram?.filled).toBe(positives);
    const out = w.predict(x);
    expect(out.risks).toEqual(['bias', 'epistemic']);
    out.dispose();
    tf.dispose([x, y]);
  });
});

describe('wrap() on a functional model with two inputs and two outputs', () => {
  function twoInputModel(): tf.LayersModel {
    const a = tf.input({ shape: [2], name: 'a' });
    const b = tf.input({ shape: [3], name: 'b' });
    const h0 = tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;
    const h = tf.layers.dense({ units: 8, activation: 'relu', name: 'hidden', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(h0) as tf.SymbolicTensor;
    const o1 = tf.layers.dense({ units: 1, name: 'o1', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
    const o2 = tf.layers.dense({ units: 2, name: 'o2', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(h) as tf.SymbolicTensor;
    return tf.model({ inputs: [a, b], outputs: [o1, o2] });
  }

  it('returns bias, epistemic and aleatoric shaped like yHat, and does not leak', async () => {
    const model = twoInputModel();
    const w = wrap(model, { bias: true, epistemic: 'dropout', aleatoric: true, featureLayer: 'hidden', dropout: { passes: 4 }, mode: 'joint' });
    w.compile({ optimizer: 'adam', loss: 'mse' });
    const xa = tf.randomNormal([40, 2], 0, 1, 'float32', 1);
    const xb = tf.randomNormal([40, 3], 0, 1, 'float32', 2);
    const y1 = tf.randomNormal([40, 1], 0, 1, 'float32', 3);
    const y2 = tf.randomNormal([40, 2], 0, 1, 'float32', 4);
    await w.fit([xa, xb], [y1, y2], { epochs: 1, batchSize: 16 });
    const out = w.predict([xa, xb], { batchSize: 16 });
    expect(out.yHat.shape).toEqual([40, 1]);
    expect(out.risks).toEqual(['bias', 'epistemic', 'aleatoric']);
    for (const r of out.risks) expect(out[r]?.shape).toEqual([40, 1]);
    out.dispose();
    await expectNoTensorLeaks(async () => {
      await w.fit([xa, xb], [y1, y2], { epochs: 1, batchSize: 16 });
      w.trainOnBatch([xa, xb], [y1, y2]);
      w.predict([xa, xb], { batchSize: 16 }).dispose();
      w.evaluate([xa, xb], [y1, y2]);
    }, 2);
    // The user's model still works with its two outputs.
    const direct = model.predict([xa, xb]) as tf.Tensor[];
    expect(direct.map((t) => t.shape)).toEqual([[40, 1], [40, 2]]);
    tf.dispose([xa, xb, y1, y2, ...direct]);
  });

  it('rejects empty requests and bad options with typed errors', () => {
    expect(() => wrap(twoInputModel(), {})).toThrow(InvalidArgumentError);
    expect(() => new DropoutWrapper(twoInputModel(), { rate: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => new HistogramWrapper(twoInputModel(), { featureLayer: 'nope' })).toThrow(UnsupportedModelError);
    expect(() => new HistogramWrapper(denseModel(1, [4], 1), { density: 'kde' as never })).toThrow(InvalidArgumentError);
    // A latent bias needs the VAE whose latent it reads.
    expect(() => wrap(denseModel(1, [4], 1), { bias: { source: 'latent' } })).toThrow(InvalidArgumentError);
    const w = new HistogramWrapper(denseModel(1, [4], 1));
    const x = tf.zeros([2, 1]);
    expect(() => w.trainOnBatch(x, x)).toThrow(NotReadyError);
    x.dispose();
  });
});

describe('save and load', () => {
  it('round-trips a wrapper with histogram, VAE and MVE, and an ensemble', async () => {
    const x = tf.tensor2d(uniformColumn(64, -1, 1, 9), [64, 1]);
    const y = tf.tidy(() => tf.square(x));
    const w = wrap(denseModel(1, [8], 1, 8), { bias: true, epistemic: 'vae', aleatoric: true, vae: { latentDim: 2 }, mode: 'joint' }) as ComposedWrapper;
    w.compile({ optimizer: 'adam', loss: 'mse' });
    await w.fit(x, y, { epochs: 1, batchSize: 16 });
    let saved: tf.io.ModelArtifacts | undefined;
    await w.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await loadRiskWrapper(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
    expect(loaded).toBeInstanceOf(ComposedWrapper);
    const a = w.predict(x);
    const b = loaded.predict(x);
    for (const k of ['yHat', 'bias', 'epistemic', 'aleatoric'] as const) expectAllClose(b[k]?.dataSync() ?? [], a[k]?.dataSync() ?? [], 1e-5);
    a.dispose();
    b.dispose();

    const e = new EnsembleWrapper(denseModel(1, [4], 1, 2), { numMembers: 2, mode: 'joint', memberWrapper: (m, _i, mode) => new MVEWrapper(m, { mode }) });
    e.compile({ optimizer: 'sgd', loss: 'mse' });
    await e.fit(x, y, { epochs: 1, batchSize: 32 });
    await e.save(tf.io.withSaveHandler(async (art) => {
      saved = art;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const e2 = await EnsembleWrapper.load(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
    const c = e.predict(x);
    const d = e2.predict(x);
    for (const k of ['yHat', 'epistemic', 'aleatoric'] as const) expectAllClose(d[k]?.dataSync() ?? [], c[k]?.dataSync() ?? [], 1e-5);
    c.dispose();
    d.dispose();
    await expect(HistogramWrapper.load(tf.io.fromMemory(saved as tf.io.ModelArtifacts))).rejects.toThrow();
    tf.dispose([x, y]);
  });
});
