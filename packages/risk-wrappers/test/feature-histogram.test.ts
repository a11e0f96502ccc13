import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { FeatureHistogram, NotReadyError } from '@dbvae/risk-wrappers';

const EPS = 1e-8;
const l = (p: number): number => Math.log(p + EPS);

describe('FeatureHistogram (hand-computed cases)', () => {
  it('uses only the filled part of the queue before it wraps', () => {
    const h = new FeatureHistogram({ queueSize: 4, numBins: 2 });
    // Rows (0,0), (1,0), (2,1). dim0: min 0, max 2, width 1 -> bins [0 | 1, 2] = [1, 2] of 3.
    // dim1: min 0, max 1, width 0.5 -> bins [0, 0 | 1] = [2, 1] of 3.
    h.push([0, 0, 1, 0, 2, 1], 3, 2);
    expect(h.filled).toBe(3);
    const lp = h.logProb([0.5, 0.9, 2, 0], 2, 2);
    expect(lp[0]).toBeCloseTo(l(1 / 3) + l(1 / 3), 10);
    expect(lp[1]).toBeCloseTo(l(2 / 3) + l(2 / 3), 10);
    // A zero-initialised queue (Capsa's) would count a fourth row (0,0): dim0 [2, 2] of 4 -> 1/2.
    expect(lp[0]).not.toBeCloseTo(l(2 / 4) + l(1 / 4 + 0), 3);
  });

  it('overwrites the oldest rows once full and clamps values outside the range', () => {
    const h = new FeatureHistogram({ queueSize: 4, numBins: 2 });
    h.push([0, 0, 1, 0, 2, 1], 3, 2);
    h.push([10, 1, 4, 1], 2, 2);
    // Queue now (1,0), (2,1), (10,1), (4,1). dim0: min 1, max 10, width 4.5 -> [3, 1]; dim1: [1, 3].
    expect(h.filled).toBe(4);
    const lp = h.logProb([5.5, 0.2, -100, 5], 2, 2);
    expect(lp[0]).toBeCloseTo(l(1 / 4) + l(1 / 4), 10);
    expect(lp[1]).toBeCloseTo(l(3 / 4) + l(3 / 4), 10);
  });

  it('gives empty bins probability epsilon and constant dimensions probability 1', () => {
    const h = new FeatureHistogram({ queueSize: 10, numBins: 3 });
    h.push([0, 7, 3, 7], 2, 2); // dim0 bins [1, 0, 1]; dim1 constant.
    const lp = h.logProb([1.5, 123], 1, 2);
    expect(lp[0]).toBeCloseTo(l(0) + l(1), 6);
  });

  it('rejects bad input with typed errors', () => {
    expect(() => new FeatureHistogram({ numBins: 0 })).toThrow(InvalidArgumentError);
    const h = new FeatureHistogram();
    expect(() => h.logProb([1], 1, 1)).toThrow(NotReadyError);
    h.push([1, 2], 1, 2);
    expect(() => h.push([1, 2, 3], 1, 3)).toThrow(ShapeError);
    expect(() => h.push([NaN, 2], 1, 2)).toThrow(InvalidArgumentError);
  });
});
