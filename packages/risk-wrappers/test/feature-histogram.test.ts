import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { FeatureHistogram, NotReadyError } from '@dbvae/risk-wrappers';

const EPS = 1e-8;
const l = (p: number): number => Math.log(p + EPS);

describe('FeatureHistogram, Gaussian density (the default; closed form)', () => {
  it('scores sum_d log N(v_d; mean_d, var_d) with the queue mean and population variance, floored at 1e-3 of their mean', () => {
    const h = new FeatureHistogram({ queueSize: 8 });
    expect(h.density).toBe('gaussian');
    // dim0: 1, 2, 3, 6 -> mean 3, variance (4 + 1 + 0 + 9) / 4 = 3.5; dim1: 0, 0, 4, 4 -> mean 2, variance 4.
    h.push([1, 0, 2, 0, 3, 4, 6, 4], 4, 2);
    const floor = 1e-3 * (3.5 + 4) / 2 + 1e-12;
    const [v0, v1] = [3.5 + floor, 4 + floor];
    const logN = (x: number, m: number, v: number): number => -0.5 * Math.log(2 * Math.PI * v) - ((x - m) ** 2) / (2 * v);
    const lp = h.logProb([3, 2, 10, -5], 2, 2);
    expect(lp[0]).toBeCloseTo(logN(3, 3, v0) + logN(2, 2, v1), 12);
    expect(lp[1]).toBeCloseTo(logN(10, 3, v0) + logN(-5, 2, v1), 12);
  });

  it('gives a unit that never fired in the queue a tight normal: any activation of it scores far lower', () => {
    const h = new FeatureHistogram();
    // dim1 is 0 in every row (a dead ReLU unit): its variance is the floor, 1e-3 of the mean variance.
    h.push([0, 0, 2, 0, 4, 0, 6, 0], 4, 2);
    const lp = h.logProb([3, 0, 3, 1], 2, 2);
    const floor = 1e-3 * (5 + 0) / 2 + 1e-12;
    expect((lp[0] as number) - (lp[1] as number)).toBeCloseTo(1 / (2 * floor), 6);
  });

  it('stays finite at 512 dimensions and ranks rows by their distance from the queue', () => {
    const dim = 512;
    const rows = 300;
    const data = new Float32Array(rows * dim);
    for (let r = 0; r < rows; r++) for (let d = 0; d < dim; d++) data[r * dim + d] = Math.sin(r * 12.9898 + d * 78.233) * 3;
    const h = new FeatureHistogram({ queueSize: rows });
    h.push(data, rows, dim);
    const probe = new Float32Array(3 * dim);
    for (let d = 0; d < dim; d++) {
      probe[dim + d] = 4;
      probe[2 * dim + d] = 40;
    }
    const lp = Array.from(h.logProb(probe, 3, dim));
    expect(lp.every(Number.isFinite)).toBe(true);
    expect(lp[0]).toBeGreaterThan(lp[1] as number);
    expect(lp[1]).toBeGreaterThan(lp[2] as number);
    expect(Math.fround(Math.exp(lp[2] as number))).toBe(0);
  });

  it('refuses an unknown density', () => {
    expect(() => new FeatureHistogram({ density: 'kde' as never })).toThrow(InvalidArgumentError);
  });
});

describe('FeatureHistogram (hand-computed cases)', () => {
  it('uses only the filled part of the queue before it wraps', () => {
    const h = new FeatureHistogram({ density: 'histogram', queueSize: 4, numBins: 2 });
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

  it('overwrites the oldest rows once full; half a bin past the range goes to the edge bin, further out counts as empty', () => {
    const h = new FeatureHistogram({ density: 'histogram', queueSize: 4, numBins: 2 });
    h.push([0, 0, 1, 0, 2, 1], 3, 2);
    h.push([10, 1, 4, 1], 2, 2);
    // Queue now (1,0), (2,1), (10,1), (4,1). dim0: min 1, max 10, width 4.5 -> [3, 1]; dim1: min 0, width 0.5 -> [1, 3].
    expect(h.filled).toBe(4);
    // Row 0 inside. Row 1: dim0 -1 >= 1 - 2.25 (edge bin 0: 3/4); dim1 1.2 <= 1 + 0.25 (edge bin 1: 3/4).
    // Row 2: dim0 -100 and dim1 5 are beyond half a bin: epsilon each.
    const lp = h.logProb([5.5, 0.2, -1, 1.2, -100, 5], 3, 2);
    expect(lp[0]).toBeCloseTo(l(1 / 4) + l(1 / 4), 10);
    expect(lp[1]).toBeCloseTo(l(3 / 4) + l(3 / 4), 10);
    expect(lp[2]).toBeCloseTo(2 * Math.log(EPS), 10);
  });

  it('gives empty bins probability epsilon and a constant dimension probability 1 at its value only', () => {
    const h = new FeatureHistogram({ density: 'histogram', queueSize: 10, numBins: 3 });
    h.push([0, 7, 3, 7], 2, 2); // dim0 bins [1, 0, 1]; dim1 constant 7.
    const lp = h.logProb([1.5, 7, 0, 123], 2, 2);
    expect(lp[0]).toBeCloseTo(l(0) + l(1), 6);
    expect(lp[1]).toBeCloseTo(l(1 / 2) + Math.log(EPS), 6);
  });

  it('stays finite and ordered at 512 dimensions, where exp(log p) underflows to 0', () => {
    // 200 rows, each dimension uniform on 5 bins by construction: row r has value (r + d) % 5 in dim d.
    const dim = 512;
    const rows = 200;
    const data = new Float32Array(rows * dim);
    for (let r = 0; r < rows; r++) for (let d = 0; d < dim; d++) data[r * dim + d] = (r + d) % 5;
    const h = new FeatureHistogram({ density: 'histogram', queueSize: rows, numBins: 5 });
    h.push(data, rows, dim);
    // Every bin holds 40 of 200: a seen-like row scores 512 * log(0.2 + eps); a row with k
    // dimensions far outside scores (512 - k) log(0.2 + eps) + k log(eps).
    const probe = new Float32Array(3 * dim);
    for (let d = 0; d < dim; d++) {
      probe[d] = d % 5;
      probe[dim + d] = d < 10 ? 100 : d % 5;
      probe[2 * dim + d] = d < 100 ? 100 : d % 5;
    }
    const lp = h.logProb(probe, 3, dim);
    expect(lp[0]).toBeCloseTo(dim * l(0.2), 8);
    expect(lp[1]).toBeCloseTo((dim - 10) * l(0.2) + 10 * Math.log(EPS), 8);
    expect(lp[2]).toBeCloseTo((dim - 100) * l(0.2) + 100 * Math.log(EPS), 8);
    expect(Math.fround(Math.exp(lp[0] as number))).toBe(0); // why the old 'prob' score was useless here
  });

  it('rejects bad input with typed errors', () => {
    expect(() => new FeatureHistogram({ numBins: 0 })).toThrow(InvalidArgumentError);
    expect(() => new FeatureHistogram({ epsilon: 0 })).toThrow(InvalidArgumentError);
    const h = new FeatureHistogram();
    expect(() => h.logProb([1], 1, 1)).toThrow(NotReadyError);
    h.push([1, 2], 1, 2);
    expect(() => h.push([1, 2, 3], 1, 3)).toThrow(ShapeError);
    expect(() => h.push([NaN, 2], 1, 2)).toThrow(InvalidArgumentError);
  });
});
