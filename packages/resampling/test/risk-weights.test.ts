import { describe, it, expect, beforeAll } from 'vitest';
import { initBackend, InvalidArgumentError, ShapeError, tf } from '@dbvae/backend';
import { expectAllClose, expectNoTensorLeaks } from '@dbvae/test-utils';
import { inverseBiasWeights, epistemicWeights, mixWithUniform, temperWeights, weightStats } from '@dbvae/resampling';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('inverseBiasWeights from log-densities (default) with a tempering exponent', () => {
  it('inverts log-densities: p proportional to density^-exponent', () => {
    // densities 0.5, 0.25, 0.25 -> 2 : 4 : 4.
    expectAllClose(inverseBiasWeights([Math.log(0.5), Math.log(0.25), Math.log(0.25)]), [0.2, 0.4, 0.4], 1e-14);
    // exponent 0.5: sqrt(2) : 2 : 2.
    const t = [Math.SQRT2, 2, 2];
    const ts = t.reduce((a, c) => a + c, 0);
    expectAllClose(inverseBiasWeights([Math.log(0.5), Math.log(0.25), Math.log(0.25)], { exponent: 0.5 }), t.map((v) => v / ts), 1e-14);
    expectAllClose(inverseBiasWeights([-3, 7, 1], { exponent: 0 }), [1 / 3, 1 / 3, 1 / 3], 1e-14);
  });

  it('is finite for 512-wide log-densities (about -400) whose exp underflows to 0', () => {
    // log-densities -400 and -402: ratio e^2 : 1 regardless of magnitude.
    const p = inverseBiasWeights([-402, -400]);
    expectAllClose(p, [Math.exp(2) / (Math.exp(2) + 1), 1 / (Math.exp(2) + 1)], 1e-12);
    // The old density scale would see exp(-400) = 0 for both and give [0.5, 0.5].
    expectAllClose(inverseBiasWeights([Math.exp(-402), Math.exp(-400)], { scale: 'density' }), [0.5, 0.5], 1e-12);
  });
});

describe('inverseBiasWeights on densities (lab 3: p = 1 / (bias + eps), normalised)', () => {
  it('matches the hand-computed rule', () => {
    // 1/0.5 : 1/0.25 : 1/0.25 = 2 : 4 : 4.
    expectAllClose(inverseBiasWeights([0.5, 0.25, 0.25], { eps: 1e-300, scale: 'density' }), [0.2, 0.4, 0.4], 1e-14);
    // With the default eps 1e-7: exact formula.
    const b = [0.1, 0.02, 0.3];
    const inv = b.map((v) => 1 / (v + 1e-7));
    const s = inv.reduce((a, c) => a + c, 0);
    expectAllClose(inverseBiasWeights(b, { scale: 'density' }), inv.map((v) => v / s), 1e-14);
  });

  it('stays finite for zero and tiny bias scores', () => {
    // bias 0 -> 1 / 1e-7 = 1e7 against 1 / 1 = 1.
    expectAllClose(inverseBiasWeights([0, 1], { scale: 'density' }), [1e7 / (1e7 + 1 / (1 + 1e-7)), (1 / (1 + 1e-7)) / (1e7 + 1 / (1 + 1e-7))], 1e-12);
    const p = inverseBiasWeights([0, 0, 1e-300], { scale: 'density' });
    for (const v of p) expect(Number.isFinite(v)).toBe(true);
    expect(p.reduce((a, c) => a + c, 0)).toBeCloseTo(1, 14);
  });

  it('averages a [n, m] bias tensor per sample (np.mean(bias, axis=-1)) without leaking tensors', async () => {
    const t = tf.tensor2d([0.4, 0.6, 0.2, 0.3, 0.1, 0.4], [3, 2]); // means 0.5, 0.25, 0.25
    const p = await expectNoTensorLeaks(() => inverseBiasWeights(t, { eps: 1e-300, scale: 'density' }), 3);
    expectAllClose(p, [0.2, 0.4, 0.4], 1e-6);
    t.dispose();
  });

  it('validates', () => {
    expect(() => inverseBiasWeights([0.1, -0.2], { scale: 'density' })).toThrow(InvalidArgumentError);
    expect(() => inverseBiasWeights([0.1, NaN])).toThrow(InvalidArgumentError);
    expect(() => inverseBiasWeights([])).toThrow(ShapeError);
    expect(() => inverseBiasWeights([0.1], { eps: 0 })).toThrow(InvalidArgumentError);
    expect(() => inverseBiasWeights([0.1], { exponent: -1 })).toThrow(InvalidArgumentError);
    expect(() => inverseBiasWeights([0.1], { scale: 'prob' as never })).toThrow(InvalidArgumentError);
  });
});

