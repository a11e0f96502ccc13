import { describe, it, expect } from 'vitest';
import { initBackend, tf } from '@dbvae/backend';
import { prepareSynthData, runVariant, type KeptModel, type VariantSettings } from '../src/experiment/synth-run';

const BASE: VariantSettings = { kind: 'dbvae', epochs: 2, batchSize: 16, latentDim: 4, alpha: 0.001, combine: 'max', temperature: 1, uniformMix: 0, klWeight: 0.1 };

describe('runVariant', () => {
  it('trains stepsPerEpoch steps per epoch and refreshes the sampling weights every epoch', async () => {
    await initBackend();
    const data = await prepareSynthData({ n: 64, testPerGroup: 2, darkSkin: 0.25, spuriousFraction: 0.5 }, 5);
    for (const kind of ['standard', 'dbvae'] as const) {
      let kept: KeptModel | undefined;
      // a full pass would be 64 / 16 = 4 steps per epoch
      const r = await runVariant({ ...BASE, kind, stepsPerEpoch: 3 }, data, 5, { keep: (m) => void (kept = m) });
      expect(kept!.history.steps.map((s) => [s.epoch, s.step])).toEqual([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
      expect(r.sampling.length).toBe(kind === 'dbvae' ? 2 : 0);
      kept!.history.optimizer.dispose();
      kept!.classifier?.dispose();
      kept!.dbvae?.dispose();
    }
    const full = await runVariant({ ...BASE, kind: 'standard', epochs: 1 }, data, 5, { keep: (m) => void (m.history.optimizer.dispose(), m.classifier!.dispose(), expect(m.history.steps.length).toBe(4)) });
    expect(full.metrics.groups.LF).toBeDefined();
  }, 120_000);

  it('leaves no tensors behind across repeated runs with short epochs', async () => {
    await initBackend();
    const data = await prepareSynthData({ n: 64, testPerGroup: 2, darkSkin: 0.25, spuriousFraction: 0.5 }, 6);
    for (const kind of ['standard', 'dbvae'] as const) {
      await runVariant({ ...BASE, kind, stepsPerEpoch: 2 }, data, 6); // warms up kernels and caches
      const before = tf.memory().numTensors;
      for (let i = 0; i < 2; i++) await runVariant({ ...BASE, kind, stepsPerEpoch: 2 }, data, 6);
      expect(tf.memory().numTensors).toBe(before);
    }
  }, 120_000);
});
