import { describe, expect, it } from 'vitest';
import { percentileRank, sigmoid, toScores } from '../src/scores';

describe('page scores', () => {
  it('sigmoid matches 1 / (1 + e^-x) and stays finite at extremes', () => {
    for (const x of [-5, -0.5, 0, 0.5, 5]) expect(sigmoid(x)).toBeCloseTo(1 / (1 + Math.exp(-x)), 12);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-800)).toBeGreaterThanOrEqual(0);
  });

  it('percentileRank counts values below, ties as half', () => {
    const ref = [1, 2, 3, 4];
    expect(percentileRank(0, ref)).toBe(0);
    expect(percentileRank(5, ref)).toBe(100);
    expect(percentileRank(2.5, ref)).toBe(50);
    expect(percentileRank(2, ref)).toBe(37.5); // one below, one tie
    expect(percentileRank(1, [])).toBeNaN();
    expect(percentileRank(Number.NaN, ref)).toBeNaN();
  });

  it('toScores ranks representation and uncertainty against their own references', () => {
    const meta = { size: 32, referenceBias: [-10, -8, -6, -4], referenceEpistemic: [0.1, 0.2, 0.3, 0.4], training: { n: 1, epochs: 1, seed: 0, seconds: 1, heldOutAccuracy: 1 } };
    const s = toScores(0, -7, 0.45, meta);
    expect(s.probability).toBe(0.5);
    expect(s.representation).toBe(50);
    expect(s.epistemicPercentile).toBe(100);
    expect(s.logDensity).toBe(-7);
  });
});
