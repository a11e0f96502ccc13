import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, InvalidArgumentError, ShapeError, tf } from '@dbvae/backend';
import { expectAllClose, expectNoTensorLeaks, fixtureValues } from '@dbvae/test-utils';
import { classifierTrainStep, createDataParallelTrainer, ModelError, type DataParallelTrainer } from '@dbvae/models';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

/** A small conv classifier, with or without a batch-norm layer, with seeded weights. */
function smallClassifier(batchNorm: boolean): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 2] });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  if (batchNorm) x = tf.layers.batchNormalization({ momentum: 0.9 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function batch(n: number, seed: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const x = tf.tensor4d(fixtureValues(n * 8 * 8 * 2, seed), [n, 8, 8, 2]);
  const y = tf.tensor2d(Array.from(fixtureValues(n * 2, seed + 1), (v) => (v > 0 ? 1 : 0)), [n, 2]);
  return { x, y };
}

function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.weights.map((w) => w.read().dataSync() as Float32Array);
}

describe('createDataParallelTrainer', () => {
  const open: DataParallelTrainer[] = [];
  afterAll(async () => {
    await Promise.all(open.map((t) => t.close()));
  });

  it('without batch statistics, trains exactly as one thread on the whole batch (uneven shares)', async () => {
    const model = smallClassifier(false);
    const twin = smallClassifier(false);
    const optimizer = tf.train.adam(0.01);
    const twinOptimizer = tf.train.adam(0.01);
    const trainer = await createDataParallelTrainer(model, optimizer, { workers: 2 });
    open.push(trainer);
    for (let s = 0; s < 3; s++) {
      const { x, y } = batch(7, 10 + s);
      const loss = await trainer.step(x, y);
      const twinLoss = classifierTrainStep(twin, twinOptimizer, x, y);
      expect(loss).toBeCloseTo(twinLoss, 5);
      tf.dispose([x, y]);
    }
    const expected = weightsOf(twin);
    weightsOf(model).forEach((w, i) => expectAllClose(w, expected[i] as Float32Array, 1e-4));
    await trainer.close();
    tf.dispose([model, twin].flatMap((m) => m.weights.map((w) => w.read())));
    optimizer.dispose();
    twinOptimizer.dispose();
  });

  it('with batch norm, averages per-share gradients and moving statistics (DistributedDataParallel semantics)', async () => {
    const model = smallClassifier(true);
    const twin = smallClassifier(true);
    const optimizer = tf.train.sgd(0.1);
    const trainer = await createDataParallelTrainer(model, optimizer, { workers: 1 });
    open.push(trainer);
    const variables = twin.trainableWeights.map((w) => w.read() as tf.Variable);
    for (let s = 0; s < 2; s++) {
      const { x, y } = batch(6, 20 + s);
      await trainer.step(x, y);
      // Reference: each share's gradient and statistics from the same starting state, weighted 1/2.
      const start = twin.nonTrainableWeights.map((w) => w.read().clone());
      const perShare = [0, 3].map((begin) => {
        twin.nonTrainableWeights.forEach((w, i) => w.write(start[i] as tf.Tensor));
        const { grads } = tf.variableGrads(() => tf.losses.sigmoidCrossEntropy(y.slice(begin, 3), twin.apply(x.slice(begin, 3), { training: true }) as tf.Tensor) as tf.Scalar, variables);
        return { grads, state: twin.nonTrainableWeights.map((w) => w.read().clone()) };
      });
      variables.forEach((v) => {
        const g = tf.tidy(() => tf.mul(tf.add(perShare[0]!.grads[v.name]!, perShare[1]!.grads[v.name]!), 0.5));
        v.assign(tf.tidy(() => tf.sub(v, tf.mul(g, 0.1))));
        g.dispose();
      });
      twin.nonTrainableWeights.forEach((w, i) => w.write(tf.tidy(() => tf.mul(tf.add(perShare[0]!.state[i]!, perShare[1]!.state[i]!), 0.5))));
      tf.dispose([x, y, ...start, ...perShare.flatMap((p) => [...Object.values(p.grads), ...p.state])]);
    }
    const expected = weightsOf(twin);
    weightsOf(model).forEach((w, i) => expectAllClose(w, expected[i] as Float32Array, 1e-4));
    await trainer.close();
    optimizer.dispose();
  });

  it('allocates nothing that outlives a step', async () => {
    const model = smallClassifier(true);
    const optimizer = tf.train.adam(0.01);
    const trainer = await createDataParallelTrainer(model, optimizer, { workers: 1 });
    open.push(trainer);
    const { x, y } = batch(4, 30);
    await trainer.step(x, y); // the optimizer's slots are created on the first step
    await expectNoTensorLeaks(() => trainer.step(x, y), 3);
    tf.dispose([x, y]);
    await trainer.close();
    optimizer.dispose();
  });

  it('refuses bad input with typed errors', async () => {
    const model = smallClassifier(false);
    const optimizer = tf.train.sgd(0.1);
    await expect(createDataParallelTrainer(model, optimizer, { workers: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    const trainer = await createDataParallelTrainer(model, optimizer, { workers: 1 });
    open.push(trainer);
    const { x, y } = batch(3, 40);
    await expect(trainer.step(x.slice(0, 1), y.slice(0, 1))).rejects.toBeInstanceOf(ShapeError);
    await expect(trainer.step(x, y.slice(0, 2))).rejects.toBeInstanceOf(ShapeError);
    await expect(trainer.step(x, tf.zeros([3, 5]))).rejects.toBeInstanceOf(ShapeError);
    await expect(trainer.step(tf.zeros([3, 8, 8, 3]), y)).rejects.toBeInstanceOf(ShapeError);
    // A failing loss (NaN inputs) is reported, and the trainer keeps working afterwards.
    await expect(trainer.step(tf.fill([3, 8, 8, 2], NaN), y)).rejects.toBeInstanceOf(ModelError);
    expect(Number.isFinite(await trainer.step(x, y))).toBe(true);
    await trainer.close();
    await expect(trainer.step(x, y)).rejects.toBeInstanceOf(ModelError);
    tf.dispose([x, y]);
  });
});
