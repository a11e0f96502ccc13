import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError, initBackend, tf } from '@dbvae/backend';
import { expectNoTensorLeaks } from '@dbvae/test-utils';
import { HistogramWrapper, UnsupportedModelError, wrap, type ComposedWrapper } from '@dbvae/risk-wrappers';
import { denseModel } from './helpers';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const g = (k: number) => tf.initializers.glorotUniform({ seed: k });

/** A siamese-style functional model: one Dense layer shared by two inputs (two inbound nodes). */
function sharedLayerModel(): tf.LayersModel {
  const a = tf.input({ shape: [3], name: 'left' });
  const b = tf.input({ shape: [3], name: 'right' });
  const shared = tf.layers.dense({ units: 6, activation: 'relu', kernelInitializer: g(1), name: 'shared' });
  const h = tf.layers.concatenate().apply([shared.apply(a) as tf.SymbolicTensor, shared.apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor;
  const hidden = tf.layers.dense({ units: 8, activation: 'relu', kernelInitializer: g(2), name: 'hidden' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 1, kernelInitializer: g(3), name: 'out' }).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: [a, b], outputs: out });
}

/** An inner model used as a layer of an outer one (the inner model's layers then have two inbound nodes). */
function nestedModel(): { outer: tf.LayersModel; inner: tf.LayersModel } {
  const inner = denseModel(4, [8], 5, 7);
  const x = tf.input({ shape: [4] });
  const h = inner.apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 1, kernelInitializer: g(4), name: 'head' }).apply(tf.layers.activation({ activation: 'relu' }).apply(h) as tf.SymbolicTensor) as tf.SymbolicTensor;
  return { outer: tf.model({ inputs: x, outputs: out }), inner };
}

describe('any LayersModel', () => {
  it('wraps a functional model with a shared layer (post-hoc, every risk) and predicts exactly like it', async () => {
    const model = sharedLayerModel();
    const l = tf.randomNormal([20, 3], 0, 1, 'float32', 1);
    const r = tf.randomNormal([20, 3], 0, 1, 'float32', 2);
    const y = tf.randomUniform([20, 1], 0, 1, 'float32', 3).round();
    const w = wrap(model, { bias: true, epistemic: 'dropout', aleatoric: true, dropout: { passes: 3 } }) as ComposedWrapper;
    w.compile({ loss: 'binaryCrossentropy' });
    await w.fit([l, r], y, { epochs: 1, batchSize: 10 });
    const out = w.predict([l, r]);
    const direct = model.predict([l, r]) as tf.Tensor;
    expect(Array.from(out.yHat.dataSync())).toEqual(Array.from(direct.dataSync()));
    expect(out.risks).toEqual(['bias', 'epistemic', 'aleatoric']);
    // The shared layer itself, applied twice, is ambiguous as a feature layer: a typed error.
    expect(() => new HistogramWrapper(model, { featureLayer: 'shared' })).toThrow(UnsupportedModelError);
    expect(() => new HistogramWrapper(model, { featureLayer: 'hidden' })).not.toThrow();
    out.dispose();
    tf.dispose([l, r, y, direct]);
  });

  it('wraps a model a second time (its layers already re-applied by a dropout wrapper)', async () => {
    const model = denseModel(2, [8, 8], 1, 3);
    const first = wrap(model, { epistemic: 'dropout', dropout: { passes: 3 }, mode: 'joint' });
    // The first wrapper re-applied the user's layers: they now have two inbound nodes.
    const second = new HistogramWrapper(model);
    const third = wrap(model, { bias: true, epistemic: 'dropout', featureLayer: 1, dropout: { passes: 3 } });
    const x = tf.randomNormal([10, 2], 0, 1, 'float32', 4);
    await second.fit(x, tf.zeros([10, 1]));
    const out = second.predict(x);
    const direct = model.predict(x) as tf.Tensor;
    expect(Array.from(out.yHat.dataSync())).toEqual(Array.from(direct.dataSync()));
    out.dispose();
    tf.dispose([x, direct]);
    for (const w of [first, second, third]) w.dispose();
  });

  it('wraps a model whose layers are shared with another model (the last layer has two inbound nodes)', async () => {
    const enc = tf.layers.dense({ units: 8, activation: 'relu', kernelInitializer: g(5), name: 'enc' });
    const head = tf.layers.dense({ units: 1, kernelInitializer: g(6), name: 'head' });
    const x1 = tf.input({ shape: [2] });
    const classifier = tf.model({ inputs: x1, outputs: head.apply(enc.apply(x1)) as tf.SymbolicTensor });
    const x2 = tf.input({ shape: [2] });
    const sibling = tf.model({ inputs: x2, outputs: head.apply(enc.apply(x2)) as tf.SymbolicTensor });
    const w = wrap(classifier, { bias: true, aleatoric: true }) as ComposedWrapper;
    const x = tf.randomNormal([12, 2], 0, 1, 'float32', 8);
    await w.fit(x, tf.zeros([12, 1]), { epochs: 1 });
    const out = w.predict(x);
    const direct = classifier.predict(x) as tf.Tensor;
    expect(Array.from(out.yHat.dataSync())).toEqual(Array.from(direct.dataSync()));
    expect(sibling.outputs.length).toBe(1);
    out.dispose();
    tf.dispose([x, direct]);
  });

  it('wraps a nested model (an inner model used as a layer) and the inner model on its own', async () => {
    const { outer, inner } = nestedModel();
    const x = tf.randomNormal([16, 4], 0, 1, 'float32', 5);
    for (const m of [outer, inner]) {
      const w = wrap(m, { bias: true, epistemic: 'vae', vae: { latentDim: 2 } }) as ComposedWrapper;
      await w.fit(x, tf.zeros([16, m.outputs[0]?.shape[1] as number]), { epochs: 1 });
      const out = w.predict(x);
      const direct = m.predict(x) as tf.Tensor;
      expect(Array.from(out.yHat.dataSync())).toEqual(Array.from(direct.dataSync()));
      out.dispose();
      direct.dispose();
      w.dispose();
    }
    x.dispose();
  });
});

