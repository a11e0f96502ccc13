import { describe, expect, it } from 'vitest';
import { percentileRank, sigmoid, wilsonInterval } from '../src/stats';

describe('wilsonInterval', () => {
  it('matches the closed forms at k = 0, k = n and k = n/2', () => {
    const z2 = 1.96 ** 2;
    // k = 0: [0, z²/(n + z²)]; k = n: [n/(n + z²), 1].
    expect(wilsonInterval(0, 10).low).toBe(0);
    expect(wilsonInterval(0, 10).high).toBeCloseTo(z2 / (10 + z2), 12);
    expect(wilsonInterval(10, 10).low).toBeCloseTo(10 / (10 + z2), 12);
    expect(wilsonInterval(10, 10).high).toBe(1);
    // k = n/2: symmetric about 1/2, half-width z/(1 + z²/n) * sqrt(1/(4n) + z²/(4n²)).
    const n = 10;
    const half = (1.96 / (1 + z2 / n)) * Math.sqrt(1 / (4 * n) + z2 / (4 * n * n));
    expect(wilsonInterval(5, 10).low).toBeCloseTo(0.5 - half, 12);
    expect(wilsonInterval(5, 10).high).toBeCloseTo(0.5 + half, 12);
    expect(wilsonInterval(5, 10).low).toBeCloseTo(0.2366, 4); // the textbook value
  });

  it('contains k/n for every k and n up to 200, with exact bounds at 0 and n', () => {
    for (let n = 1; n <= 200; n++) {
      expect(wilsonInterval(0, n).low).toBe(0);
      expect(wilsonInterval(n, n).high).toBe(1);
      for (let k = 0; k <= n; k++) {
        const { low, high } = wilsonInterval(k, n);
        expect(low).toBeLessThanOrEqual(k / n);
        expect(high).toBeGreaterThanOrEqual(k / n);
      }
    }
  });

  it('narrows as n grows and contains k/n', () => {
    const small = wilsonInterval(8, 10);
    const large = wilsonInterval(800, 1000);
    expect(large.high - large.low).toBeLessThan(small.high - small.low);
    expect(large.low).toBeLessThan(0.8);
    expect(large.high).toBeGreaterThan(0.8);
    expect(Number.isNaN(wilsonInterval(1, 0).low)).toBe(true);
  });
});

describe('percentileRank and sigmoid', () => {
  it('ranks by order only, so any monotone rescaling of a score gives the same rank', () => {
    const scores = [0.001, 0.01, 0.1, 0.5, 0.9];
    const logs = scores.map(Math.log);
    for (const [i, s] of scores.entries()) expect(percentileRank(s, scores)).toBe(percentileRank(logs[i] as number, logs));
    expect(percentileRank(0.1, scores)).toBe(50);
    expect(percentileRank(-1, scores)).toBe(0);
    expect(percentileRank(2, scores)).toBe(100);
  });

  it('sigmoid is stable far from zero', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(800)).toBe(1);
    expect(sigmoid(2) + sigmoid(-2)).toBeCloseTo(1, 15);
  });
});
