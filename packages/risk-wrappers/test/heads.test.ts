import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@dbvae/backend';
import { UnsupportedModelError } from '../src/errors';
import { HistogramHead } from '../src/heads/histogram-head';
import { McDropoutHead } from '../src/heads/mc-dropout-head';
import { MveHead } from '../src/heads/mve-head';
import type { HeadStep } from '../src/heads/risk-head';
import { VaeHead } from '../src/heads/vae-head';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const seeds = (): (() => number) => {
  let s = 1;
  return () => s++;
};

function step(partial: Partial<HeadStep> & Pick<HeadStep, 'taps' | 'output'>): HeadStep {
  return { xs: [partial.taps.input as tf.Tensor], training: false, joint: false, seed: seeds(), task: { classification: false, probabilities: false }, ...partial };
}

describe('MveHead', () => {
  it('predicts exp(W f + b) and its regression loss is the Gaussian NLL', () => {
    const head = MveHead.build({}, [2], [1], seeds());
    expect(head.reads).toEqual(['features']);
    expect(head.writes).toEqual(['aleatoric.mve']);
    const dense = head.model.getLayer('rw_mve_logvar');
    dense.setWeights([tf.tensor2d([[0.5], [-1]]), tf.tensor1d([0.25])]);
    const before = tf.memory().numTensors;
    const f = tf.tensor2d([[1, 2], [0, 0]]);
    const out = tf.tensor2d([[1], [3]]);
    const y = tf.tensor2d([[2], [3]]);
    // logvar = [0.5 - 2 + 0.25, 0.25] = [-1.25, 0.25]
    const pred = tf.tidy(() => head.predict(step({ taps: { features: f, input: f }, output: out })).fields['aleatoric.mve'] as tf.Tensor);
    expect(Array.from(pred.dataSync())).toEqual([Math.exp(-1.25), Math.exp(0.25)].map((v) => expect.closeTo(v, 5)));
    const loss = tf.tidy(() => head.loss(step({ taps: { features: f, input: f }, output: out, ys: [y] })));
    // 0.5 * mean(logvar + (y - mean)^2 exp(-logvar)): sample 1 is off by 1, sample 2 exact.
    expect(loss.dataSync()[0]).toBeCloseTo(0.5 * ((-1.25 + Math.exp(1.25)) + 0.25) / 2, 5);
    tf.dispose([pred, loss, f, out, y]);
    expect(tf.memory().numTensors).toBe(before);
    head.dispose();
  });
});

describe('VaeHead', () => {
  it('provides latent.vae, writes epistemic.vae, and its loss is reconstruction + KL in closed form', () => {
    // A user decoder with a zero kernel decodes every z to its bias: the loss is then deterministic.
    const dIn = tf.input({ shape: [1] });
    const decoder = tf.model({ inputs: dIn, outputs: tf.layers.dense({ units: 2, name: 'dec' }).apply(dIn) as tf.SymbolicTensor });
    decoder.getLayer('dec').setWeights([tf.zeros([1, 2]), tf.tensor1d([1, -1])]);
    const head = VaeHead.build({ latentDim: 1, decoder, klWeight: 2 }, [2], [2], [], seeds());
    expect(head.provides).toEqual(['latent.vae']);
    expect(head.writes).toEqual(['epistemic.vae']);
    head.encoder.getLayer('rw_vae_mean').setWeights([tf.tensor2d([[1], [0]]), tf.tensor1d([0])]);
    head.encoder.getLayer('rw_vae_logvar').setWeights([tf.zeros([2, 1]), tf.tensor1d([0])]);
    const x = tf.tensor2d([[3, 0], [1, -1]]);
    const out = tf.zeros([2, 1]);
    const before = tf.memory().numTensors;
    const mu = tf.tidy(() => head.latent(x));
    expect(Array.from(mu.dataSync())).toEqual([3, 1]);
    const loss = tf.tidy(() => head.loss(step({ taps: { features: x, input: x }, output: out, ys: [out] })));
    // rec: sum (bias - x)^2 = [(1-3)^2 + (-1)^2, 0] = [5, 0]; KL with logvar 0 = mu^2 / 2 = [4.5, 0.5].
    expect(loss.dataSync()[0]).toBeCloseTo(((5 + 2 * 4.5) + (0 + 2 * 0.5)) / 2, 4);
    const joint = tf.tidy(() => head.loss(step({ taps: { features: x, input: x }, output: out, ys: [out], joint: true })));
    expect(joint.dataSync()[0]).toBeCloseTo(0.01 * 7.5, 5);
    const masked = tf.tidy(() => head.loss(step({ taps: { features: x, input: x }, output: out, ys: [out], mask: tf.tensor1d([0, 1]) })));
    expect(masked.dataSync()[0]).toBeCloseTo(1, 4);
    const e = tf.tidy(() => head.predict(step({ taps: { features: x, input: x }, output: out })).fields['epistemic.vae'] as tf.Tensor);
    expect(e.shape).toEqual([2, 1]);
    expect(Array.from(e.dataSync())).toEqual([expect.closeTo(2.5, 5), expect.closeTo(0, 5)]);
    tf.dispose([mu, loss, joint, masked, e]);
    expect(tf.memory().numTensors).toBe(before);
    head.calibrateSupport([1, 2, 3, 4], 2);
    expect(head.support).toEqual({ threshold: 4, variance: 2.5 / 2 });
    head.dispose();
    // The user's decoder is not the head's to free.
    expect(decoder.getLayer('dec').getWeights()[1]?.isDisposed).toBe(false);
    tf.dispose([x, out]);
    decoder.dispose();
  });
});

