import { describe, it, expect } from 'vitest';
import { createRandom } from '@dbvae/backend';
import { wilsonInterval, Z95 } from '../src/stats/wilson';
import { bootstrapInterval, quantile } from '../src/stats/bootstrap';
import { compareOverSeeds, meanInterval, tQuantile975 } from '../src/stats/seed-summary';
import { groupMetrics } from '../src/group-metrics';

/** Exact binomial probabilities P(X = k), k = 0..n (log space). */
function binomialPmf(n: number, p: number): number[] {
  const logFact = [0];
  for (let i = 1; i <= n; i++) logFact.push(logFact[i - 1]! + Math.log(i));
  return Array.from({ length: n + 1 }, (_, k) => Math.exp(logFact[n]! - logFact[k]! - logFact[n - k]! + k * Math.log(p) + (n - k) * Math.log1p(-p)));
}

describe('wilsonInterval', () => {
  it('has the closed-form ends at 0 and n successes: [0, z²/(n+z²)] and [n/(n+z²), 1]', () => {
    const z2 = Z95 * Z95;
    const none = wilsonInterval(0, 10);
    expect(none.low).toBe(0);
    expect(none.high).toBeCloseTo(z2 / (10 + z2), 14);
    const all = wilsonInterval(100, 100);
    expect(all.high).toBe(1);
    expect(all.low).toBeCloseTo(100 / (100 + z2), 14);
  });

  it('inverts the score test: each end p0 solves n (phat - p0)² = z² p0 (1 - p0)', () => {
    for (const [k, n] of [[95, 100], [1, 2], [37, 50], [3, 400], [250, 500]] as const) {
      const { low, high } = wilsonInterval(k, n);
      const phat = k / n;
      for (const p0 of [low, high]) expect(n * (phat - p0) ** 2).toBeCloseTo(Z95 * Z95 * p0 * (1 - p0), 10);
      expect(low).toBeLessThanOrEqual(phat);
      expect(high).toBeGreaterThanOrEqual(phat);
    }
    const mid = wilsonInterval(50, 100);
    expect(mid.low + mid.high).toBeCloseTo(1, 14); // symmetric about 1/2
  });

  it('covers the true proportion about 95% of the time (exact binomial sum) where the group accuracies live', () => {
    for (const [n, p] of [[100, 0.9], [100, 0.97], [300, 0.8], [50, 0.5]] as const) {
      const pmf = binomialPmf(n, p);
      let coverage = 0;
      for (let k = 0; k <= n; k++) {
        const { low, high } = wilsonInterval(k, n);
        if (low <= p && p <= high) coverage += pmf[k]!;
      }
      expect(coverage).toBeGreaterThan(0.92);
      expect(coverage).toBeLessThan(0.98);
    }
  });

  it('rejects impossible counts', () => {
    expect(() => wilsonInterval(3, 2)).toThrow(/successes must be an integer in \[0, 2\]/);
    expect(() => wilsonInterval(0, 0)).toThrow(/n must be a positive integer/);
  });

  it('groupMetrics reports each group\'s Wilson interval', () => {
    const probs = [...Array(19).fill(0.9), 0.1, ...Array(3).fill(0.2), 0.8];
    const r = groupMetrics(probs, [...Array(20).fill('LF'), ...Array(4).fill('DM')]);
    expect(r.groups.LF).toMatchObject({ n: 20, accuracy: 0.95, ...wilsonInterval(19, 20) });
    expect(r.groups.DM).toMatchObject({ n: 4, accuracy: 0.25, ...wilsonInterval(1, 4) });
  });
});

describe('bootstrapInterval', () => {
  const mean = (s: Float64Array) => s.reduce((a, b) => a + b, 0) / s.length;

  it('the interval of a mean of normal data matches mean +- 1.96 s / sqrt(n)', () => {
    const rng = createRandom(3);
    const n = 400;
    const x = Array.from({ length: n }, () => 3 + 2 * Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()));
    const m = x.reduce((a, b) => a + b, 0) / n;
    const s = Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
    const ci = bootstrapInterval(x, mean, { resamples: 4000, seed: 1 });
    expect(ci.estimate).toBeCloseTo(m, 12);
    const half = (1.96 * s) / Math.sqrt(n);
    expect(ci.low).toBeCloseTo(m - half, 1);
    expect(ci.high).toBeCloseTo(m + half, 1);
    expect(Math.abs((ci.high - ci.low) / (2 * half) - 1)).toBeLessThan(0.1);
  });

  it('covers the mean of an exponential distribution in about 95% of samples', () => {
    const rng = createRandom(11);
    let hits = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const x = Array.from({ length: 60 }, () => -Math.log(1 - rng.next())); // mean 1
      const ci = bootstrapInterval(x, mean, { resamples: 400, seed: t });
      if (ci.low <= 1 && 1 <= ci.high) hits++;
    }
    expect(hits / trials).toBeGreaterThan(0.88);
    expect(hits / trials).toBeLessThan(0.99);
  });

  it('quantile interpolates linearly between order statistics (NumPy\'s default)', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 20], 0.25)).toBe(12.5);
  });
});

