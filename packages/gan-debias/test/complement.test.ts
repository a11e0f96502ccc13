import { describe, it, expect, beforeAll } from 'vitest';
import { tf, createRandom, initBackend, InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { complementLatents, GanDebiasError, linearScores, normalizeLinear, type LinearClassifier } from '../src/index';

function randomUnit(d: number, seed: number, b: number): LinearClassifier {
  const rng = createRandom(seed);
  return normalizeLinear({ w: Float64Array.from({ length: d }, () => rng.normal()), b });
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('complementLatents', () => {
  const d = 16;
  const n = 50;
  const rng = createRandom(3);
  const z = { data: Float64Array.from({ length: n * d }, () => 2 * rng.normal()), rows: n, cols: d };
  const ht = randomUnit(d, 10, 0.4);
  const hg = randomUnit(d, 11, -0.7);

  it("keeps w_t.z + b_t and negates w_g.z + b_g (mode 'complement')", () => {
    const zp = complementLatents(z, ht, hg);
    const st = linearScores(ht, z);
    const sg = linearScores(hg, z);
    const stp = linearScores(ht, zp);
    const sgp = linearScores(hg, zp);
    for (let i = 0; i < n; i++) {
      expect(Math.abs(stp[i]! - st[i]!)).toBeLessThan(1e-12);
      expect(Math.abs(sgp[i]! + sg[i]!)).toBeLessThan(1e-12);
    }
  });

  it("projects onto the protected hyperplane (mode 'project') and reflects ignoring t (mode 'reflect')", () => {
    const st = linearScores(ht, z);
    const sg = linearScores(hg, z);
    const proj = complementLatents(z, ht, hg, { mode: 'project' });
    const refl = complementLatents(z, ht, hg, { mode: 'reflect' });
    let cos = 0;
    for (let j = 0; j < d; j++) cos += ht.w[j]! * hg.w[j]!;
    const sp = linearScores(hg, proj);
    const tp = linearScores(ht, proj);
    const sr = linearScores(hg, refl);
    const tr = linearScores(ht, refl);
    for (let i = 0; i < n; i++) {
      expect(Math.abs(sp[i]!)).toBeLessThan(1e-12);
      expect(Math.abs(tp[i]! - st[i]!)).toBeLessThan(1e-12);
      expect(Math.abs(sr[i]! + sg[i]!)).toBeLessThan(1e-12);
      // reflection moves by -2 h_g(z) w_g, so the target score moves by -2 h_g(z) cos
      expect(Math.abs(tr[i]! - (st[i]! - 2 * sg[i]! * cos))).toBeLessThan(1e-12);
      // and it is the smallest such move: |z' - z| = 2 |h_g(z)|
      let dist = 0;
      for (let j = 0; j < d; j++) dist += (refl.data[i * d + j]! - z.data[i * d + j]!) ** 2;
      expect(Math.sqrt(dist)).toBeCloseTo(2 * Math.abs(sg[i]!), 10);
    }
  });

  it('accepts a tensor and matches the typed-array result', () => {
    const t = tf.tensor2d(Float32Array.from(z.data), [n, d]);
    const a = complementLatents(t, ht, hg);
    const b = complementLatents({ data: Float32Array.from(z.data), rows: n, cols: d }, ht, hg);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    t.dispose();
  });

  it('rejects parallel hyperplanes, non-unit weights, mismatched dims and non-finite latents', () => {
    expect(() => complementLatents(z, ht, { w: ht.w, b: 0 })).toThrow(GanDebiasError);
    expect(() => complementLatents(z, { w: ht.w.map((v) => 2 * v), b: 0 }, hg)).toThrow(InvalidArgumentError);
    expect(() => complementLatents({ data: new Float64Array(3), rows: 1, cols: 3 }, ht, hg)).toThrow(ShapeError);
    const bad = { data: Float64Array.from(z.data), rows: n, cols: d };
    bad.data[5] = Number.NaN;
    expect(() => complementLatents(bad, ht, hg)).toThrow(InvalidArgumentError);
    expect(() => complementLatents(z, ht, hg, { mode: 'x' as 'project' })).toThrow(InvalidArgumentError);
  });
});