describe('bad input gets typed errors', () => {
  const model = denseModel(2, [4], 1, 9);
  const w = new HistogramWrapper(model);
  const good = tf.tensor2d([[0, 1], [1, 0], [0.5, 0.5]]);

  it('NaN or Infinity in predict or fit inputs', async () => {
    await w.fit(good, tf.zeros([3, 1]));
    for (const bad of [NaN, Infinity, -Infinity]) {
      const x = tf.tensor2d([[0, 1], [bad, 0]]);
      expect(() => w.predict(x)).toThrow(InvalidArgumentError);
      await expect(w.fit(x, tf.zeros([2, 1]))).rejects.toThrow(InvalidArgumentError);
      x.dispose();
    }
  });

  it('wrong rank, wrong width, plain arrays', () => {
    const rank3 = tf.zeros([3, 2, 1]);
    const wide = tf.zeros([3, 5]);
    expect(() => w.predict(rank3)).toThrow(ShapeError);
    expect(() => w.predict(wide)).toThrow(ShapeError);
    expect(() => w.predict([[0, 1]] as unknown as tf.Tensor)).toThrow(InvalidArgumentError);
    expect(() => w.predict([0, 1] as unknown as tf.Tensor)).toThrow(InvalidArgumentError);
    tf.dispose([rank3, wide]);
  });

  it('predict and post-hoc fit do not grow the tensor count', async () => {
    const y = tf.zeros([3, 1]);
    const v = wrap(denseModel(2, [4], 1, 10), { bias: true, epistemic: 'vae', aleatoric: true, vae: { latentDim: 2 } });
    v.compile({ loss: 'mse' });
    await expectNoTensorLeaks(async () => {
      await v.fit(good, y, { epochs: 1 });
      v.predict(good).dispose();
    }, 2);
    y.dispose();
  });
});

describe('GraphModel (inference only): post-hoc bias from a named node', () => {
  /** x [n, 2] -> relu(x W1) -> (.) W2: a hand-written tfjs graph model. */
  async function tinyGraphModel(): Promise<{ model: tf.GraphModel; w1: number[]; w2: number[] }> {
    const w1 = [1, -1, 0.5, 2, -0.5, 1, 1, 0];
    const w2 = [1, -1, 0.5, 0.25];
    const f = { type: 'DT_FLOAT' };
    const constNode = (name: string, dims: number[]) => ({ name, op: 'Const', attr: { dtype: f, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: dims.map((d) => ({ size: String(d) })) } } } } });
    const graph = {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: f, shape: { shape: { dim: [{ size: '-1' }, { size: '2' }] } } } },
        constNode('w1', [2, 4]),
        { name: 'hidden', op: 'MatMul', input: ['x', 'w1'], attr: { T: f, transpose_a: { b: false }, transpose_b: { b: false } } },
        { name: 'features', op: 'Relu', input: ['hidden'], attr: { T: f } },
        constNode('w2', [4, 1]),
        { name: 'out', op: 'MatMul', input: ['features', 'w2'], attr: { T: f, transpose_a: { b: false }, transpose_b: { b: false } } },
      ],
      versions: { producer: 1 },
    };
    const weightData = new Float32Array([...w1, ...w2]).buffer;
    const model = await tf.loadGraphModel(
      tf.io.fromMemory({ modelTopology: graph, weightSpecs: [{ name: 'w1', shape: [2, 4], dtype: 'float32' }, { name: 'w2', shape: [4, 1], dtype: 'float32' }], weightData, format: 'graph-model' }),
    );
    return { model, w1, w2 };
  }

  it('reads the named node as features: the histogram equals one fed the hand-computed relu(x W1)', async () => {
    const { model, w1 } = await tinyGraphModel();
    const x = tf.randomNormal([40, 2], 0, 1, 'float32', 11);
    const w = new HistogramWrapper(model, { featureLayer: 'features', queueSize: 40 });
    await w.fit(x, tf.zeros([40, 1]));
    const xs = x.arraySync() as number[][];
    const feats = xs.flatMap(([a, b]) => [0, 1, 2, 3].map((j) => Math.max(0, (a as number) * (w1[j] as number) + (b as number) * (w1[4 + j] as number))));
    const queue = Array.from(w.histogram?.exportState().data.slice(0, 160) ?? []);
    queue.forEach((v, i) => expect(v).toBeCloseTo(feats[i] as number, 4));
    const out = w.predict(x);
    const direct = model.predict(x) as tf.Tensor;
    expect(Array.from(out.yHat.dataSync())).toEqual(Array.from(direct.dataSync()));
    expect(out.perSample('bias').every((b) => Number.isFinite(b))).toBe(true);
    expect(() => new HistogramWrapper(model, { featureLayer: 2 })).toThrow(UnsupportedModelError);
    const bad = new HistogramWrapper(model, { featureLayer: 'nope' });
    expect(() => bad.fitHistogram(x)).toThrow(UnsupportedModelError);
    out.dispose();
    tf.dispose([x, direct]);
  });
});
