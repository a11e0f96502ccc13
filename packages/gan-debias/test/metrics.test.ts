import { describe, it, expect, beforeAll } from 'vitest';
import { createRandom, initBackend, InvalidArgumentError, ShapeError } from '@dbvae/backend';
import {
  averagePrecision,
  biasAmplification,
  bootstrap,
  calibrateThreshold,
  equalOpportunityDifference,
  fairnessReport,
  GanDebiasError,
  histogramKl,
  scoreHistogramKl,
} from '../src/index';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('metrics on hand-computed cases', () => {
  it('averagePrecision', () => {
    // positives at ranks 1, 3, 5: (1/3)(1) + (1/3)(2/3) + (1/3)(3/5) = 34/45
    expect(averagePrecision([0.9, 0.8, 0.7, 0.6, 0.5], [1, 0, 1, 0, 1])).toBeCloseTo(34 / 45, 12);
    // tied top pair enters together: (1/2)(1/2) + (1/2)(2/3) = 7/12
    expect(averagePrecision([0.9, 0.9, 0.1], [1, 0, 1])).toBeCloseTo(7 / 12, 12);
    expect(averagePrecision([3, 2, 1], [1, 1, 0])).toBe(1);
    expect(() => averagePrecision([1, 2], [0, 0])).toThrow(GanDebiasError);
    expect(() => averagePrecision([1, Number.NaN], [0, 1])).toThrow(InvalidArgumentError);
    expect(() => averagePrecision([1, 2], [0, 1, 1])).toThrow(ShapeError);
  });

  it('calibrateThreshold matches predicted to true positives', () => {
    // 3 positives: the third-highest score 0.4
    const th = calibrateThreshold([0.1, 0.4, 0.35, 0.8, 0.5], [0, 0, 1, 1, 1]);
    expect(th).toBe(0.4);
    expect(() => calibrateThreshold([0.1], [0])).toThrow(GanDebiasError);
  });

  it('equalOpportunityDifference', () => {
    const scores = [0.9, 0.2, 0.6, 0.4, 0.8, 0.1, 0.7, 0.3];
    const labels = [1, 1, 1, 0, 1, 1, 0, 0];
    const groups = [0, 0, 0, 0, 1, 1, 1, 1];
    // recall g=0: 2/3, g=1: 1/2
    expect(equalOpportunityDifference(scores, labels, groups, 0.5)).toBeCloseTo(1 / 6, 12);
    expect(() => equalOpportunityDifference(scores, [1, 1, 1, 0, 0, 0, 0, 0], groups, 0.5)).toThrow(GanDebiasError);
    expect(() => equalOpportunityDifference(scores, labels, [0, 0, 0, 0, 1, 1, 1, 2], 0.5)).toThrow(InvalidArgumentError);
  });

  it('biasAmplification (attribute to task)', () => {
    const groups = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
    const labels = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0];
    // P(t=1) = 0.4. g=1: P(g=1, t=1) = 0.3 > 0.4 * 0.4, so y_1 = 1; g=0: 0.1 < 0.6 * 0.4, so y_0 = 0.
    // predictions: g=1 all positive, g=0 all negative.
    // D_1 = 1 - 3/4 = 1/4, term +1/4; D_0 = 0 - 1/6, term -D_0 = +1/6. BA = (1/4 + 1/6) / 2 = 5/24
    const pred = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
    expect(biasAmplification(pred, labels, groups)).toBeCloseTo(5 / 24, 12);
    // perfect predictions do not amplify
    expect(biasAmplification(labels, labels, groups)).toBe(0);
    // predicting the task equally often in both groups reduces the correlation: negative
    expect(biasAmplification([1, 1, 0, 0, 1, 1, 1, 0, 0, 0], labels, groups)).toBeLessThan(0);
    expect(() => biasAmplification(pred, labels, new Array(10).fill(0))).toThrow(GanDebiasError);
  });

  it('histogramKl with shared and per-group bins', () => {
    // shared [0, 1] in 2 bins: P_a = [2/3, 1/3], P_b = [1/3, 2/3]; KL = (1/3) ln 2 both ways
    const shared = histogramKl([0, 0, 1], [0, 1, 1], { definition: 'shared-symmetric', bins: 2, smoothing: 1e-12 });
    expect(shared.ab).toBeCloseTo(Math.log(2) / 3, 9);
    expect(shared.ba).toBeCloseTo(Math.log(2) / 3, 9);
    // per-group ranges: a = [0, 1] -> [1/2, 1/2]; b = [10, 11, 11] -> [1/3, 2/3]
    const per = histogramKl([0, 1], [10, 11, 11], { definition: 'shared-symmetric', bins: 2, smoothing: 1e-12, binning: 'per-group' });
    expect(per.ab).toBeCloseTo(0.5 * Math.log(1.5) + 0.5 * Math.log(0.75), 9);
    // the same samples on shared bins do not overlap at all: KL ~ ln(1 / smoothing)
    const disjoint = histogramKl([0, 1], [10, 11, 11], { definition: 'shared-symmetric', bins: 2, smoothing: 1e-3 });
    expect(disjoint.ab).toBeGreaterThan(5);
    expect(Number.isFinite(disjoint.ab)).toBe(true);
    expect(histogramKl([1, 2, 3], [3, 2, 1], { definition: 'shared-symmetric' }).ab).toBeCloseTo(0, 12);
    expect(() => histogramKl([], [1])).toThrow(ShapeError);
    expect(() => histogramKl([1], [1], { definition: 'shared-symmetric', binning: 'x' as 'shared' })).toThrow(InvalidArgumentError);
    expect(() => histogramKl([1], [1], { definition: 'x' as 'original' })).toThrow(InvalidArgumentError);
    // original definition: three scores smoothed over 50 bins keep no integer count
    expect(() => histogramKl([1, 2, 3], [1, 2, 3])).toThrow(GanDebiasError);
  });

  it('scoreHistogramKl compares groups within each true class', () => {
    // class 1: g0 [0, 0, 1], g1 [0, 1, 1] -> (1/3) ln 2 each way; class 0: identical -> 0
    const scores = [0, 0, 1, 0, 1, 1, 0.2, 0.7, 0.2, 0.7];
    const labels = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0];
    const groups = [0, 0, 0, 1, 1, 1, 0, 0, 1, 1];
    const r = scoreHistogramKl(scores, labels, groups, { definition: 'shared-symmetric', bins: 2, smoothing: 1e-12 });
    expect(r.perClass[0]!.kl01).toBeCloseTo(0, 9);
    expect(r.perClass[1]!.kl01).toBeCloseTo(Math.log(2) / 3, 9);
    expect(r.kl).toBeCloseTo((2 * Math.log(2)) / 3 / 2, 9);
    expect(() => scoreHistogramKl([1, 2], [1, 0], [0, 0])).toThrow(GanDebiasError);
  });
});

