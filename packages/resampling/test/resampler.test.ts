import { describe, it, expect, beforeAll } from 'vitest';
import { initBackend, InvalidArgumentError, createRandom, tf } from '@dbvae/backend';
import { expectAllClose, expectNoTensorLeaks, fixtureValues } from '@dbvae/test-utils';
import { Resampler, samplingWeights, temperWeights, mixWithUniform, weightStats, drawIndices } from '@dbvae/resampling';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('Resampler', () => {
  it('recomputes weights each update and records their statistics', () => {
    const r = new Resampler({ combine: 'product', alpha: 0.01 });
    expect(r.weights).toBeUndefined();
    expect(r.stats).toBeUndefined();
    const z1 = fixtureValues(50 * 4, 1);
    const z2 = fixtureValues(50 * 4, 2);
    const p1 = r.update(z1, [50, 4]);
    expect(Array.from(p1)).toEqual(Array.from(samplingWeights(z1, { shape: [50, 4], combine: 'product', alpha: 0.01 })));
    const p2 = r.update(z2, [50, 4]);
    expect(Array.from(p2)).toEqual(Array.from(samplingWeights(z2, { shape: [50, 4], combine: 'product', alpha: 0.01 })));
    expect(r.epoch).toBe(2);
    expect(r.weights).toBe(p2);
    expect(r.history).toHaveLength(2);
    expect(r.stats).toEqual(weightStats(p2));
    expect(r.history[0]).toEqual(weightStats(p1));
  });

  it('infers n from latentDim, and applies temperature then uniform mixing', () => {
    const z = fixtureValues(40 * 5, 3);
    const r = new Resampler({ latentDim: 5, temperature: 2, uniformMix: 0.25 });
    const expected = mixWithUniform(temperWeights(samplingWeights(z, { shape: [40, 5] }), 2), 0.25);
    expectAllClose(r.update(z), expected, 1e-14);
    // Flattened weights debias less: higher normalised entropy than the raw rule.
    expect(r.stats!.normalizedEntropy).toBeGreaterThan(weightStats(samplingWeights(z, { shape: [40, 5] })).normalizedEntropy);
  });

  it('accepts a Tensor2D without leaking tensors', async () => {
    const t = tf.tensor2d(fixtureValues(32 * 3, 4), [32, 3]);
    const r = new Resampler();
    await expectNoTensorLeaks(() => r.update(t), 3);
    expect(r.epoch).toBe(4);
    t.dispose();
  });

  it('validates its options', () => {
    expect(() => new Resampler({ bins: 0 })).toThrow(InvalidArgumentError);
    expect(() => new Resampler({ alpha: -1 })).toThrow(InvalidArgumentError);
    expect(() => new Resampler({ combine: 'mean' as 'max' })).toThrow(InvalidArgumentError);
    expect(() => new Resampler({ temperature: 0 })).toThrow(InvalidArgumentError);
    expect(() => new Resampler({ uniformMix: 2 })).toThrow(InvalidArgumentError);
    expect(() => new Resampler({ latentDim: 0 })).toThrow(InvalidArgumentError);
    expect(() => new Resampler().update(new Float32Array(6))).toThrow(/shape/);
  });
});

describe('drawIndices', () => {
  it('with replacement: frequencies follow p (seeded)', () => {
    const p = [0.5, 0.3, 0.2, 0];
    const draws = 20000;
    const idx = drawIndices(p, draws, createRandom(1));
    const freq = [0, 0, 0, 0];
    for (const i of idx) freq[i]!++;
    expect(freq[3]).toBe(0);
    // Each frequency within 5 standard errors of its probability.
    for (let i = 0; i < 3; i++) expect(Math.abs(freq[i]! / draws - p[i]!)).toBeLessThan(5 * Math.sqrt((p[i]! * (1 - p[i]!)) / draws));
    expect(Array.from(drawIndices(p, 10, createRandom(9)))).toEqual(Array.from(drawIndices(p, 10, createRandom(9))));
  });

  it('without replacement: distinct indices, first-draw frequencies follow p, zero weights never drawn', () => {
    const p = [0.6, 0.3, 0.1, 0];
    const rng = createRandom(2);
    const first = [0, 0, 0, 0];
    const trials = 5000;
    for (let t = 0; t < trials; t++) {
      const idx = drawIndices(p, 3, rng, { replace: false });
      expect(new Set(idx).size).toBe(3);
      expect(Array.from(idx)).not.toContain(3);
      first[idx[0]!]!++;
    }
    for (let i = 0; i < 3; i++) expect(Math.abs(first[i]! / trials - p[i]!)).toBeLessThan(5 * Math.sqrt((p[i]! * (1 - p[i]!)) / trials));
    expect(Array.from(drawIndices(p, 3, rng, { replace: false, sort: true }))).toEqual([0, 1, 2]);
    // Two of three: sequential draws give P(first 0, then 1) = 0.6 * 0.3 / 0.4 = 0.45 and
    // P(first 2, then 1) = 0.1 * 0.3 / 0.9 = 1/30.
    let pair01 = 0;
    let pair21 = 0;
    for (let t = 0; t < trials; t++) {
      const [a, b] = drawIndices(p, 2, rng, { replace: false });
      if (a === 0 && b === 1) pair01++;
      if (a === 2 && b === 1) pair21++;
    }
    expect(Math.abs(pair01 / trials - 0.45)).toBeLessThan(5 * Math.sqrt((0.45 * 0.55) / trials));
    expect(Math.abs(pair21 / trials - 1 / 30)).toBeLessThan(5 * Math.sqrt(((1 / 30) * (29 / 30)) / trials));
    // Larger n: distinct, in range, only positive weights.
    const big = Array.from({ length: 200 }, (_, i) => (i % 7 === 0 ? 0 : 1 + (i % 5)));
    const idx = drawIndices(big, 50, rng, { replace: false });
    expect(new Set(idx).size).toBe(50);
    for (const i of idx) expect(big[i]).toBeGreaterThan(0);
    expect(() => drawIndices(p, 4, rng, { replace: false })).toThrow(InvalidArgumentError);
    expect(() => drawIndices(p, -1, rng)).toThrow(InvalidArgumentError);
  });
});
