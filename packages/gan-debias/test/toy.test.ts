import { describe, it, expect, beforeAll } from 'vitest';
import { initBackend, InvalidArgumentError } from '@dbvae/backend';
import { makeToyLatents, toyReproduction, type ToyReproductionOptions } from '../src/index';

/**
 * The notebook's toy example uses 512 dims and 10000 latents (train 4000, validation 1000);
 * its full size runs in `scripts/toy-reproduction.ts`. Here a configuration with the same
 * geometry at a quarter of the dimensions: 128 dims with doubled means (the distance between
 * group means, |mu_a - mu_b| sqrt(dims), is unchanged) and a quarter of the samples (the same
 * samples-per-dimension ratio for the SVM fits).
 */
const SMALL: ToyReproductionOptions = {
  dims: 128,
  sizes: [1500, 250, 250, 500],
  means: [0.2, 0.4, -0.2, -0.4],
  train: 1000,
  validation: 250,
};

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('makeToyLatents', () => {
  it('builds the four (t, g) groups with their sizes and means', () => {
    const { z, t, g } = makeToyLatents({ dims: 32, seed: 4 });
    expect(z.rows).toBe(10000);
    const expected = [
      { t: 0, g: 0, n: 6000, mean: 0.1 },
      { t: 0, g: 1, n: 1000, mean: 0.2 },
      { t: 1, g: 0, n: 1000, mean: -0.1 },
      { t: 1, g: 1, n: 2000, mean: -0.2 },
    ];
    for (const e of expected) {
      let count = 0;
      let sum = 0;
      let sumSq = 0;
      for (let i = 0; i < z.rows; i++) {
        if (t[i] !== e.t || g[i] !== e.g) continue;
        count++;
        for (let j = 0; j < 32; j++) {
          const v = z.data[i * 32 + j]!;
          sum += v;
          sumSq += v * v;
        }
      }
      expect(count).toBe(e.n);
      const mean = sum / (count * 32);
      expect(Math.abs(mean - e.mean)).toBeLessThan(0.01); // standard error <= 1 / sqrt(32000)
      expect(Math.abs(sumSq / (count * 32) - mean * mean - 1)).toBeLessThan(0.03);
    }
    expect(() => makeToyLatents({ std: 0 })).toThrow(InvalidArgumentError);
  });
});

describe('toy reproduction (latent de-biasing notebook, scaled)', () => {
  it('target ~98% and protected ~78-85% on validation; complements equalise the group score histograms', () => {
    for (const seed of [0, 1]) {
      const r = toyReproduction({ ...SMALL, seed });
      expect(r.targetAccuracy).toBeGreaterThan(0.96);
      expect(r.protectedAccuracy).toBeGreaterThan(0.72);
      expect(r.protectedAccuracy).toBeLessThan(0.9);
      // z' keeps every target score and negates every protected score (z' = z would keep the
      // target but fail the negation, the flip rate and the protected error)
      expect(r.maxTargetShift).toBeLessThan(1e-9);
      expect(r.maxProtectedError).toBeLessThan(1e-9);
      expect(r.protectedFlipRate).toBe(1);
      expect(r.targetKeepRate).toBe(1);
      // before: the target scores of g=0 and g=1 differ clearly; after: the two pooled sets hold the same scores
      expect(r.klBefore.ab).toBeGreaterThan(0.5);
      expect(r.klBefore.ba).toBeGreaterThan(0.5);
      expect(r.klAfter.ab).toBeLessThan(1e-9);
      expect(r.klAfter.ba).toBeLessThan(1e-9);
    }
  });
});

