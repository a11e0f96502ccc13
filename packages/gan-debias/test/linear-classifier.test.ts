import { describe, it, expect, beforeAll } from 'vitest';
import { createRandom, initBackend, InvalidArgumentError } from '@dbvae/backend';
import { fitLinearSvm, fitLogisticRegression, GanDebiasError, linearAccuracy, normalizeLinear, type Matrix } from '../src/index';

function blobs(n: number, d: number, shift: number, seed: number): { z: Matrix; y: Uint8Array } {
  const rng = createRandom(seed);
  const data = new Float64Array(n * d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let j = 0; j < d; j++) data[i * d + j] = rng.normal() + (j === 0 ? (y[i] ? shift : -shift) : 0) + 0.3;
  }
  return { z: { data, rows: n, cols: d }, y };
}

// Independent objectives, written from the definitions.
function hingeObjective(z: Matrix, y: Uint8Array, w: Float64Array, b: number, C: number, bias: number): number {
  // liblinear form: the intercept is a weight on a constant feature `bias`, penalised like w
  const wb = b / bias;
  let f = 0.5 * (w.reduce((a, v) => a + v * v, 0) + wb * wb);
  for (let i = 0; i < z.rows; i++) {
    let s = b;
    for (let j = 0; j < z.cols; j++) s += w[j]! * z.data[i * z.cols + j]!;
    f += C * Math.max(0, 1 - (y[i] ? 1 : -1) * s);
  }
  return f;
}
function logisticObjective(z: Matrix, y: Uint8Array, w: Float64Array, b: number, C: number): number {
  let f = 0.5 * w.reduce((a, v) => a + v * v, 0);
  for (let i = 0; i < z.rows; i++) {
    let s = b;
    for (let j = 0; j < z.cols; j++) s += w[j]! * z.data[i * z.cols + j]!;
    f += C * Math.log(1 + Math.exp(-(y[i] ? 1 : -1) * s));
  }
  return f;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('fitLinearSvm', () => {
  it('reaches the minimum of the hinge objective (no random perturbation improves it)', () => {
    const { z, y } = blobs(120, 4, 0.8, 1);
    const C = 0.5;
    const fit = fitLinearSvm(z, y, { C, loss: 'hinge', normalize: false, tol: 1e-6, maxIterations: 5000, seed: 3 });
    expect(fit.converged).toBe(true);
    const f0 = hingeObjective(z, y, fit.w, fit.b, C, 1);
    const rng = createRandom(9);
    for (let trial = 0; trial < 200; trial++) {
      const eps = 1e-3;
      const w = fit.w.map((v) => v + eps * rng.normal());
      const b = fit.b + eps * rng.normal();
      expect(hingeObjective(z, y, w, b, C, 1)).toBeGreaterThanOrEqual(f0 - 1e-6);
    }
  });

  it('normalises to |w| = 1 without changing predictions, and separates separable data', () => {
    const { z, y } = blobs(200, 6, 4, 2);
    const raw = fitLinearSvm(z, y, { normalize: false });
    const unit = fitLinearSvm(z, y);
    const norm = Math.hypot(...raw.w);
    expect(Math.hypot(...unit.w)).toBeCloseTo(1, 12);
    expect(unit.b).toBeCloseTo(raw.b / norm, 10);
    expect(linearAccuracy(unit, z, y)).toBe(1);
  });

  it('rejects one-class labels, bad labels and bad options', () => {
    const { z } = blobs(10, 2, 1, 3);
    expect(() => fitLinearSvm(z, new Uint8Array(10))).toThrow(InvalidArgumentError);
    expect(() => fitLinearSvm(z, new Array(10).fill(2))).toThrow(InvalidArgumentError);
    expect(() => fitLinearSvm(z, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1], { C: -1 })).toThrow(InvalidArgumentError);
    expect(() => normalizeLinear({ w: new Float64Array(3), b: 1 })).toThrow(GanDebiasError);
  });
});

describe('fitLogisticRegression', () => {
  it('reaches a stationary point of the regularised log-loss (finite differences)', () => {
    const { z, y } = blobs(150, 3, 0.7, 4);
    const C = 2;
    const fit = fitLogisticRegression(z, y, { C, normalize: false, tol: 1e-9 });
    expect(fit.converged).toBe(true);
    const theta = [...fit.w, fit.b];
    const h = 1e-5;
    for (let p = 0; p < theta.length; p++) {
      const up = theta.slice();
      const dn = theta.slice();
      up[p]! += h;
      dn[p]! -= h;
      const fu = logisticObjective(z, y, Float64Array.from(up.slice(0, 3)), up[3]!, C);
      const fd = logisticObjective(z, y, Float64Array.from(dn.slice(0, 3)), dn[3]!, C);
      expect(Math.abs((fu - fd) / (2 * h))).toBeLessThan(1e-4);
    }
    expect(linearAccuracy(fit, z, y)).toBeGreaterThan(0.7);
  });
});
