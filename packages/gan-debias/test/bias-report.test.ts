import { describe, it, expect, beforeAll } from 'vitest';
import { createRandom, initBackend, InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { expectAllClose } from '@dbvae/test-utils';
import { biasReport, correlationFromCovariance, covarianceMatrix, linearRegression, percentile, topCovarying, type LatentWalkResult } from '../src/index';

/** Draws `n` samples of N(0, sigma) through a Cholesky factor computed here. */
function sampleMvn(sigma: number[][], n: number, seed: number): Float64Array {
  const k = sigma.length;
  const L = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = sigma[i]![j]!;
      for (let p = 0; p < j; p++) s -= L[i]![p]! * L[j]![p]!;
      L[i]![j] = i === j ? Math.sqrt(s) : s / L[j]![j]!;
    }
  }
  const rng = createRandom(seed);
  const out = new Float64Array(n * k);
  const e = new Array<number>(k);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < k; i++) e[i] = rng.normal();
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let j = 0; j <= i; j++) s += L[i]![j]! * e[j]!;
      out[r * k + i] = s;
    }
  }
  return out;
}

/** Wraps rows of changes as a walk result with `steps` blocks per direction. */
function fakeWalk(changes: Float64Array, steps: number, samples: number, k: number, target: number): LatentWalkResult {
  const offsets = new Int32Array(2 * steps);
  for (let s = 0; s < steps; s++) {
    offsets[s] = s + 1;
    offsets[steps + s] = -(s + 1);
  }
  return {
    attributeNames: Array.from({ length: k }, (_, i) => `f${i}`),
    targetIndex: target,
    samples,
    steps,
    attributes: k,
    startLogits: new Float32Array(samples * k),
    changes: Float32Array.from(changes),
    offsets,
  };
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('covariance helpers (hand-computed)', () => {
  it('covarianceMatrix and correlation of a tiny sample', () => {
    // columns x = [1, 2, 3], y = [2, 4, 7]: means 2 and 13/3
    const cov = covarianceMatrix({ data: new Float64Array([1, 2, 2, 4, 3, 7]), rows: 3, cols: 2 });
    // var x = (1 + 0 + 1) / 2 = 1; cov = (-1 * -7/3 + 0 + 1 * 8/3) / 2 = 2.5; var y = (49/9 + 1/9 + 64/9) / 2 = 19/3
    expectAllClose(cov.data, [1, 2.5, 2.5, 19 / 3], 1e-12);
    const cor = correlationFromCovariance(cov);
    expectAllClose(cor.data, [1, 2.5 / Math.sqrt(19 / 3), 2.5 / Math.sqrt(19 / 3), 1], 1e-12);
  });

  it('linearRegression recovers an exact line and r = -1 for a falling one', () => {
    const fit = linearRegression([0, 1, 2, 3], [1, 3, 5, 7]);
    expect(fit.slope).toBeCloseTo(2, 12);
    expect(fit.intercept).toBeCloseTo(1, 12);
    expect(fit.r).toBeCloseTo(1, 12);
    expect(linearRegression([0, 1, 2], [4, 2, 0]).r).toBeCloseTo(-1, 12);
    expect(() => linearRegression([1, 1], [0, 1])).toThrow(InvalidArgumentError);
  });

  it('percentile interpolates like numpy', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10, 0, 5], 25)).toBe(2.5);
    expect(() => percentile([], 50)).toThrow(ShapeError);
  });

  it('topCovarying excludes the target by index even when it does not rank first', () => {
    // variance of f0 (1) is smaller than its covariance with f1 (8) and with f2 (-3)
    const m = { data: new Float64Array([1, 8, -3, 8, 100, 0, -3, 0, 50]), size: 3 };
    expect(topCovarying(m, 0, 2)).toEqual([
      { index: 1, value: 8 },
      { index: 2, value: -3 },
    ]);
    expect(() => topCovarying(m, 3, 1)).toThrow(InvalidArgumentError);
  });
});

describe('biasReport on samples with a known covariance', () => {
  const sigma = [
    [9, 3, -1.5, -4],
    [3, 8, 4, 2.5],
    [-1.5, 4, 7, 1],
    [-4, 2.5, 1, 10],
  ];
  const steps = 20;
  const samples = 200; // 8000 rows: standard errors of the entries are about 0.1
  const data = sampleMvn(sigma, 2 * steps * samples, 7);

  it('recovers the covariance matrix and the signed top-k ranking for every target', () => {
    const expected: Record<number, [number[], number[]]> = {
      0: [[3, 1, 2], [-4, 3, -1.5]],
      1: [[2, 0, 3], [4, 3, 2.5]],
      2: [[1, 0, 3], [4, -1.5, 1]],
      3: [[0, 1, 2], [-4, 2.5, 1]],
    };
    for (let t = 0; t < 4; t++) {
      const report = biasReport(fakeWalk(data, steps, samples, 4, t), { topK: 3 });
      for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) expect(Math.abs(report.covariance.data[a * 4 + b]! - sigma[a]![b]!)).toBeLessThan(0.5);
      const [idx, vals] = expected[t]!;
      expect(report.top.map((x) => x.index)).toEqual(idx);
      report.top.forEach((x, i) => {
        expect(Math.abs(x.covariance - vals[i]!)).toBeLessThan(0.5);
        const trueCorr = sigma[t]![x.index]! / Math.sqrt(sigma[t]![t]! * sigma[x.index]![x.index]!);
        expect(Math.abs(x.correlation - trueCorr)).toBeLessThan(0.05);
        // OLS slope of the other change on the target change estimates cov / var(target)
        expect(Math.abs(x.regression.slope - sigma[t]![x.index]! / sigma[t]![t]!)).toBeLessThan(0.08);
        expect(x.regression.r).toBeCloseTo(x.correlation, 6);
        expect(x.binned).toHaveLength(2 * steps);
      });
      expect(report.target).toEqual({ index: t, name: `f${t}` });
    }
  });

  it('ranks by correlation when asked, which can differ from the covariance ranking', () => {
    // target f1: |cov| ranks f2 (4) before f0 (3); correlations: f2 4/sqrt(56) = 0.53, f0 3/sqrt(72) = 0.35, f3 2.5/sqrt(80) = 0.28
    const report = biasReport(fakeWalk(data, steps, samples, 4, 1), { topK: 3, rankBy: 'correlation' });
    expect(report.top.map((x) => x.index)).toEqual([2, 0, 3]);
    expect(() => biasReport(fakeWalk(data, steps, samples, 4, 1), { rankBy: 'x' as 'covariance' })).toThrow(InvalidArgumentError);
  });
});
