import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@dbvae/backend';
import { expectNoTensorLeaks } from '@dbvae/test-utils';
import { buildStandardClassifier, CheckpointError, DBVAE, fileSystemIOHandler, loadDBVAE, saveDBVAE, trainDBVAE } from '@dbvae/models';
import { ToyData } from './toy-data';

const dir = mkdtempSync(join(tmpdir(), 'dbvae-models-io-'));

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tiny = { latentDim: 4, nFilters: 2, inputShape: [16, 16, 3] as [number, number, number], denseUnits: 16, seed: 6, outputActivation: 'sigmoid' as const };
const quick = { batchSize: 8, stepsPerEpoch: 3, learningRate: 2e-3, progressBar: false as const, collapse: false as const, alpha: 0.01, seed: 3 };

describe('save / load / resume', () => {
  it('round trip through file:// gives identical predictions, latents, config and optimizer state', async () => {
    const data = new ToyData(16, 16);
    const model = new DBVAE(tiny);
    const history = await trainDBVAE(model, data, { ...quick, epochs: 1 });
    const url = `file://${join(dir, 'roundtrip')}`;
    await saveDBVAE(model, url, { optimizer: history.optimizer, epoch: history.nextEpoch, metadata: { note: 'test' } });
    const loaded = await loadDBVAE(url);
    expect(loaded.model.config).toEqual(model.config);
    expect(loaded.epoch).toBe(1);
    expect(loaded.metadata).toEqual({ note: 'test' });
    const { x, y } = data.getBatch(8);
    expect(Array.from(loaded.model.predict(x).dataSync())).toEqual(Array.from(model.predict(x).dataSync()));
    expect(Array.from(loaded.model.latentMeans(x))).toEqual(Array.from(model.latentMeans(x)));
    expect(Array.from(loaded.model.reconstruct(x).dataSync())).toEqual(Array.from(model.reconstruct(x).dataSync()));
    const a = await history.optimizer.getWeights();
    const b = await loaded.optimizer!.getWeights();
    expect(b).toHaveLength(a.length);
    a.forEach((w, i) => expect(Array.from(b[i]!.tensor.dataSync())).toEqual(Array.from(w.tensor.dataSync())));
    tf.dispose([x, y]);
    history.optimizer.dispose();
    loaded.optimizer!.dispose();
    model.dispose();
    loaded.model.dispose();
  });

  it('resuming from a checkpoint repeats the uninterrupted run', async () => {
    const straight = new DBVAE(tiny);
    const full = await trainDBVAE(straight, new ToyData(16, 16), { ...quick, epochs: 2 });
    const first = new DBVAE(tiny);
    const part1 = await trainDBVAE(first, new ToyData(16, 16), { ...quick, epochs: 1 });
    const url = `file://${join(dir, 'resume')}`;
    await saveDBVAE(first, url, { optimizer: part1.optimizer, epoch: part1.nextEpoch });
    const { model, optimizer, epoch } = await loadDBVAE(url);
    const part2 = await trainDBVAE(model, new ToyData(16, 16), { ...quick, epochs: 1, optimizer, initialEpoch: epoch });
    const resumed = [...part1.steps, ...part2.steps].map((s) => s.total);
    const expected = full.steps.map((s) => s.total);
    resumed.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(expected[i]!)));
    expect(part2.steps[0]!.epoch).toBe(1);
    [full, part1, part2].forEach((h) => h.optimizer.dispose());
    [straight, first, model].forEach((m) => m.dispose());
  });

  it('works with any IOHandler (in-memory, as a browser store would be) and leaks nothing', async () => {
    const model = new DBVAE(tiny);
    let stored: tf.io.ModelArtifacts | undefined;
    const memory: tf.io.IOHandler = {
      save: async (artifacts) => {
        stored = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      },
      load: async () => stored!,
    };
    await saveDBVAE(model, memory);
    await expectNoTensorLeaks(async () => {
      const loaded = await loadDBVAE(memory);
      loaded.model.dispose();
    }, 2);
    model.dispose();
  });

  it('the file handler also saves plain tfjs models; bad checkpoints throw CheckpointError', async () => {
    const cnn = buildStandardClassifier({ nFilters: 2, denseUnits: 8, inputShape: [16, 16, 3] });
    await cnn.save(fileSystemIOHandler(join(dir, 'cnn')));
    const back = await tf.loadLayersModel(fileSystemIOHandler(join(dir, 'cnn')));
    const x = tf.ones([1, 16, 16, 3]);
    expect(Array.from((back.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((cnn.predict(x) as tf.Tensor).dataSync()));
    await expect(loadDBVAE(`file://${join(dir, 'cnn')}`)).rejects.toThrow(CheckpointError);
    await expect(loadDBVAE(`file://${join(dir, 'missing')}`)).rejects.toThrow(CheckpointError);
    x.dispose();
    cnn.dispose();
    back.dispose();
  });
});
