import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@dbvae/backend';
import { buildStandardClassifier, DBVAE, loadDBVAE, saveDBVAE, trainClassifier, trainDBVAE, type TrainingHistory } from '@dbvae/models';
import { ToyData } from './toy-data';

const dir = mkdtempSync(join(tmpdir(), 'dbvae-models-resume-'));

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tiny = { latentDim: 4, nFilters: 2, inputShape: [16, 16, 3] as [number, number, number], denseUnits: 16, seed: 6, outputActivation: 'sigmoid' as const };
const quick = { batchSize: 8, stepsPerEpoch: 3, learningRate: 2e-3, progressBar: false as const, collapse: false as const, alpha: 0.01, seed: 3 };

/** Aborts the run once `after` steps have been taken (counted over this call). */
function stopAfter(after: number) {
  const controller = new AbortController();
  return { signal: controller.signal, onStep: (r: { globalStep: number }) => r.globalStep === after && controller.abort() };
}

const weightsOf = (vars: tf.LayerVariable[]) => vars.map((w) => Array.from(w.read().dataSync()));

describe('resuming inside an epoch', () => {
  it('DB-VAE: stopped after 4 of 6 steps, saved, loaded and resumed, it ends with the uninterrupted run\'s losses and weights, bit for bit', async () => {
    const straight = new DBVAE(tiny);
    const full = await trainDBVAE(straight, new ToyData(16, 16), { ...quick, epochs: 2 });
    const first = new DBVAE(tiny);
    const part1 = await trainDBVAE(first, new ToyData(16, 16), { ...quick, epochs: 2, ...stopAfter(4) });
    expect(part1.stoppedEarly).toBe('aborted');
    expect(part1.position).toMatchObject({ epoch: 1, step: 1 });
    expect(part1.position!.samplingProbabilities).toHaveLength(16);
    const url = `file://${join(dir, 'mid-epoch')}`;
    await saveDBVAE(first, url, { optimizer: part1.optimizer, epoch: part1.position!.epoch });
    const { model, optimizer } = await loadDBVAE(url);
    const part2 = await trainDBVAE(model, new ToyData(16, 16), { ...quick, epochs: 1, optimizer, resumeFrom: part1.position });
    const resumed = [...part1.steps, ...part2.steps].map((s) => [s.epoch, s.step, s.total, s.kl, s.reconstruction]);
    expect(resumed).toEqual(full.steps.map((s) => [s.epoch, s.step, s.total, s.kl, s.reconstruction]));
    expect(part2.epochs.map((e) => e.meanLosses)).toEqual([full.epochs[1]!.meanLosses]);
    const all = (m: DBVAE) => [...m.encoder.weights, ...m.decoder.weights];
    expect(weightsOf(all(model))).toEqual(weightsOf(all(straight)));
    [full, part1, part2].forEach((h: TrainingHistory) => h.optimizer.dispose());
    [straight, first, model].forEach((m) => m.dispose());
  });

  it('standard classifier: resumed at a mid-epoch position with its optimizer state, it matches the uninterrupted run exactly', async () => {
    const options = { ...quick, epochs: 2 };
    const build = () => buildStandardClassifier({ inputShape: [16, 16, 3], nFilters: 2, denseUnits: 8, seed: 2 });
    const straight = build();
    const full = await trainClassifier(straight, new ToyData(16, 16), options);
    const first = build();
    const part1 = await trainClassifier(first, new ToyData(16, 16), { ...options, ...stopAfter(2) });
    expect(part1.position).toMatchObject({ epoch: 0, step: 2 });
    const part2 = await trainClassifier(first, new ToyData(16, 16), { ...options, optimizer: part1.optimizer, resumeFrom: part1.position });
    expect([...part1.steps, ...part2.steps].map((s) => s.total)).toEqual(full.steps.map((s) => s.total));
    expect(part2.epochs.map((e) => e.epoch)).toEqual([0, 1]);
    expect(weightsOf(first.weights)).toEqual(weightsOf(straight.weights));
    [full, part1].forEach((h) => h.optimizer.dispose());
    [straight, first].forEach((m) => m.dispose());
  });

  it('refuses a position outside the epoch', async () => {
    const model = buildStandardClassifier({ inputShape: [16, 16, 3], nFilters: 2, denseUnits: 8, seed: 2 });
    await expect(trainClassifier(model, new ToyData(16, 16), { ...quick, resumeFrom: { epoch: 0, step: 3, lossSums: { total: 0, classification: 0, kl: 0, reconstruction: 0 } } })).rejects.toThrow(/resumeFrom.step must be an integer in \[0, 3\)/);
    model.dispose();
  });
});