describe('bootstrap and fairnessReport', () => {
  it('bootstrap of a mean: median near the mean, percentiles near mean +- 1.96 sd / sqrt(n), seeded', () => {
    const rng = createRandom(5);
    const n = 400;
    const x = Float64Array.from({ length: n }, () => 2 + 3 * rng.normal());
    const mean = x.reduce((a, v) => a + v, 0) / n;
    const sd = Math.sqrt(x.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
    const stat = (idx: Int32Array): number => {
      let s = 0;
      for (const i of idx) s += x[i]!;
      return s / idx.length;
    };
    const r = bootstrap(n, stat, { seed: 1 });
    expect(r.estimate).toBeCloseTo(mean, 12);
    expect(Math.abs(r.median - mean)).toBeLessThan(0.05);
    const half = (1.96 * sd) / Math.sqrt(n);
    expect(Math.abs(r.high - mean - half) / half).toBeLessThan(0.2);
    expect(Math.abs(mean - r.low - half) / half).toBeLessThan(0.2);
    expect(r.valid).toBe(500);
    expect(bootstrap(n, stat, { seed: 1 })).toEqual(r);
    expect(bootstrap(n, stat, { seed: 2 }).median).not.toBe(r.median);
    expect(() => bootstrap(n, stat, { resamples: 0 })).toThrow(InvalidArgumentError);
  });

  it('bootstrap skips resamples where the statistic is undefined', () => {
    // one positive among 20: resamples that miss it make AP undefined
    const labels = Array.from({ length: 20 }, (_, i) => (i === 0 ? 1 : 0));
    const scores = Array.from({ length: 20 }, (_, i) => 1 - i / 20);
    const r = bootstrap(20, (idx) => averagePrecision(Array.from(idx, (i) => scores[i]!), Array.from(idx, (i) => labels[i]!)), { resamples: 200 });
    expect(r.valid).toBeLessThan(200);
    expect(r.valid).toBeGreaterThan(100); // P(miss) = (19/20)^20 = 0.36
  });

  it('fairnessReport: a group-dependent scorer shows larger DEO and KL than a fair one', () => {
    const rng = createRandom(8);
    const make = (n: number, bias: number): { s: number[]; y: number[]; g: number[] } => {
      const s: number[] = [];
      const y: number[] = [];
      const g: number[] = [];
      for (let i = 0; i < n; i++) {
        const yi = rng.next() < 0.4 ? 1 : 0;
        const gi = rng.next() < 0.5 ? 1 : 0;
        y.push(yi);
        g.push(gi);
        s.push(1.5 * yi + bias * gi + rng.normal());
      }
      return { s, y, g };
    };
    const fairVal = make(400, 0);
    const fairTest = make(600, 0);
    const biasedVal = make(400, 1);
    const biasedTest = make(600, 1);
    const opts = { resamples: 100, seed: 3 };
    const fair = fairnessReport({ scores: fairTest.s, labels: fairTest.y, groups: fairTest.g, validation: { scores: fairVal.s, labels: fairVal.y } }, opts);
    const biased = fairnessReport({ scores: biasedTest.s, labels: biasedTest.y, groups: biasedTest.g, validation: { scores: biasedVal.s, labels: biasedVal.y } }, opts);
    expect(fair.threshold).toBe(calibrateThreshold(fairVal.s, fairVal.y));
    expect(fair.deo.estimate).toBeCloseTo(equalOpportunityDifference(fairTest.s, fairTest.y, fairTest.g, fair.threshold), 12);
    expect(biased.deo.median).toBeGreaterThan(fair.deo.median + 0.15);
    expect(biased.kl.median).toBeGreaterThan(fair.kl.median);
    expect(fair.deo.low).toBeLessThanOrEqual(fair.deo.median);
    expect(fair.deo.median).toBeLessThanOrEqual(fair.deo.high);
    expect(fair.ap.median).toBeGreaterThan(0.6);
    expect(() => fairnessReport({ scores: fairTest.s, labels: fairTest.y, groups: fairTest.g })).toThrow(InvalidArgumentError);
    // KL, original definition: the estimate is the median of the full sample's four directional
    // KLs, and the bootstrap pools four values per resample
    const four = scoreHistogramKl(biasedTest.s, biasedTest.y, biasedTest.g).perClass.flatMap((c) => [c.kl01, c.kl10]).sort((a, b) => a - b);
    expect(biased.kl.estimate).toBeCloseTo((four[1]! + four[2]!) / 2, 12);
    expect(biased.kl.valid).toBe(100);
    const shared = fairnessReport({ scores: biasedTest.s, labels: biasedTest.y, groups: biasedTest.g, validation: { scores: biasedVal.s, labels: biasedVal.y } }, { ...opts, kl: { definition: 'shared-symmetric' } });
    expect(shared.kl.estimate).toBeCloseTo(scoreHistogramKl(biasedTest.s, biasedTest.y, biasedTest.g, { definition: 'shared-symmetric' }).kl, 12);
  });
});
