import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, InvalidArgumentError, ShapeError, tf } from '@dbvae/backend';
import { expectAllClose, expectNoTensorLeaks, fixtureValues } from '@dbvae/test-utils';
import { dbvaeLoss, klDivergence, reconstructionLoss, sigmoidCrossEntropyWithLogits } from '@dbvae/models';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

// Independent float64 references of the loss terms.
const refKl = (mu: ArrayLike<number>, lv: ArrayLike<number>, n: number, k: number): number[] =>
  Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < k; j++) {
      const m = mu[i * k + j] as number;
      const v = lv[i * k + j] as number;
      s += Math.exp(v) + m * m - 1 - v;
    }
    return 0.5 * s;
  });
const refRec = (x: ArrayLike<number>, r: ArrayLike<number>, n: number, d: number, norm: 'l1' | 'l2', red: 'mean' | 'sum'): number[] =>
  Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const e = (x[i * d + j] as number) - (r[i * d + j] as number);
      s += norm === 'l1' ? Math.abs(e) : e * e;
    }
    return red === 'mean' ? s / d : s;
  });
const refBce = (y: number, l: number): number => -(y * Math.log(1 / (1 + Math.exp(-l))) + (1 - y) * Math.log(1 - 1 / (1 + Math.exp(-l))));

describe('loss terms against closed forms', () => {
  const n = 4;
  const k = 3;
  const mu = fixtureValues(n * k, 11);
  const lv = fixtureValues(n * k, 12).map((v) => 2 * v);

  it('KL of N(mu, exp(lv)) from N(0, I)', () => {
    const kl = klDivergence(tf.tensor2d(mu, [n, k]), tf.tensor2d(lv, [n, k]));
    expectAllClose(kl.dataSync(), refKl(mu, lv, n, k), 1e-5);
    // Zero exactly at the prior, and positive elsewhere.
    expect(Array.from(klDivergence(tf.zeros([2, k]), tf.zeros([2, k])).dataSync())).toEqual([0, 0]);
    kl.dataSync().forEach((v) => expect(v).toBeGreaterThan(0));
  });

  it('L1 / L2 reconstruction with mean and sum reduction', () => {
    const x = fixtureValues(n * 2 * 2 * 3, 3);
    const r = fixtureValues(n * 2 * 2 * 3, 4);
    for (const norm of ['l1', 'l2'] as const)
      for (const reduction of ['mean', 'sum'] as const) {
        const got = reconstructionLoss(tf.tensor4d(x, [n, 2, 2, 3]), tf.tensor4d(r, [n, 2, 2, 3]), { norm, reduction });
        expectAllClose(got.dataSync(), refRec(x, r, n, 12, norm, reduction), 1e-5);
      }
    // Hand case: |1-0| + |0-0| averaged = 0.5; squared and summed = 1.
    expect(reconstructionLoss(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 0]])).dataSync()[0]).toBeCloseTo(0.5, 7);
    expect(reconstructionLoss(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 0]]), { norm: 'l2', reduction: 'sum' }).dataSync()[0]).toBeCloseTo(1, 7);
  });

  it('stable BCE on logits, also for huge logits', () => {
    const logits = [-3, -0.5, 0, 0.7, 4];
    const labels = [1, 0, 1, 1, 0];
    const got = sigmoidCrossEntropyWithLogits(tf.tensor2d(labels, [5, 1]), tf.tensor2d(logits, [5, 1]));
    expectAllClose(got.dataSync(), logits.map((l, i) => refBce(labels[i] as number, l)), 1e-5);
    const huge = sigmoidCrossEntropyWithLogits(tf.tensor2d([1, 0, 1, 0], [4, 1]), tf.tensor2d([-200, 200, 200, -200], [4, 1])).dataSync();
    // log(1 + e^200) = 200 to float precision; the right answers cost ~0.
    expectAllClose(huge, [200, 200, 0, 0], 1e-6);
  });

  it('DB-VAE total: classification for all, VAE terms for faces only', () => {
    const y = [1, 0, 1, 0];
    const logit = [0.3, -1.2, 2, 0.5];
    const x = fixtureValues(n * 8, 5).map((v) => (v + 1) / 2);
    const r = fixtureValues(n * 8, 6).map((v) => (v + 1) / 2);
    const klWeight = 0.1;
    const terms = dbvaeLoss(
      { x: tf.tensor2d(x, [n, 8]), reconstruction: tf.tensor2d(r, [n, 8]), y: tf.tensor2d(y, [n, 1]), logit: tf.tensor2d(logit, [n, 1]), mean: tf.tensor2d(mu, [n, k]), logVar: tf.tensor2d(lv, [n, k]) },
      { klWeight, reconstruction: { norm: 'l2', reduction: 'sum' } },
    );
    const kl = refKl(mu, lv, n, k);
    const rec = refRec(x, r, n, 8, 'l2', 'sum');
    const ce = logit.map((l, i) => refBce(y[i] as number, l));
    const total = ce.reduce((s, c, i) => s + c + (y[i] === 1 ? klWeight * (kl[i] as number) + (rec[i] as number) : 0), 0) / n;
    expect(terms.total.dataSync()[0]).toBeCloseTo(total, 4);
    expect(terms.classification.dataSync()[0]).toBeCloseTo(ce.reduce((a, b) => a + b) / n, 5);
    expect(terms.kl.dataSync()[0]).toBeCloseTo(((kl[0] as number) + (kl[2] as number)) / 2, 4);
    expect(terms.reconstruction.dataSync()[0]).toBeCloseTo(((rec[0] as number) + (rec[2] as number)) / 2, 4);
    // A reconstruction weight scales only the faces' reconstruction term of the total.
    const weighted = dbvaeLoss(
      { x: tf.tensor2d(x, [n, 8]), reconstruction: tf.tensor2d(r, [n, 8]), y: tf.tensor2d(y, [n, 1]), logit: tf.tensor2d(logit, [n, 1]), mean: tf.tensor2d(mu, [n, k]), logVar: tf.tensor2d(lv, [n, k]) },
      { klWeight, reconstruction: { norm: 'l2', reduction: 'sum', weight: 7 } },
    );
    const totalWeighted = ce.reduce((s, c, i) => s + c + (y[i] === 1 ? klWeight * (kl[i] as number) + 7 * (rec[i] as number) : 0), 0) / n;
    expect(weighted.total.dataSync()[0]).toBeCloseTo(totalWeighted, 4);
    expect(weighted.reconstruction.dataSync()[0]).toBeCloseTo(((rec[0] as number) + (rec[2] as number)) / 2, 4);
  });

  it('gradients of the DB-VAE loss match float64 finite differences', () => {
    // Reference loss in float64 as a function of all inputs; central differences vs tf.grads.
    const nn = 3;
    const kk = 2;
    const d = 4;
    const y = [1, 0, 1];
    const vals = {
      logit: [0.4, -0.8, 1.3],
      mean: Array.from(fixtureValues(nn * kk, 21)),
      logVar: Array.from(fixtureValues(nn * kk, 22)),
      rec: Array.from(fixtureValues(nn * d, 23)),
    };
    const x = Array.from(fixtureValues(nn * d, 24));
    const klWeight = 0.5;
    const f = (v: typeof vals): number => {
      const kl = refKl(v.mean, v.logVar, nn, kk);
      const rec = refRec(x, v.rec, nn, d, 'l2', 'mean');
      let s = 0;
      for (let i = 0; i < nn; i++) s += refBce(y[i] as number, v.logit[i] as number) + (y[i] === 1 ? klWeight * (kl[i] as number) + (rec[i] as number) : 0);
      return s / nn;
    };
    const g = tf.grads((logit: tf.Tensor, mean: tf.Tensor, logVar: tf.Tensor, rec: tf.Tensor) =>
      dbvaeLoss({ x: tf.tensor2d(x, [nn, d]), reconstruction: rec, y: tf.tensor2d(y, [nn, 1]), logit, mean, logVar }, { klWeight, reconstruction: { norm: 'l2' } }).total,
    )([tf.tensor2d(vals.logit, [nn, 1]), tf.tensor2d(vals.mean, [nn, kk]), tf.tensor2d(vals.logVar, [nn, kk]), tf.tensor2d(vals.rec, [nn, d])]);
    (['logit', 'mean', 'logVar', 'rec'] as const).forEach((key, gi) => {
      const fd = vals[key].map((_, j) => {
        const h = 1e-6;
        const plus = { ...vals, [key]: vals[key].map((v, m) => (m === j ? v + h : v)) };
        const minus = { ...vals, [key]: vals[key].map((v, m) => (m === j ? v - h : v)) };
        return (f(plus) - f(minus)) / (2 * h);
      });
      expectAllClose((g[gi] as tf.Tensor).dataSync(), fd, 1e-3);
    });
    // Non-faces (row 1) get exactly zero gradient on their latent and reconstruction inputs.
    Array.from((g[1] as tf.Tensor).dataSync().slice(kk, 2 * kk)).forEach((v) => expect(Math.abs(v)).toBe(0));
    Array.from((g[3] as tf.Tensor).dataSync().slice(d, 2 * d)).forEach((v) => expect(Math.abs(v)).toBe(0));
  });

  it('rejects bad shapes and options, and leaks nothing', async () => {
    expect(() => klDivergence(tf.zeros([2, 3]), tf.zeros([2, 4]))).toThrow(ShapeError);
    expect(() => reconstructionLoss(tf.zeros([2, 3]), tf.zeros([2, 3]), { norm: 'l3' as 'l1' })).toThrow(InvalidArgumentError);
    const inputs = { x: tf.zeros([2, 4]), reconstruction: tf.zeros([2, 4]), y: tf.tensor2d([1, 0], [2, 1]), logit: tf.zeros([2, 1]), mean: tf.zeros([2, 2]), logVar: tf.zeros([2, 2]) };
    expect(() => dbvaeLoss(inputs, { klWeight: -1 })).toThrow(InvalidArgumentError);
    await expectNoTensorLeaks(() => {
      const t = dbvaeLoss(inputs);
      tf.dispose([t.total, t.classification, t.kl, t.reconstruction]);
    }, 5);
  });
});
