import { describe, it, expect } from 'vitest';
import { samplingWeights, weightsFromHistograms, latentHistograms, weightStats } from '@dbvae/resampling';

describe('samplingWeights: tempering and uniform mixing', () => {
  // One dimension, 4 samples, 2 bins over [0, 1]: densities 3 / 0.5 / 4 = 1.5 and 1 / 0.5 / 4 = 0.5.
  const data = new Float64Array([0, 0.2, 0.4, 1]);
  const alpha = 0.01;

  it('product rule: p_i proportional to (d + alpha)^(-1 / T), the closed form', () => {
    for (const T of [1, 2, 10]) {
      const p = samplingWeights(data, { shape: [4, 1], bins: 2, alpha, combine: 'product', temperature: T });
      const a = (1.5 + alpha) ** (-1 / T);
      const b = (0.5 + alpha) ** (-1 / T);
      const z = 3 * a + b;
      for (let i = 0; i < 3; i++) expect(p[i]).toBeCloseTo(a / z, 14);
      expect(p[3]).toBeCloseTo(b / z, 14);
    }
  });

  it('product rule over many dimensions: temperature k turns the product into a geometric mean and lifts the effective sample size', () => {
    // 400 samples x 50 dims of skewed values: the raw product concentrates, the tempered one does not.
    const n = 400;
    const k = 50;
    const z = new Float64Array(n * k);
    let s = 12345;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < n * k; i++) z[i] = -Math.log(1 - rand()); // exponential
    const raw = samplingWeights(z, { shape: [n, k], combine: 'product' });
    const tempered = samplingWeights(z, { shape: [n, k], combine: 'product', temperature: k });
    expect(weightStats(raw).effectiveSampleSize).toBeLessThan(weightStats(tempered).effectiveSampleSize);
    // Same ranking: tempering is monotone.
    const order = (p: Float64Array) => Array.from(p.keys()).sort((i, j) => p[i]! - p[j]! || i - j);
    expect(order(tempered)).toEqual(order(raw));
  });

  it('max rule: weights raised to 1 / T and renormalised', () => {
    const base = samplingWeights(data, { shape: [4, 1], bins: 2, alpha });
    const p = samplingWeights(data, { shape: [4, 1], bins: 2, alpha, temperature: 3 });
    const cube = Array.from(base, (v) => Math.cbrt(v));
    const sum = cube.reduce((x, y) => x + y, 0);
    for (let i = 0; i < 4; i++) expect(p[i]).toBeCloseTo(cube[i]! / sum, 14);
  });

  it('uniform mix: (1 - u) p + u / n; temperature Infinity is uniform', () => {
    const base = samplingWeights(data, { shape: [4, 1], bins: 2, alpha, combine: 'product' });
    const mixed = samplingWeights(data, { shape: [4, 1], bins: 2, alpha, combine: 'product', uniformMix: 0.25 });
    for (let i = 0; i < 4; i++) expect(mixed[i]).toBeCloseTo(0.75 * base[i]! + 0.25 / 4, 15);
    expect(Array.from(samplingWeights(data, { shape: [4, 1], bins: 2, temperature: Infinity }))).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('weightsFromHistograms shapes the same way', () => {
    const h = latentHistograms(data, { shape: [4, 1], bins: 2 });
    const a = weightsFromHistograms(h, { alpha, combine: 'product', temperature: 2, uniformMix: 0.1 });
    const b = samplingWeights(data, { shape: [4, 1], bins: 2, alpha, combine: 'product', temperature: 2, uniformMix: 0.1 });
    for (let i = 0; i < 4; i++) expect(a[i]).toBeCloseTo(b[i]!, 15);
  });

  it('rejects a non-positive temperature and a mix outside [0, 1]', () => {
    expect(() => samplingWeights(data, { shape: [4, 1], temperature: 0 })).toThrow(/temperature must be > 0/);
    expect(() => samplingWeights(data, { shape: [4, 1], uniformMix: 1.5 })).toThrow(/uniformMix must be in \[0, 1\]/);
  });
});
