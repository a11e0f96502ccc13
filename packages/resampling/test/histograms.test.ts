import { describe, it, expect, beforeAll } from 'vitest';
import { initBackend, InvalidArgumentError, ShapeError, createRandom, tf } from '@dbvae/backend';
import { latentHistograms } from '@dbvae/resampling';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('latentHistograms', () => {
  it('bins a hand-computed column: equal widths over [min, max], density = count / (n * width)', () => {
    // [0, 3] in 2 bins: edges 0, 1.5, 3; counts 2 and 2; density 2 / (4 * 1.5) = 1/3.
    const h = latentHistograms(new Float64Array([0, 1, 2, 3]), { shape: [4, 1], bins: 2 });
    expect(Array.from(h.edges)).toEqual([0, 1.5, 3]);
    expect(Array.from(h.counts)).toEqual([2, 2]);
    expect(h.density[0]).toBeCloseTo(1 / 3, 15);
    expect(h.density[1]).toBeCloseTo(1 / 3, 15);
    expect(Array.from(h.binIndex)).toEqual([0, 0, 1, 1]);
  });

  it('puts a value on an interior edge in the upper bin and the maximum in the last bin (digitize with open outer edges)', () => {
    const h = latentHistograms(new Float64Array([0, 1, 2]), { shape: [3, 1], bins: 2 });
    expect(Array.from(h.binIndex)).toEqual([0, 1, 1]);
    expect(Array.from(h.counts)).toEqual([1, 2]);
    // Density integrates to one over the range: sum density * width = 1.
    expect(h.density[0]! * 1 + h.density[1]! * 1).toBeCloseTo(1, 15);
  });

  it('handles k columns of a row-major matrix independently', () => {
    // Column 0: [0, 0, 0, 1]; column 1: [5, 7, 7, 7].
    const h = latentHistograms(new Float64Array([0, 5, 0, 7, 0, 7, 1, 7]), { shape: [4, 2], bins: 2 });
    expect(Array.from(h.counts)).toEqual([3, 1, 1, 3]);
    expect(Array.from(h.binIndex)).toEqual([0, 0, 0, 1, 0, 1, 1, 1]);
    expect(h.density[0]).toBeCloseTo(3 / (4 * 0.5), 15);
    expect(h.density[2]).toBeCloseTo(1 / (4 * 1), 15);
  });

  it('flags a constant dimension as uniform and bins it over [c - 0.5, c + 0.5] without NaN', () => {
    const h = latentHistograms(new Float32Array([2, 2, 2, 2]), { shape: [4, 1], bins: 10 });
    expect(h.uniform[0]).toBe(1);
    expect(h.edges[0]).toBe(1.5);
    expect(h.edges[10]).toBe(2.5);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(4);
    for (const d of h.density) expect(Number.isFinite(d)).toBe(true);
  });

  it('flags a float64 range of one ulp (zero-width bins, where NumPy gives NaN) as uniform', () => {
    const next = 1 + 2 ** -52; // the float64 after 1
    const h = latentHistograms(new Float64Array([1, next, 1, next]), { shape: [4, 1], bins: 10 });
    expect(h.uniform[0]).toBe(1);
    for (const d of h.density) expect(Number.isFinite(d)).toBe(true);
    // A float32 range of one float32 ulp is resolvable in float64, where the edges live.
    const f32next = 1 + 2 ** -23;
    const h32 = latentHistograms(new Float32Array([1, f32next, 1, f32next]), { shape: [4, 1], bins: 10 });
    expect(h32.uniform[0]).toBe(0);
    expect(Array.from(h32.counts)).toEqual([2, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
  });

  it('computes float64 edges for float32 input, as the lab\'s NumPy code on float64 latents', () => {
    const data = new Float32Array([0, 0.1, 0.7, 1]);
    const h = latentHistograms(data, { shape: [4, 1], bins: 3 });
    // linspace(0, 1, 4) in float64: 1/3 and 2/3 (not their float32 roundings).
    expect(Array.from(h.edges)).toEqual([0, 1 / 3, 2 * (1 / 3), 1]);
    expect(h.density[1]).toBe(0 / (2 * (1 / 3) - 1 / 3) / 4);
    expect(h.density[0]).toBe(2 / (1 / 3) / 4);
  });

  it('assigns every value exactly by its edges, also with offsets, ties on edges and float32 rounding', () => {
    // Brute force: the bin is the last b with edges[b] <= x (outer edges open), checked on data
    // built to stress the fast estimate: large offsets, tiny ranges, values on the edges.
    const rng = createRandom(5);
    for (const [offset, spread, float32] of [[0, 1, true], [1000, 0.01, true], [-3e4, 5, true], [1e6, 1e-3, false], [0.5, 1e-9, false], [0, 1, false]] as const) {
      const n = 400;
      const bins = 7;
      const raw = new Float64Array(n);
      for (let i = 0; i < n; i++) raw[i] = offset + spread * (rng.int(3) === 0 ? Math.round(rng.next() * 14) / 14 : rng.next());
      const data = float32 ? Float32Array.from(raw) : raw;
      const h = latentHistograms(data, { shape: [n, 1], bins });
      if (h.uniform[0] === 1) continue;
      // Put some samples exactly on interior edges (then re-bin).
      const onEdges = Float64Array.from(data);
      for (let b = 1; b < bins; b++) onEdges[b] = h.edges[b]!;
      const cases = [data, float32 ? Float32Array.from(onEdges) : onEdges];
      for (const values of cases) {
        const g = latentHistograms(values, { shape: [n, 1], bins });
        const counts = new Array(bins).fill(0);
        for (let i = 0; i < n; i++) {
          let expected = 0;
          for (let b = 1; b < bins; b++) if (values[i]! >= g.edges[b]!) expected = b;
          expect(g.binIndex[i]).toBe(expected);
          counts[expected]++;
        }
        expect(Array.from(g.counts)).toEqual(counts);
      }
    }
  });

  it('uses a narrow index type for few bins and a wide one for many', () => {
    const data = new Float64Array([0, 1, 2, 3]);
    expect(latentHistograms(data, { shape: [4, 1], bins: 10 }).binIndex).toBeInstanceOf(Uint8Array);
    const wide = latentHistograms(data, { shape: [4, 1], bins: 1000 });
    expect(wide.binIndex).toBeInstanceOf(Uint16Array);
    expect(Array.from(wide.binIndex)).toEqual([0, 333, 666, 999]);
  });

  it('validates its input', () => {
    expect(() => latentHistograms(new Float64Array([1, NaN]), { shape: [2, 1] })).toThrow(InvalidArgumentError);
    expect(() => latentHistograms(new Float64Array([1, Infinity]), { shape: [2, 1] })).toThrow(/finite/);
    expect(() => latentHistograms(new Float64Array([1, 2, 3]), { shape: [2, 2] })).toThrow(ShapeError);
    expect(() => latentHistograms(new Float64Array([1, 2]))).toThrow(ShapeError);
    expect(() => latentHistograms(new Float64Array([]), { shape: [0, 3] })).toThrow(ShapeError);
    expect(() => latentHistograms(new Float64Array([1, 2]), { shape: [2, 1], bins: 0 })).toThrow(InvalidArgumentError);
    expect(() => latentHistograms(new Float64Array([-1.5e308, 1.5e308]), { shape: [2, 1] })).toThrow(/overflows/);
    const t = tf.zeros([2, 2, 2]);
    expect(() => latentHistograms(t as unknown as tf.Tensor2D)).toThrow(ShapeError);
    t.dispose();
  });
});
