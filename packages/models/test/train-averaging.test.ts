import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, InvalidArgumentError, tf } from '@dbvae/backend';
import { buildStandardClassifier, DBVAE, trainClassifier, trainDBVAE, type StepRecord } from '@dbvae/models';
import { ToyData } from './toy-data';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const tiny = { latentDim: 4, nFilters: 2, inputShape: [16, 16, 3] as [number, number, number], denseUnits: 16, seed: 6, outputActivation: 'sigmoid' as const };
const quick = { batchSize: 8, stepsPerEpoch: 3, epochs: 2, learningRate: 2e-3, progressBar: false as const, seed: 3 };

/** Copies of every weight after each step, taken by onStep (independent of the trainer's averaging). */
function snapshots(read: () => tf.Tensor[]) {
  const taken: { epoch: number; step: number; values: Float32Array[] }[] = [];
  return { taken, onStep: (r: StepRecord) => taken.push({ epoch: r.epoch, step: r.step, values: read().map((w) => Float32Array.from(w.dataSync())) }) };
}

/** Element-wise mean of the given snapshots. */
function meanOf(values: Float32Array[][]): number[][] {
  return values[0]!.map((_, j) => Array.from(values[0]![j]!, (_v, e) => values.reduce((sum, snap) => sum + snap[j]![e]!, 0) / values.length));
}

function expectWeightsClose(actual: tf.Tensor[], expected: ArrayLike<number>[]): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  actual.forEach((w, j) => w.dataSync().forEach((v, e) => (worst = Math.max(worst, Math.abs(v - (expected[j]![e] as number))))));
  expect(worst).toBeLessThan(1e-6);
}

describe('averageLastSteps (tail weight averaging)', () => {
  it('standard classifier: ends with the mean of the weights after the last k steps of the final epoch; 0 keeps the last step', async () => {
    for (const k of [0, 1, 2, 3]) {
      const model = buildStandardClassifier({ inputShape: [16, 16, 3], nFilters: 2, denseUnits: 8, seed: 4 });
      const snap = snapshots(() => model.getWeights());
      const history = await trainClassifier(model, new ToyData(16, 16), { ...quick, averageLastSteps: k, onStep: snap.onStep });
      const window = k === 0 ? snap.taken.slice(-1) : snap.taken.filter((s) => s.epoch === 1 && s.step >= 3 - k);
      expect(window).toHaveLength(Math.max(k, 1));
      expectWeightsClose(model.getWeights(), meanOf(window.map((s) => s.values)));
      expect(history.averagedSteps).toBe(k === 0 ? undefined : k);
      history.optimizer.dispose();
      model.dispose();
    }
  });

  it('DB-VAE: averages encoder and decoder weights, batch-norm statistics included, and differs from the last step', async () => {
    const model = new DBVAE(tiny);
    const all = () => [...model.encoder.getWeights(), ...model.decoder.getWeights()];
    const snap = snapshots(all);
    const history = await trainDBVAE(model, new ToyData(16, 16), { ...quick, alpha: 0.01, collapse: false, averageLastSteps: 3, onStep: snap.onStep });
    const window = snap.taken.filter((s) => s.epoch === 1);
    expectWeightsClose(all(), meanOf(window.map((s) => s.values)));
    // the average is not the last step's weights (the test would pass vacuously if nothing moved)
    const last = snap.taken.at(-1)!.values;
    const moved = all().some((w, j) => w.dataSync().some((v, e) => Math.abs(v - last[j]![e]!) > 1e-5));
    expect(moved).toBe(true);
    history.optimizer.dispose();
    model.dispose();
  });

  it('leaves no tensor behind, also when a run is aborted inside the window', async () => {
    const model = buildStandardClassifier({ inputShape: [16, 16, 3], nFilters: 2, denseUnits: 8, seed: 4 });
    const run = async (signal?: AbortSignal, onStep?: (r: StepRecord) => void) => {
      const history = await trainClassifier(model, new ToyData(16, 16), { ...quick, averageLastSteps: 3, ...(signal ? { signal } : {}), ...(onStep ? { onStep } : {}) });
      history.optimizer.dispose();
      return history;
    };
    await run();
    const before = tf.memory().numTensors;
    await run();
    expect(tf.memory().numTensors).toBe(before);
    const controller = new AbortController();
    const aborted = await run(controller.signal, (r) => r.epoch === 1 && r.step === 1 && controller.abort());
    expect(aborted.stoppedEarly).toBe('aborted');
    expect(aborted.averagedSteps).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('rejects a window that is not a whole number of steps within one epoch', async () => {
    const model = buildStandardClassifier({ inputShape: [16, 16, 3], nFilters: 2, denseUnits: 8, seed: 4 });
    for (const k of [-1, 1.5, 4]) {
      await expect(trainClassifier(model, new ToyData(16, 16), { ...quick, averageLastSteps: k })).rejects.toThrow(InvalidArgumentError);
      await expect(trainClassifier(model, new ToyData(16, 16), { ...quick, averageLastSteps: k })).rejects.toThrow(/averageLastSteps must be an integer in \[0, 3\]/);
    }
    model.dispose();
  });
});