describe('HistogramHead', () => {
  it('observes only unmasked rows, writes bias.histogram as a log-probability and saves its queue', () => {
    const head = new HistogramHead({ density: 'histogram', numBins: 2 });
    expect(head.reads).toEqual(['features']);
    expect(head.writes).toEqual(['bias.histogram']);
    expect(new HistogramHead({ source: 'latent' }).reads).toEqual(['latent.vae']);
    // Row 5 is masked out: the range stays [0, 1] and 0.25 falls in a bin holding half the queue.
    const rows = tf.tensor2d([[0], [5], [1]]);
    head.observe(rows, tf.tensor1d([1, 0, 1]));
    expect(head.histogram.filled).toBe(2);
    const q = tf.tensor2d([[0.25]]);
    const logp = head.logProb(q);
    expect(logp[0]).toBeCloseTo(Math.log(0.5), 5);
    const out = tf.zeros([1, 3]);
    const fields = tf.tidy(() => head.fieldsFrom(logp, out, tf.tensor1d([2])));
    expect((fields['bias.histogram'] as tf.Tensor).shape).toEqual([1, 3]);
    expect((fields['bias.vaeSupport'] as tf.Tensor).dataSync()[0]).toBeCloseTo(Math.log(0.5) - 2, 5);
    const saved = head.saveState();
    const copy = new HistogramHead({ density: 'histogram', numBins: 2 });
    copy.loadState(saved as NonNullable<typeof saved>);
    expect(copy.logProb(q)[0]).toBe(logp[0]);
    expect(new HistogramHead({}).saveState()).toBeUndefined();
    tf.dispose([rows, q, out, ...Object.values(fields)]);
  });
});

describe('McDropoutHead', () => {
  function userModel(): tf.LayersModel {
    const inp = tf.input({ shape: [2] });
    const h = tf.layers.dense({ units: 4, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(inp) as tf.SymbolicTensor;
    return tf.model({ inputs: inp, outputs: tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(h) as tf.SymbolicTensor });
  }

  it('inserts dropout after hidden layers only; at rate 0 the passes equal the model and the std is 0', () => {
    const model = userModel();
    const seed = seeds();
    const head = new McDropoutHead({ rate: 0, passes: 3 }, McDropoutHead.buildModel(model, model.outputs, { rate: 0 }, true, seed), true, seed);
    expect(head.layers).toHaveLength(1);
    expect(head.writes).toContain('epistemic.mcDropout');
    const x = tf.tensor2d([[1, 2], [-1, 0.5]]);
    const before = tf.memory().numTensors;
    const { mean, fields } = tf.tidy(() => head.passes([x], () => undefined, () => false));
    const ref = model.predict(x) as tf.Tensor;
    expect(Array.from(mean.dataSync())).toEqual(Array.from(ref.dataSync()).map((v) => expect.closeTo(v, 5)));
    expect(Array.from((fields['epistemic.mcDropout'] as tf.Tensor).dataSync())).toEqual([0, 0]);
    tf.dispose([mean, ref, ...Object.values(fields)]);
    expect(tf.memory().numTensors).toBe(before);
    // The copy owns its own variables: disposing it leaves the user's model usable.
    head.dispose();
    expect(model.layers[1]?.getWeights()[0]?.isDisposed).toBe(false);
    x.dispose();
  });

  it('gives a positive std with dropout on, and is off outside its passes', () => {
    const model = userModel();
    const seed = seeds();
    const head = new McDropoutHead({ rate: 0.5, passes: 8 }, McDropoutHead.buildModel(model, model.outputs, { rate: 0.5 }, true, seed), true, seed);
    const x = tf.tensor2d([[1, 2], [2, 1]]);
    const { mean, fields } = tf.tidy(() => head.passes([x], () => undefined, () => false));
    expect(Math.min(...(fields['epistemic.mcDropout'] as tf.Tensor).dataSync())).toBeGreaterThan(0);
    expect(head.layers.every((l) => !l.active)).toBe(true);
    tf.dispose([mean, x, ...Object.values(fields)]);
    head.dispose();
  });

  it("refuses placement 'own' on a model without Dropout layers", () => {
    const model = userModel();
    expect(() => McDropoutHead.buildModel(model, model.outputs, { placement: 'own' }, false, seeds())).toThrow(UnsupportedModelError);
  });
});
