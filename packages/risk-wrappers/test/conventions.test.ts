import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, createRandom, initBackend, tf } from '@dbvae/backend';
import { expectAllClose } from '@dbvae/test-utils';
import { DropoutWrapper, HistogramWrapper, UnsupportedModelError, classificationSummaries, correctPredictions, scoreBatch, wrap, type ComposedWrapper } from '@dbvae/risk-wrappers';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

function mlp(inputDim: number, units: number, activation: 'sigmoid' | 'softmax' | 'relu' | 'linear', seed: number, dropout = 0): tf.LayersModel {
  const g = (k: number) => tf.initializers.glorotUniform({ seed: seed * 10 + k });
  const input = tf.input({ shape: [inputDim] });
  let h = tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: g(1) }).apply(input) as tf.SymbolicTensor;
  if (dropout > 0) h = tf.layers.dropout({ rate: dropout }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units, activation, kernelInitializer: g(2) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** Two Gaussian blobs at (+-1, +-1), labels 1 and 0, separable up to a few points. */
function blobs(n: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D; labels: number[] } {
  const rng = createRandom(seed);
  const xs: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    labels.push(c);
    xs.push((c ? 1 : -1) + 0.4 * rng.normal(), (c ? 1 : -1) + 0.4 * rng.normal());
  }
  return { x: tf.tensor2d(xs, [n, 2]), y: tf.tensor2d(labels, [n, 1]), labels };
}

describe('Keras conventions: sigmoid and softmax outputs are probabilities', () => {
  it("binaryCrossentropy on a sigmoid-ending model is Keras's BCE on its probabilities (hand-computed)", () => {
    const model = mlp(2, 1, 'sigmoid', 1);
    const { x, y, labels } = blobs(16, 1);
    const w = new HistogramWrapper(model, { mode: 'joint' });
    w.compile({ loss: 'binaryCrossentropy' });
    const p = Array.from(tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync()));
    const bce = -p.reduce((s, pi, i) => s + (labels[i] ? Math.log(pi) : Math.log(1 - pi)), 0) / p.length;
    expect(w.evaluate(x, y)).toBeCloseTo(bce, 5);
    tf.dispose([x, y]);
  });

  it('categoricalCrossentropy on a softmax-ending model is -mean(sum y log p) (hand-computed)', () => {
    const model = mlp(2, 3, 'softmax', 2);
    const x = tf.tensor2d([[0.1, 2], [-1, 0.5], [2, -2]]);
    const y = tf.oneHot(tf.tensor1d([2, 0, 1], 'int32'), 3).toFloat();
    const w = wrap(model, { bias: true, mode: 'joint' });
    w.compile({ loss: 'categoricalCrossentropy' });
    const p = tf.tidy(() => (model.predict(x) as tf.Tensor).arraySync() as number[][]);
    const cce = -(Math.log(p[0]![2]!) + Math.log(p[1]![0]!) + Math.log(p[2]![1]!)) / 3;
    expect(w.evaluate(x, y)).toBeCloseTo(cce, 5);
    tf.dispose([x, y]);
  });

  it('a sigmoid-ending model trains (joint) to its true accuracy, and correctPredictions reports it', async () => {
    const model = mlp(2, 1, 'sigmoid', 3);
    const { x, y, labels } = blobs(256, 2);
    const w = wrap(model, { bias: true, mode: 'joint' });
    w.compile({ optimizer: tf.train.adam(0.02), loss: 'binaryCrossentropy' });
    await w.fit(x, y, { epochs: 20, batchSize: 32 });
    const out = w.predict(x);
    expect(out.outputs).toBe('probabilities');
    const p = Array.from(out.yHat.dataSync());
    const handAccuracy = p.filter((pi, i) => (pi >= 0.5 ? 1 : 0) === labels[i]).length / p.length;
    expect(handAccuracy).toBeGreaterThan(0.95);
    const correct = correctPredictions(out, y);
    expect(correct.reduce((s, c) => s + c, 0) / correct.length).toBeCloseTo(handAccuracy, 10);
    out.dispose();
    tf.dispose([x, y]);
  });

  it('throws typed errors where the loss and the output cannot be reconciled', () => {
    expect(() => wrap(mlp(2, 1, 'sigmoid', 4), { bias: true }).compile({ loss: 'binaryCrossentropy', fromLogits: true })).toThrow(InvalidArgumentError);
    expect(() => wrap(mlp(2, 3, 'sigmoid', 4), { bias: true }).compile({ loss: 'categoricalCrossentropy' })).toThrow(InvalidArgumentError);
    expect(() => wrap(mlp(2, 3, 'softmax', 4), { bias: true }).compile({ loss: 'binaryCrossentropy' })).toThrow(InvalidArgumentError);
    expect(() => wrap(mlp(2, 1, 'relu', 4), { bias: true }).compile({ loss: 'binaryCrossentropy' })).toThrow(UnsupportedModelError);
    // Said explicitly, a relu output is taken as probabilities.
    expect(() => wrap(mlp(2, 1, 'relu', 4), { bias: true }).compile({ loss: 'binaryCrossentropy', fromLogits: false })).not.toThrow();
  });
});

