import { describe, expect, it } from 'vitest';
import { createRandom } from '@dbvae/backend';
import { normalizeProbabilities, sampleWithoutReplacement } from '@dbvae/core-data';

describe('weights whose sum overflows float64', () => {
  it('normalizeProbabilities keeps their ratios (closed form 2:2:1)', () => {
    const p = normalizeProbabilities([1.5e308, 1.5e308, 0.75e308]);
    expect(Array.from(p).map((v) => +v.toFixed(12))).toEqual([0.4, 0.4, 0.2]);
  });

  it('the sampler names the overflow instead of asking for a positive weight', () => {
    expect(() => sampleWithoutReplacement([1.5e308, 1.5e308, 1], 1, createRandom(0))).toThrow(/sum to Infinity: every entry is finite, but they are too large/);
  });
});
