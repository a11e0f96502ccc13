import { describe, it, expect } from 'vitest';
import { InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { groupMetrics } from '../src/group-metrics';

describe('groupMetrics', () => {
  it('matches a hand-computed case', () => {
    // LF: probs 0.9, 0.4, 0.6 -> n 3, mean 1.9/3, hits 2/3
    // DM: probs 0.2, 0.5     -> n 2, mean 0.35,  hits 1/2 (0.5 counts: >= threshold)
    // LM: prob 0.7           -> n 1, mean 0.7,   hits 1
    const r = groupMetrics([0.9, 0.2, 0.4, 0.5, 0.6, 0.7], ['LF', 'DM', 'LF', 'DM', 'LF', 'LM']);
    expect(Object.keys(r.groups)).toEqual(['LF', 'DM', 'LM']);
    expect(r.groups.LF!.n).toBe(3);
    expect(r.groups.LF!.meanProb).toBeCloseTo(1.9 / 3, 12);
    expect(r.groups.LF!.accuracy).toBeCloseTo(2 / 3, 12);
    expect(r.groups.DM).toEqual({ n: 2, meanProb: expect.closeTo(0.35, 12), accuracy: 0.5, low: expect.any(Number), high: expect.any(Number) });
    expect(r.groups.LM).toEqual({ n: 1, meanProb: 0.7, accuracy: 1, low: expect.any(Number), high: 1 });
    // mean of (2/3, 1/2, 1) = 13/18; population variance = mean of squared deviations
    const m = 13 / 18;
    expect(r.meanAccuracy).toBeCloseTo(m, 12);
    expect(r.accuracyVariance).toBeCloseTo(((2 / 3 - m) ** 2 + (0.5 - m) ** 2 + (1 - m) ** 2) / 3, 12);
  });

  it('weights every group equally, not every sample', () => {
    // 9 perfect LF faces and 1 missed DM face: sample accuracy 0.9, group mean 0.5.
    const r = groupMetrics([...Array(9).fill(0.99), 0.01], [...Array(9).fill('LF'), 'DM']);
    expect(r.meanAccuracy).toBe(0.5);
    expect(r.accuracyVariance).toBe(0.25);
  });

  it('honours the threshold', () => {
    const r = groupMetrics([0.3, 0.6], ['A', 'A'], { threshold: 0.25 });
    expect(r.groups.A!.accuracy).toBe(1);
  });

  it('rejects bad input with typed errors', () => {
    expect(() => groupMetrics([0.5], ['A', 'B'])).toThrow(ShapeError);
    expect(() => groupMetrics([], [])).toThrow(InvalidArgumentError);
    expect(() => groupMetrics([Number.NaN], ['A'])).toThrow(/finite/);
    expect(() => groupMetrics([1.5], ['A'])).toThrow(/sigmoid/);
    expect(() => groupMetrics([0.5], [''])).toThrow(InvalidArgumentError);
    expect(() => groupMetrics([0.5], ['A'], { threshold: 2 })).toThrow(InvalidArgumentError);
  });
});
