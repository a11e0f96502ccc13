import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, InvalidArgumentError } from '@dbvae/backend';
import { samplingWeights } from '@dbvae/resampling';
import { DBVAE, trainDBVAE } from '@dbvae/models';
import { ToyData } from './toy-data';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const tiny = { latentDim: 4, nFilters: 2, inputShape: [16, 16, 3] as [number, number, number], denseUnits: 16, seed: 2 };
const quick = { epochs: 2, batchSize: 8, stepsPerEpoch: 2, learningRate: 2e-3, progressBar: false as const, collapse: false as const };

describe('trainDBVAE: tempering, uniform mix and per-group draw shares', () => {
  it('uses the tempered, mixed weights and records each group\'s share of them and the effective sample size', async () => {
    const data = new ToyData(20, 20, 16, 3, 0.3);
    const groups = data.faceRows.map((r) => (data.group[r] === 1 ? 'dark' : 'light'));
    const model = new DBVAE(tiny);
    const opts = { alpha: 0.01, bins: 5, combine: 'product' as const, temperature: 4, uniformMix: 0.2 };
    const expected0 = samplingWeights(model.latentMeans(data.faceBatches(7)), { shape: [20, 4], ...opts });
    const history = await trainDBVAE(model, data, { ...quick, ...opts, faceGroups: groups });
    const used = data.pPosSeen[0]!;
    Array.from(used).forEach((p, i) => expect(p).toBeCloseTo(expected0[i]!, 6));
    for (const e of history.epochs) {
      const p = data.pPosSeen[e.epoch * quick.stepsPerEpoch]!;
      let dark = 0;
      let sq = 0;
      for (let i = 0; i < p.length; i++) {
        if (groups[i] === 'dark') dark += p[i]!;
        sq += p[i]! ** 2;
      }
      expect(e.groupShare!.dark).toBeCloseTo(dark, 12);
      expect(e.groupShare!.light).toBeCloseTo(1 - dark, 12);
      expect(e.effectiveSampleSize).toBeCloseTo(1 / sq, 9);
      // The uniform mix guarantees every face at least 0.2 / 20 of the draws.
      expect(Math.min(...Array.from(p))).toBeGreaterThanOrEqual(0.2 / 20 - 1e-15);
    }
    history.optimizer.dispose();
    model.dispose();
  });

  it('without resampling the shares are the groups\' frequencies and the effective sample size is the number of faces', async () => {
    const data = new ToyData(20, 20, 16, 3, 0.3);
    const groups = data.faceRows.map((r) => (data.group[r] === 1 ? 'dark' : 'light'));
    const model = new DBVAE(tiny);
    const history = await trainDBVAE(model, data, { ...quick, epochs: 1, debias: false, faceGroups: groups });
    const darkCount = groups.filter((g) => g === 'dark').length;
    expect(history.epochs[0]!.groupShare!.dark).toBeCloseTo(darkCount / 20, 12);
    expect(history.epochs[0]!.effectiveSampleSize).toBe(20);
    history.optimizer.dispose();
    model.dispose();
  });

  it('rejects a bad temperature, mix or face-group list', async () => {
    const data = new ToyData(8, 8);
    const model = new DBVAE(tiny);
    await expect(trainDBVAE(model, data, { ...quick, temperature: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(trainDBVAE(model, data, { ...quick, uniformMix: 2 })).rejects.toThrow(/uniformMix/);
    await expect(trainDBVAE(model, data, { ...quick, faceGroups: ['a'] })).rejects.toThrow(/faceGroups has 1 names/);
    model.dispose();
  });
});
