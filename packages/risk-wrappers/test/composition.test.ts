import { beforeAll, describe, expect, it } from 'vitest';
import { createRandom, initBackend, tf } from '@dbvae/backend';
import { expectAllClose } from '@dbvae/test-utils';
import { ComposedWrapper, HistogramVAEWrapper, MVEWrapper } from '@dbvae/risk-wrappers';
import { denseModel, uniformColumn } from './helpers';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

/** Clean (dropout-free) output of the layer before the last one, computed outside the wrapper. */
function penultimate(model: tf.LayersModel, x: tf.Tensor): Float32Array {
  const layer = model.layers[model.layers.length - 2] as tf.layers.Layer;
  const sub = tf.model({ inputs: model.inputs, outputs: layer.getOutputAt(0) as tf.SymbolicTensor });
  return tf.tidy(() => (sub.predict(x) as tf.Tensor).dataSync() as Float32Array);
}

describe('components never overwrite each other', () => {
  it('VAE + MC dropout report both epistemic risks under their own names; epistemic.vae is the hand-computed reconstruction error', async () => {
    const model = denseModel(3, [8], 1, 2);
    const x = tf.randomNormal([24, 3], 0, 1, 'float32', 1);
    const w = new ComposedWrapper(model, { vae: { latentDim: 2 }, dropout: { passes: 5, rate: 0.3 }, seed: 1 });
    w.compile({ optimizer: tf.train.adam(0.01), loss: 'mse' });
    await w.fit(x, tf.zeros([24, 1]), { epochs: 2, batchSize: 8 });
    const out = w.predict(x);
    expect(out.namedRisks).toEqual(['epistemic.mcDropout', 'epistemic.vae']);
    // epistemic.vae = mean over inputs of (decoder(mean head(features)) - x)^2, computed from the parts.
    const { vaeHeads, decoder } = w.components;
    const expected = tf.tidy(() => {
      const feat = tf.tensor2d(penultimate(model, x), [24, 8]);
      const mu = (vaeHeads?.predict(feat) as tf.Tensor[])[0] as tf.Tensor;
      return tf.mean(tf.square(tf.sub(decoder?.predict(mu) as tf.Tensor, x)), 1).dataSync();
    });
    expectAllClose(out.named['epistemic.vae']?.dataSync() ?? [], expected, 1e-4);
    // The dropout std is a different quantity, and epistemic picks the VAE's by default.
    expect(Array.from(out.named['epistemic.mcDropout']?.dataSync() ?? [])).not.toEqual(Array.from(expected));
    expect(Array.from(out.epistemic?.dataSync() ?? [])).toEqual(Array.from(out.named['epistemic.vae']?.dataSync() ?? []));
    const w2 = new ComposedWrapper(model, { vae: { latentDim: 2 }, dropout: { passes: 5 }, combine: { epistemic: 'epistemic.mcDropout' } });
    await w2.fit(x, tf.zeros([24, 1]), { epochs: 1 });
    const out2 = w2.predict(x);
    expect(Array.from(out2.epistemic?.dataSync() ?? [])).toEqual(Array.from(out2.named['epistemic.mcDropout']?.dataSync() ?? []));
    out.dispose();
    out2.dispose();
    tf.dispose([x]);
  });

  it('with bias + dropout in joint training, the histogram queue holds the clean features of the trained model', () => {
    const model = denseModel(2, [16], 1, 5);
    const w = new ComposedWrapper(model, { histogram: { queueSize: 32 }, dropout: { rate: 0.5 }, mode: 'joint', seed: 2 });
    w.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = tf.randomNormal([32, 2], 0, 1, 'float32', 6);
    const y = tf.randomNormal([32, 1], 0, 1, 'float32', 7);
    w.trainOnBatch(x, y);
    const queue = w.histogram?.exportState().data.slice(0, 32 * 16) as Float32Array;
    // Dropout-masked features (rate 0.5) would have about half their entries zeroed and the rest doubled.
    expectAllClose(queue, penultimate(model, x), 1e-5);
    tf.dispose([x, y]);
  });

  it('HistogramVAEWrapper fills its histogram with the latent means of one class only (not the features)', async () => {
    const model = denseModel(1, [8], 1, 2);
    const x = tf.tensor2d(uniformColumn(64, -1, 1, 3), [64, 1]);
    const y = tf.tidy(() => tf.cast(tf.greater(x, 0), 'float32'));
    const w = new HistogramVAEWrapper(model, { latentDim: 2, onlyClass: 1, queueSize: 1000 });
    w.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    await w.fit(x, y, { epochs: 1, batchSize: 16 });
    const labels = Array.from(y.dataSync());
    const positives = labels.map((v, i) => (v === 1 ? i : -1)).filter((i) => i >= 0);
    expect(w.histogram?.filled).toBe(positives.length);
    expect(w.histogram?.dimension).toBe(2);
    const expected = tf.tidy(() => {
      const feat = tf.tensor2d(penultimate(model, x), [64, 8]);
      const mu = (w.components.vaeHeads?.predict(feat) as tf.Tensor[])[0] as tf.Tensor;
      return tf.gather(mu, tf.tensor1d(positives, 'int32')).dataSync();
    });
    expectAllClose(w.histogram?.exportState().data.slice(0, positives.length * 2) ?? [], expected, 1e-5);
    tf.dispose([x, y]);
  });
});

describe('MVE classification loss (Kendall & Gal: NLL of the sample-averaged likelihood)', () => {
  it('equals -mean log E_eps[p(y | mean + std eps)] computed by quadrature, not the averaged loss', () => {
    const model = denseModel(1, [4], 1, 3);
    const w = new MVEWrapper(model, { classification: true, samples: 3000, seed: 1 });
    const std = 3;
    const head = w.components.mveHead?.getLayer('rw_mve_logvar') as tf.layers.Layer;
    head.setWeights(head.getWeights().map((t, i) => (i === 0 ? tf.zerosLike(t) : tf.fill(t.shape, Math.log(std * std)))));
    w.compile({ loss: 'binaryCrossentropy' });
    const x = tf.tensor2d([[-1], [0.2], [0.7], [1.5]]);
    const y = tf.tensor2d([[1], [0], [1], [0]]);
    const mu = Array.from(tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync()));
    const labels = [1, 0, 1, 0];
    // E over eps ~ N(0, 1) of sigmoid(+-(mu + std eps)) by the trapezoid rule on [-8, 8].
    const expectation = (f: (e: number) => number): number => {
      let sum = 0;
      const h = 16 / 4000;
      for (let k = 0; k <= 4000; k++) {
        const e = -8 + k * h;
        sum += (k === 0 || k === 4000 ? 0.5 : 1) * f(e) * Math.exp(-0.5 * e * e);
      }
      return (sum * h) / Math.sqrt(2 * Math.PI);
    };
    const sig = (z: number): number => 1 / (1 + Math.exp(-z));
    const kendall = -mu.reduce((acc, m, i) => acc + Math.log(expectation((e) => (labels[i] ? sig(m + std * e) : 1 - sig(m + std * e)))), 0) / 4;
    const averagedLoss = mu.reduce((acc, m, i) => acc + expectation((e) => Math.log1p(Math.exp(labels[i] ? -(m + std * e) : m + std * e))), 0) / 4;
    const got = w.evaluate(x, y);
    expect(Math.abs(got - kendall), `${got} vs ${kendall} (averaged loss ${averagedLoss})`).toBeLessThan(0.03);
    // The two formulas are far apart at std 3, so the test tells them apart.
    expect(Math.abs(averagedLoss - kendall)).toBeGreaterThan(0.3);
    tf.dispose([x, y]);
  });
});
