import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@dbvae/backend';
import { expectNoTensorLeaks } from '@dbvae/test-utils';
import { ComposedWrapper, EnsembleWrapper, loadRiskWrapper, scoreBatch, wrap } from '@dbvae/risk-wrappers';
import { denseModel, uniformColumn } from './helpers';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

function memorySaver(): { handler: tf.io.IOHandler; artifacts: () => tf.io.ModelArtifacts } {
  let saved: tf.io.ModelArtifacts | undefined;
  return {
    handler: tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    artifacts: () => saved as tf.io.ModelArtifacts,
  };
}

function weightsOf(model: tf.LayersModel): number[][] {
  // getWeights() returns the variables themselves: read, never dispose.
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

describe('post-hoc mode (the default): the user model is frozen', () => {
  const x = tf.tensor2d(Array.from(uniformColumn(96, -1, 1, 3)).flatMap((a, i) => [a, Math.sin(i)]), [96, 2]);
  const y = tf.tidy(() => tf.cast(tf.greater(x.slice([0, 0], [-1, 1]), 0), 'float32'));

  for (const [name, opts] of [
    ['histogram + VAE + MVE', { bias: true, epistemic: 'vae', aleatoric: true, vae: { latentDim: 2 } }],
    ['histogram + dropout (trained copy)', { bias: true, epistemic: 'dropout', dropout: { passes: 4 } }],
    ['ensemble', { epistemic: 'ensemble', numMembers: 2 }],
  ] as const) {
    it(`${name}: weights unchanged, yHat equals model.predict exactly, save/load reproduces`, async () => {
      const model = denseModel(2, [8, 8], 1, 4);
      const before = weightsOf(model);
      const w = wrap(model, opts as Parameters<typeof wrap>[1]);
      w.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy' });
      await w.fit(x, y, { epochs: 2, batchSize: 32 });
      expect(weightsOf(model)).toEqual(before);
      const direct = model.predict(x) as tf.Tensor;
      const out = w.predict(x);
      expect(Array.from(out.yHat.dataSync())).toEqual(Array.from(direct.dataSync()));
      // scoreBatch reports the frozen model's probability (an independent sigmoid of its logits).
      const scored = scoreBatch(w, x, { seed: 3 });
      expect(scored.predictionSource).toBe('model');
      const p = tf.tidy(() => Array.from(tf.sigmoid(direct).dataSync()));
      scored.rows.forEach((r, i) => expect(r.prediction).toBeCloseTo(p[i] as number, 6));
      const s = memorySaver();
      await w.save(s.handler);
      const loaded = await loadRiskWrapper(tf.io.fromMemory(s.artifacts()));
      const again = loaded.predict(x);
      expect(Array.from(again.yHat.dataSync())).toEqual(Array.from(direct.dataSync()));
      if (out.bias) expect(Array.from(again.bias?.dataSync() ?? [])).toEqual(Array.from(out.bias.dataSync()));
      if ('mode' in loaded) expect(loaded.mode).toBe('post-hoc');
      // Repeated fits and predictions keep the tensor count flat.
      await expectNoTensorLeaks(async () => {
        await w.fit(x, y, { epochs: 1, batchSize: 48 });
        w.predict(x).dispose();
      }, 2);
      tf.dispose([direct]);
      out.dispose();
      again.dispose();
      loaded.dispose();
      w.dispose();
    });
  }

  it('scoreBatch returns plain rows whose prediction is the frozen model probability, and does not leak', async () => {
    const model = denseModel(2, [8], 1, 5);
    const w = wrap(model, { bias: true, epistemic: 'dropout', dropout: { passes: 3 } }) as ComposedWrapper;
    w.compile({ loss: 'binaryCrossentropy' });
    await w.fit(x, y, { epochs: 1 });
    const plain = { data: x.dataSync(), shape: x.shape };
    const a = scoreBatch(w, plain, { seed: 11 });
    const b = scoreBatch(w, plain, { seed: 11 });
    expect(a.predictionSource).toBe('model');
    expect(a.retrainsCopies).toBe(true);
    expect(b.rows).toEqual(a.rows);
    const p = tf.tidy(() => tf.sigmoid(model.predict(x) as tf.Tensor).dataSync());
    a.rows.forEach((r, i) => {
      expect(r.prediction).toBeCloseTo(p[i] as number, 6);
      expect(Number.isFinite(r.bias)).toBe(true);
      // A classifier's default epistemic is the mutual information of the passes, not their std.
      expect(r.named['epistemic.mutualInformation']).toBe(r.epistemic);
      expect(typeof r.named['epistemic.mcDropout']).toBe('number');
    });
    expect(JSON.parse(JSON.stringify(a.rows))).toEqual(a.rows);
    await expectNoTensorLeaks(() => scoreBatch(w, plain, { seed: 1 }), 2);
    w.dispose();
  });

  it('an ensemble keeps member 0 frozen and trains the copies', async () => {
    const model = denseModel(2, [8], 1, 6);
    const e = new EnsembleWrapper(model, { numMembers: 2, seed: 2 });
    const copyBefore = weightsOf(e.members[1]?.components.core as tf.LayersModel);
    e.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy' });
    await e.fit(x, y, { epochs: 1, batchSize: 32 });
    expect(weightsOf(e.members[1]?.components.core as tf.LayersModel)).not.toEqual(copyBefore);
    expect(e.retrainsCopies).toBe(true);
    // A classifier's epistemic is the members' mutual information, H(mean p) - mean H(p), by hand.
    const out = e.predict(x);
    const probs = e.members.map((m) => {
      const o = m.predict(x);
      const p = tf.tidy(() => tf.sigmoid(o.yHat).dataSync());
      o.dispose();
      return p;
    });
    const h = (p: number): number => (p <= 0 || p >= 1 ? 0 : -p * Math.log(p) - (1 - p) * Math.log(1 - p));
    const epi = out.perSample('epistemic');
    for (let i = 0; i < 5; i++) {
      const ps = probs.map((p) => p[i] as number);
      const mean = ps.reduce((a, b) => a + b, 0) / ps.length;
      expect(epi[i]).toBeCloseTo(h(mean) - ps.reduce((a, p) => a + h(p), 0) / ps.length, 5);
    }
    expect(out.named['epistemic.ensemble']).toBeDefined();
    out.dispose();
  });
});