describe('epistemicWeights (p proportional to uncertainty^power)', () => {
  it('matches the hand-computed rule', () => {
    expectAllClose(epistemicWeights([1, 2, 3]), [1 / 6, 2 / 6, 3 / 6], 1e-14);
    expectAllClose(epistemicWeights([1, 2, 3], { power: 2 }), [1 / 14, 4 / 14, 9 / 14], 1e-14);
    expectAllClose(epistemicWeights([0, 2, 2], { power: 3 }), [0, 0.5, 0.5], 1e-14);
  });

  it('is uniform for power 0 or all-zero uncertainty, and finite for huge powers', () => {
    expectAllClose(epistemicWeights([1, 5, 9], { power: 0 }), [1 / 3, 1 / 3, 1 / 3], 1e-14);
    expectAllClose(epistemicWeights([0, 0]), [0.5, 0.5], 1e-14);
    // 1e300^50 overflows directly; in log space 2^50 : 1 still comes out.
    const p = epistemicWeights([1e300, 2e300], { power: 50 });
    expectAllClose(p, [1 / (1 + 2 ** 50), 2 ** 50 / (1 + 2 ** 50)], 1e-12);
  });

  it('validates', () => {
    expect(() => epistemicWeights([1, -1])).toThrow(InvalidArgumentError);
    expect(() => epistemicWeights([1], { power: -1 })).toThrow(InvalidArgumentError);
    expect(() => epistemicWeights([1], { power: Infinity })).toThrow(InvalidArgumentError);
  });
});

describe('mixWithUniform and temperWeights', () => {
  it('mixWithUniform: (1 - lambda) p + lambda / n', () => {
    expectAllClose(mixWithUniform([1, 0], 0.5), [0.75, 0.25], 1e-15);
    expectAllClose(mixWithUniform([2, 6], 0), [0.25, 0.75], 1e-15); // normalises first
    expectAllClose(mixWithUniform([0.1, 0.9], 1), [0.5, 0.5], 1e-15);
    expect(() => mixWithUniform([0.5, 0.5], 1.5)).toThrow(InvalidArgumentError);
    expect(() => mixWithUniform([0, 0], 0.5)).toThrow(InvalidArgumentError);
    expect(() => mixWithUniform([-1, 2], 0.5)).toThrow(InvalidArgumentError);
  });

  it('temperWeights: p^(1/T) normalised', () => {
    expectAllClose(temperWeights([0.8, 0.2], 2), [2 / 3, 1 / 3], 1e-14);
    expectAllClose(temperWeights([0.8, 0.2], 0.5), [0.64 / 0.68, 0.04 / 0.68], 1e-14);
    expectAllClose(temperWeights([0.8, 0.2], 1), [0.8, 0.2], 1e-15);
    expectAllClose(temperWeights([0.7, 0.0, 0.3], Infinity), [1 / 3, 1 / 3, 1 / 3], 1e-15);
    expectAllClose(temperWeights([0.7, 0.0, 0.3], 3), [0.7 ** (1 / 3) / (0.7 ** (1 / 3) + 0.3 ** (1 / 3)), 0, 0.3 ** (1 / 3) / (0.7 ** (1 / 3) + 0.3 ** (1 / 3))], 1e-14);
    // A tiny temperature concentrates on the largest weight without NaN (p^1000 underflows directly).
    const p = temperWeights([0.5, 0.4999, 0.0001], 1e-3);
    expect(p[0]).toBeGreaterThan(0.5);
    for (const v of p) expect(Number.isFinite(v)).toBe(true);
    expect(() => temperWeights([0.5, 0.5], 0)).toThrow(InvalidArgumentError);
    expect(() => temperWeights([0.5, 0.5], NaN)).toThrow(InvalidArgumentError);
  });
});

describe('weightStats', () => {
  it('uniform weights: entropy log n, normalised entropy 1, ESS n', () => {
    const s = weightStats(new Float64Array(8).fill(1 / 8));
    expect(s.entropy).toBeCloseTo(Math.log(8), 14);
    expect(s.normalizedEntropy).toBeCloseTo(1, 14);
    expect(s.effectiveSampleSize).toBeCloseTo(8, 12);
    expect(s.effectiveSampleFraction).toBeCloseTo(1, 12);
  });

  it('a point mass: entropy 0, ESS 1', () => {
    const s = weightStats([0, 1, 0, 0]);
    expect(s.entropy).toBe(0);
    expect(s.normalizedEntropy).toBe(0);
    expect(s.effectiveSampleSize).toBe(1);
    expect(s.maxWeight).toBe(1);
    expect(s.minWeight).toBe(0);
  });

  it('a hand-computed case', () => {
    // [1/2, 1/4, 1/4]: H = 1.5 ln 2; sum p^2 = 3/8 -> ESS 8/3.
    const s = weightStats([2, 1, 1]);
    expect(s.entropy).toBeCloseTo(1.5 * Math.LN2, 14);
    expect(s.normalizedEntropy).toBeCloseTo((1.5 * Math.LN2) / Math.log(3), 14);
    expect(s.effectiveSampleSize).toBeCloseTo(8 / 3, 14);
    expect(weightStats([5]).normalizedEntropy).toBe(1);
    expect(() => weightStats([])).toThrow(ShapeError);
    expect(() => weightStats([Infinity, 1])).toThrow(InvalidArgumentError);
  });
});
