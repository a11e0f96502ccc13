import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, InvalidArgumentError, tf } from '@dbvae/backend';
import { samplingWeights } from '@dbvae/resampling';
import { buildStandardClassifier, DBVAE, dbvaeTrainStep, ModelError, trainClassifier, trainDBVAE, type StepRecord } from '@dbvae/models';
import { expectAllClose } from '@dbvae/test-utils';
import { ToyData } from './toy-data';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const tiny = { latentDim: 4, nFilters: 2, inputShape: [16, 16, 3] as [number, number, number], denseUnits: 16, seed: 2 };
const quick = { epochs: 2, batchSize: 8, stepsPerEpoch: 4, learningRate: 2e-3, progressBar: false as const, collapse: false as const };

describe('trainDBVAE', () => {
  it('resamples faces each epoch from their latent means, with callbacks and history', async () => {
    const data = new ToyData(20, 20);
    const model = new DBVAE(tiny);
    const steps: StepRecord[] = [];
    const epochs: number[] = [];
    // Expected weights for epoch 0: the resampling package on the initial model's means.
    const expected0 = samplingWeights(model.latentMeans(data.faceBatches(7)), { shape: [20, 4], alpha: 0.01, bins: 5 });
    const history = await trainDBVAE(model, data, { ...quick, alpha: 0.01, bins: 5, seed: 4, onStep: (r) => steps.push(r), onEpochEnd: (e) => void epochs.push(e.epoch) });
    expect(steps).toHaveLength(8);
    expect(history.steps).toEqual(steps);
    expect(epochs).toEqual([0, 1]);
    expect(history.nextEpoch).toBe(2);
    const first = data.pPosSeen[0]!;
    expect(first).toBeDefined();
    Array.from(first).forEach((p, i) => expect(p).toBeCloseTo(expected0[i]!, 6));
    // The same weights serve the whole epoch, and they are not uniform.
    for (let s = 1; s < 4; s++) expect(data.pPosSeen[s]).toBe(first);
    expect(Math.max(...Array.from(first))).toBeGreaterThan(Math.min(...Array.from(first)));
    expect(data.pPosSeen[4]).not.toBe(first);
    steps.forEach((r) => {
      expect(Number.isFinite(r.total)).toBe(true);
      expect(r.imagesPerSecond).toBeGreaterThan(0);
      expect(r.faces).toBe(4);
    });
    history.optimizer.dispose();
    model.dispose();
  });

  it('debias: false and alpha: Infinity sample faces uniformly', async () => {
    for (const opts of [{ debias: false }, { alpha: Infinity }]) {
      const data = new ToyData(12, 12);
      const model = new DBVAE(tiny);
      const history = await trainDBVAE(model, data, { ...quick, epochs: 1, stepsPerEpoch: 2, ...opts });
      expect(data.pPosSeen.every((p) => p === undefined)).toBe(true);
      expect(history.epochs[0]!.samplingWeightRange).toBeUndefined();
      history.optimizer.dispose();
      model.dispose();
    }
  });

  it('is reproducible: same seed, same losses; another seed, other losses', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const model = new DBVAE(tiny);
      const h = await trainDBVAE(model, new ToyData(16, 16), { ...quick, seed });
      h.optimizer.dispose();
      model.dispose();
      return h.steps.map((s) => s.total);
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
  });

  it('leaks no tensors across training calls', async () => {
    const model = new DBVAE(tiny);
    const data = new ToyData(12, 12);
    const optimizer = tf.train.adam(1e-3);
    await trainDBVAE(model, data, { ...quick, optimizer, collapse: { checkSize: 8 } });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) await trainDBVAE(model, data, { ...quick, optimizer, collapse: { checkSize: 8 } });
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    model.dispose();
  });

  it('draws a progress bar only when asked or on a TTY', async () => {
    const model = new DBVAE(tiny);
    const data = new ToyData(12, 12);
    const written: string[] = [];
    const stream = { write: (s: string) => written.push(s), isTTY: false };
    const h1 = await trainDBVAE(model, data, { ...quick, progressBar: 'auto', progressStream: stream });
    expect(written).toHaveLength(0);
    const h2 = await trainDBVAE(model, data, { ...quick, progressBar: true, progressStream: stream });
    expect(written.join('')).toMatch(/100% 8\/8 .*img\/s ETA/);
    h1.optimizer.dispose();
    h2.optimizer.dispose();
    model.dispose();
  });

  it('stops after the current step when the signal aborts', async () => {
    const model = new DBVAE(tiny);
    const controller = new AbortController();
    const history = await trainDBVAE(model, new ToyData(12, 12), { ...quick, onStep: (r) => r.globalStep === 2 && controller.abort(), signal: controller.signal });
    expect(history.steps).toHaveLength(2);
    expect(history.epochs).toHaveLength(0);
    expect(history.stoppedEarly).toBe('aborted');
    history.optimizer.dispose();
    model.dispose();
  });

  it('a diverging loss throws ModelError and leaves the weights as they were', async () => {
    const model = new DBVAE(tiny);
    const data = new ToyData(8, 8);
    const { x, y } = data.getBatch(8);
    const bad = tf.mul(x, NaN) as tf.Tensor4D;
    const before = model.trainableVariables.map((v) => Float32Array.from(v.dataSync()));
    const optimizer = tf.train.adam(1e-3);
    expect(() => dbvaeTrainStep(model, optimizer, bad, y)).toThrow(ModelError);
    model.trainableVariables.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(before[i]!)));
    tf.dispose([x, y, bad]);
    optimizer.dispose();
    model.dispose();
  });

  it('validates options', async () => {
    const model = new DBVAE(tiny);
    const data = new ToyData(8, 8);
    await expect(trainDBVAE(model, data, { epochs: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(trainDBVAE(model, data, { alpha: -1 })).rejects.toThrow(InvalidArgumentError);
    await expect(trainDBVAE(model, data, { batchSize: 64, progressBar: false })).rejects.toThrow(InvalidArgumentError);
    model.dispose();
  });
});

describe('trainClassifier', () => {
  it('trains the standard CNN through the same loop', async () => {
    const data = new ToyData(32, 32);
    const model = buildStandardClassifier({ nFilters: 2, denseUnits: 16, inputShape: [16, 16, 3], seed: 1 });
    const history = await trainClassifier(model, data, { ...quick, epochs: 3, stepsPerEpoch: 8, batchSize: 16, learningRate: 5e-3 });
    expect(history.steps).toHaveLength(24);
    expect(history.epochs[2]!.meanLosses.total).toBeLessThan(history.epochs[0]!.meanLosses.total);
    expect(data.pPosSeen.every((p) => p === undefined)).toBe(true);
    history.optimizer.dispose();
    model.dispose();
  });

  it('with worker threads, follows the single-thread run exactly when the model has no batch statistics', async () => {
    const build = (): tf.LayersModel => {
      const input = tf.input({ shape: [16, 16, 3] });
      let h = tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
      h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(h) as tf.SymbolicTensor });
    };
    const data = new ToyData(24, 24);
    const runs: Array<{ losses: number[]; weights: Float32Array[] }> = [];
    for (const workers of [0, 1]) {
      const model = build();
      const history = await trainClassifier(model, data, { ...quick, epochs: 2, stepsPerEpoch: 3, batchSize: 10, learningRate: 1e-2, workers });
      runs.push({ losses: history.steps.map((s) => s.total), weights: model.getWeights().map((w) => w.dataSync() as Float32Array) });
      history.optimizer.dispose();
      model.dispose();
    }
    expectAllClose(runs[1]!.losses, runs[0]!.losses, 1e-4);
    runs[1]!.weights.forEach((w, i) => expectAllClose(w, runs[0]!.weights[i]!, 1e-4));
    await expect(trainClassifier(build(), data, { ...quick, workers: -1 })).rejects.toThrow(/workers/);
  });
});