describe('multi-class uncertainty summaries', () => {
  it('match hand-computed entropies and mutual information', () => {
    // Two passes that disagree completely: mean (0.5, 0.5), total ln 2, expected H(0.9, 0.1).
    const a = tf.tensor2d([[0.9, 0.1]]);
    const b = tf.tensor2d([[0.1, 0.9]]);
    const h91 = -(0.9 * Math.log(0.9) + 0.1 * Math.log(0.1));
    const s = classificationSummaries([a, b], true);
    expectAllClose(s['total.predictiveEntropy']?.dataSync() ?? [], [Math.LN2, Math.LN2], 1e-5);
    expectAllClose(s['aleatoric.expectedEntropy']?.dataSync() ?? [], [h91, h91], 1e-5);
    expectAllClose(s['epistemic.mutualInformation']?.dataSync() ?? [], [Math.LN2 - h91, Math.LN2 - h91], 1e-4);
    // Passes that agree: no mutual information. Independent sigmoid outputs: per column.
    const same = classificationSummaries([a, a], true);
    expect(Math.max(...Array.from(same['epistemic.mutualInformation']?.dataSync() ?? [1]))).toBeLessThan(1e-6);
    const sig = classificationSummaries([tf.tensor2d([[0.5, 0.9]]), tf.tensor2d([[0.5, 0.9]])], false);
    expectAllClose(sig['total.predictiveEntropy']?.dataSync() ?? [], [Math.LN2, h91], 1e-5);
    for (const t of [a, b, ...Object.values(s), ...Object.values(same), ...Object.values(sig)]) t?.dispose();
  });

  it('MC dropout on a softmax classifier (its own Dropout, post-hoc): per-class outputs, entropies, scoreBatch probabilities', async () => {
    const model = mlp(2, 3, 'softmax', 5, 0.3);
    const x = tf.randomNormal([12, 2], 0, 1, 'float32', 3);
    const w = new DropoutWrapper(model, { placement: 'own', passes: 8, seed: 1 });
    expect(w.retrainsCopies).toBe(false);
    w.compile({ loss: 'categoricalCrossentropy' });
    const out = w.predict(x);
    const direct = model.predict(x) as tf.Tensor;
    expect(Array.from(out.yHat.dataSync())).toEqual(Array.from(direct.dataSync()));
    expect(out.yHat.shape).toEqual([12, 3]);
    for (const k of ['total.predictiveEntropy', 'aleatoric.expectedEntropy', 'epistemic.mutualInformation', 'epistemic.mcDropout'] as const) {
      const v = Array.from(out.named[k]?.dataSync() ?? []);
      expect(v.length, k).toBe(36);
      expect(v.every((e) => Number.isFinite(e) && e >= 0), k).toBe(true);
    }
    const total = out.perSample('total.predictiveEntropy');
    expect(Math.max(...Array.from(total))).toBeLessThanOrEqual(Math.log(3) + 1e-5);
    const scored = scoreBatch(w as ComposedWrapper, x, { seed: 2 });
    const argmax = tf.tidy(() => Array.from(tf.argMax(direct, 1).dataSync()));
    scored.rows.forEach((r, i) => {
      expect(r.predictedClass).toBe(argmax[i]);
      expect(r.probabilities?.reduce((a, c) => a + c, 0)).toBeCloseTo(1, 5);
    });
    out.dispose();
    tf.dispose([x, direct]);
  });
});
