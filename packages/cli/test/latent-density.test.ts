import { describe, it, expect } from 'vitest';
import { InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { latentLogDensity } from '../src/latent-density';

describe('latentLogDensity', () => {
  it('matches hand-computed histogram probabilities', () => {
    // One dimension, reference 0, 0, 1 -> bins [0, 0.5), [0.5, 1]: counts 2, 1.
    const s = latentLogDensity([0, 0, 1], [0, 1, 0.4, 5, -3], 1, { bins: 2, alpha: 0 });
    expect(Array.from(s)).toEqual([Math.log(2 / 3), Math.log(1 / 3), Math.log(2 / 3), Math.log(1 / 3), Math.log(2 / 3)]);
  });

  it('averages log probabilities over dimensions, with smoothing', () => {
    // k = 2: dim 0 reference 0, 1 (one per bin); dim 1 reference 0, 0 (zero range: all in bin 0).
    const alpha = 0.1;
    const s = latentLogDensity([0, 0, 1, 0], [1, 7], 2, { bins: 2, alpha });
    const q0 = (0.5 + alpha) / (1 + 2 * alpha);
    const q1 = (1 + alpha) / (1 + 2 * alpha);
    expect(s[0]).toBeCloseTo((Math.log(q0) + Math.log(q1)) / 2, 12);
  });

  it('ranks rare samples below common ones and validates input', () => {
    const ref = [...Array(90).fill(0), ...Array(10).fill(1)];
    const [common, rare] = latentLogDensity(ref, [0, 1], 1);
    expect(common!).toBeGreaterThan(rare!);
    expect(() => latentLogDensity([0, 1, 2], [0], 2)).toThrow(ShapeError);
    expect(() => latentLogDensity([], [], 1)).toThrow(InvalidArgumentError);
    expect(() => latentLogDensity([0], [Number.NaN], 1)).toThrow(InvalidArgumentError);
  });
});
