import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, initBackend, tf } from '@dbvae/backend';
import {
  accuracyVsRisk,
  auroc,
  correctPredictions,
  errorDetectionAuroc,
  expectedCalibrationError,
  mostAndLeastRepresented,
  normalCdf,
  regressionCalibrationError,
} from '@dbvae/risk-wrappers';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('auroc', () => {
  it('matches hand-counted pairs, ties counting one half', () => {
    // Positives 0.8, 0.4; negatives 0.6, 0.4, 0.1. Pairs (pos > neg): 0.8 beats 3; 0.4 beats 0.1,
    // ties 0.4 (half), loses to 0.6 -> (3 + 1.5) / 6.
    expect(auroc([0.8, 0.6, 0.4, 0.4, 0.1], [1, 0, 1, 0, 0])).toBeCloseTo(4.5 / 6, 12);
    expect(auroc([1, 2, 3, 4], [0, 0, 1, 1])).toBe(1);
    expect(auroc([1, 2, 3, 4], [1, 1, 0, 0])).toBe(0);
  });
  it('flags errors with errorDetectionAuroc', () => {
    expect(errorDetectionAuroc([0.9, 0.1, 0.2], [false, true, true])).toBe(1);
  });
  it('refuses a single class', () => {
    expect(() => auroc([1, 2], [1, 1])).toThrow(InvalidArgumentError);
  });
});

describe('expectedCalibrationError', () => {
  it('matches a hand-computed binary case with l1, l2 and max norms', () => {
    // probs 0.9, 0.8 (pred 1), 0.3 (pred 0, conf 0.7), 0.55 (pred 1). labels 1, 0, 0, 1.
    // 2 bins: (0, .5] empty; (.5, 1]: all four, conf mean (0.9+0.8+0.7+0.55)/4 = 0.7375, acc 3/4.
    const probs = [0.9, 0.8, 0.3, 0.55];
    const labels = [1, 0, 0, 1];
    expect(expectedCalibrationError(probs, labels, { numBins: 2 })).toBeCloseTo(Math.abs(0.75 - 0.7375), 12);
    // 10 bins: (.5,.6]: 0.55 hit -> |1 - .55|; (.6,.7]: 0.7 hit -> .3; (.7,.8]: .8 miss -> .8; (.8,.9]: .9 hit -> .1.
    const gaps = [0.45, 0.3, 0.8, 0.1];
    expect(expectedCalibrationError(probs, labels)).toBeCloseTo(gaps.reduce((s, g) => s + g / 4, 0), 12);
    expect(expectedCalibrationError(probs, labels, { norm: 'l2' })).toBeCloseTo(Math.sqrt(gaps.reduce((s, g) => s + (g * g) / 4, 0)), 12);
    expect(expectedCalibrationError(probs, labels, { norm: 'max' })).toBeCloseTo(0.8, 12);
  });
  it('handles multi-class rows and rejects logits', () => {
    expect(expectedCalibrationError([[0.2, 0.8], [0.6, 0.4]], [1, 1], { numBins: 5 })).toBeCloseTo(0.5 * 0.2 + 0.5 * 0.6, 12);
    expect(() => expectedCalibrationError([2.5], [1])).toThrow(InvalidArgumentError);
  });
});

describe('regressionCalibrationError', () => {
  it('is near 0 for correct Gaussian variances and large for overconfident ones', () => {
    let s = 12345;
    const gauss = (): number => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const u = (s + 0.5) / 4294967296;
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return Math.sqrt(-2 * Math.log(u)) * Math.cos((2 * Math.PI * s) / 4294967296);
    };
    const n = 4000;
    const y = Array.from({ length: n }, () => 2 * gauss());
    const mean = new Array(n).fill(0);
    expect(regressionCalibrationError(mean, new Array(n).fill(4), y)).toBeLessThan(0.02);
    expect(regressionCalibrationError(mean, new Array(n).fill(0.25), y)).toBeGreaterThan(0.15);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
  });
});

describe('accuracyVsRisk and helpers', () => {
  it('sorts, chunks like array_split and averages images', () => {
    const risk = [5, 1, 4, 2, 3];
    const correct = [0, 1, 1, 1, 0];
    const images = tf.tensor2d([[5], [1], [4], [2], [3]]);
    const chunks = accuracyVsRisk(risk, correct, { numChunks: 2, images });
    // Sorted: 1 (c), 2 (c), 3 (x) | 4 (c), 5 (x).
    expect(chunks.map((c) => c.count)).toEqual([3, 2]);
    expect(chunks[0]?.meanRisk).toBeCloseTo(2, 12);
    expect(chunks[0]?.accuracy).toBeCloseTo(2 / 3, 12);
    expect(chunks[1]?.accuracy).toBeCloseTo(0.5, 12);
    expect(chunks[1]?.percentile).toBe(100);
    expect(Array.from(chunks[1]?.meanImage?.dataSync() ?? [])).toEqual([4.5]);
    for (const c of chunks) c.meanImage?.dispose();
    images.dispose();
  });
  it('computes correctness and extreme samples', () => {
    const yHat = tf.tensor2d([[2], [-1], [0.5]]);
    const y = tf.tensor2d([[1], [1], [0]]);
    expect(Array.from(correctPredictions(yHat, y))).toEqual([1, 0, 0]);
    tf.dispose([yHat, y]);
    expect(mostAndLeastRepresented([0.3, 0.1, 0.9, 0.5], 2)).toEqual({ least: [1, 0], most: [2, 3] });
  });
});