describe('seed summaries', () => {
  it('t quantiles: the table and the expansion beyond it', () => {
    expect(tQuantile975(4)).toBeCloseTo(2.7764, 4);
    expect(tQuantile975(40)).toBeCloseTo(2.0211, 3);
    expect(tQuantile975(120)).toBeCloseTo(1.9799, 3);
  });

  it('meanInterval is mean +- t sd / sqrt(n)', () => {
    const r = meanInterval([1, 2, 3]);
    expect(r.mean).toBe(2);
    expect(r.sd).toBe(1);
    expect(r.high - r.mean).toBeCloseTo(4.302652730 / Math.sqrt(3), 9);
    expect(meanInterval([5])).toEqual({ mean: 5, sd: 0, n: 1, low: 5, high: 5 });
  });

  it('compareOverSeeds pairs the seeds and counts where the verdict holds', () => {
    const std = [{ seed: 1, meanAccuracy: 0.9, accuracyVariance: 0.01 }, { seed: 2, meanAccuracy: 0.92, accuracyVariance: 0.004 }];
    const db = [{ seed: 1, meanAccuracy: 0.91, accuracyVariance: 0.004 }, { seed: 2, meanAccuracy: 0.91, accuracyVariance: 0.001 }];
    const c = compareOverSeeds(std, db);
    expect(c.seedsWhereVerdictHolds).toBe(1); // seed 2 cut the variance but lost mean accuracy
    expect(c.difference.meanAccuracy.mean).toBeCloseTo(0, 12);
    expect(c.varianceRatio.mean).toBeCloseTo((0.4 + 0.25) / 2, 12);
    expect(() => compareOverSeeds(std, db.slice(1))).toThrow(/same, non-empty list of seeds/);
  });
});

describe('pairedGroupBootstrap', () => {
  it('gives the observed differences as estimates and an interval that contains them; identical models differ by exactly 0', async () => {
    const { pairedGroupBootstrap } = await import('../src/stats/paired-bootstrap');
    const groups = [...Array(100).fill('L'), ...Array(100).fill('D')];
    const a = [...Array(100).fill(1), ...Array(50).fill(1), ...Array(50).fill(0)]; // L 100%, D 50%: variance 0.0625
    const b = [...Array(95).fill(1), ...Array(5).fill(0), ...Array(85).fill(1), ...Array(15).fill(0)]; // L 95%, D 85%: variance 0.0025
    const r = pairedGroupBootstrap(a, b, groups, { resamples: 1000, seed: 2 });
    expect(r.accuracyVarianceDifference.estimate).toBeCloseTo(0.0025 - 0.0625, 12);
    expect(r.meanAccuracyDifference.estimate).toBeCloseTo(0.9 - 0.75, 12);
    expect(r.accuracyVarianceDifference.low).toBeLessThan(r.accuracyVarianceDifference.estimate);
    expect(r.accuracyVarianceDifference.high).toBeLessThan(0); // a 50-point gap against 10: clearly smaller
    expect(r.shareVarianceLower).toBe(1);
    // Paired draws: per face the difference b - a is 1 with probability 0.35 in D and -1 with 0.05
    // in L, so the mean difference has standard error sqrt(.35*.65/100 + .05*.95/100) / 2 and the
    // 95% interval is about 2 * 1.96 of them wide.
    const se = Math.sqrt((0.35 * 0.65) / 100 + (0.05 * 0.95) / 100) / 2;
    const width = r.meanAccuracyDifference.high - r.meanAccuracyDifference.low;
    expect(width / (2 * 1.96 * se)).toBeGreaterThan(0.85);
    expect(width / (2 * 1.96 * se)).toBeLessThan(1.15);
    const same = pairedGroupBootstrap(a, a, groups, { resamples: 50 });
    expect([same.accuracyVarianceDifference.low, same.accuracyVarianceDifference.high]).toEqual([0, 0]);
  });
});

describe('dbvae evaluate table', () => {
  it('prints each group\'s accuracy with its 95% Wilson interval', async () => {
    const { formatGroupMetricsTable } = await import('../src/commands/evaluate');
    const table = formatGroupMetricsTable(groupMetrics([...Array(19).fill(0.9), 0.1], Array(20).fill('DF')));
    const { low, high } = wilsonInterval(19, 20);
    expect(table).toMatch(/95% interval/);
    expect(table).toMatch(new RegExp(`95\\.0% +${(low * 100).toFixed(1)}-${(high * 100).toFixed(1)}%`));
  });
});
