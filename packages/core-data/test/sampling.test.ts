import { describe, it, expect } from 'vitest';
import { createRandom, InvalidArgumentError } from '@dbvae/backend';
import { normalizeProbabilities, sampleUniformWithoutReplacement, sampleWithoutReplacement } from '@dbvae/core-data';

/** Exact inclusion probabilities of successive sampling of k items, by enumerating ordered draws. */
function exactInclusion(w: number[], k: number): number[] {
  const total = w.reduce((a, b) => a + b, 0);
  const p = w.map((v) => v / total);
  const incl = new Array<number>(w.length).fill(0);
  const rec = (taken: number[], prob: number, remaining: number): void => {
    if (taken.length === k) {
      for (const t of taken) incl[t] = (incl[t] as number) + prob;
      return;
    }
    for (let i = 0; i < p.length; i++) {
      if (taken.includes(i) || p[i] === 0) continue;
      rec([...taken, i], (prob * (p[i] as number)) / remaining, remaining - (p[i] as number));
    }
  };
  rec([], 1, 1);
  return incl;
}

describe('sampleWithoutReplacement', () => {
  it('matches the exact inclusion probabilities of successive sampling', () => {
    const w = [5, 1, 2, 0, 0.5, 3];
    for (const k of [1, 2, 3]) {
      const exact = exactInclusion(w, k);
      const trials = 20000;
      const counts = new Array<number>(w.length).fill(0);
      const rng = createRandom(17 + k);
      for (let t = 0; t < trials; t++) {
        for (const i of sampleWithoutReplacement(w, k, rng)) counts[i] = (counts[i] as number) + 1;
      }
      for (let i = 0; i < w.length; i++) {
        const pi = exact[i] as number;
        const f = (counts[i] as number) / trials;
        const sd = Math.sqrt((pi * (1 - pi)) / trials);
        expect(Math.abs(f - pi), `item ${i}, k=${k}: freq ${f} vs exact ${pi}`).toBeLessThanOrEqual(5 * sd + 1e-12);
      }
      expect(exact.reduce((a, b) => a + b, 0)).toBeCloseTo(k, 10);
    }
  });

  it('draw order follows successive sampling: first draw is proportional to the weights', () => {
    const w = [1, 2, 3, 4];
    const rng = createRandom(3);
    const first = [0, 0, 0, 0];
    const trials = 20000;
    for (let t = 0; t < trials; t++) {
      const d = sampleWithoutReplacement(w, 3, rng, { order: 'draw' });
      first[d[0] as number] = (first[d[0] as number] as number) + 1;
    }
    for (let i = 0; i < 4; i++) {
      const p = (w[i] as number) / 10;
      expect(Math.abs((first[i] as number) / trials - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / trials));
    }
  });

  it('returns distinct, sorted indices and never draws zero weights', () => {
    const n = 1000;
    const w = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1 + (i % 7)));
    const rng = createRandom(5);
    for (let t = 0; t < 50; t++) {
      const s = sampleWithoutReplacement(w, 200, rng);
      expect(new Set(s).size).toBe(200);
      for (let i = 1; i < s.length; i++) expect(s[i]).toBeGreaterThan(s[i - 1] as number);
      for (const i of s) expect(i % 3).not.toBe(0);
    }
    // all positive items when k equals their number
    const all = sampleWithoutReplacement(w, w.filter((v) => v > 0).length, rng);
    expect(Array.from(all)).toEqual(w.flatMap((v, i) => (v > 0 ? [i] : [])));
  });

  it('is deterministic under a seed', () => {
    const w = Array.from({ length: 500 }, (_, i) => 1 + Math.sin(i) ** 2);
    const a = sampleWithoutReplacement(w, 40, createRandom(9), { order: 'draw' });
    const b = sampleWithoutReplacement(w, 40, createRandom(9), { order: 'draw' });
    const c = sampleWithoutReplacement(w, 40, createRandom(10), { order: 'draw' });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('validates weights and k', () => {
    const rng = createRandom(1);
    expect(() => sampleWithoutReplacement([1, -1, 2], 1, rng)).toThrow(InvalidArgumentError);
    expect(() => sampleWithoutReplacement([1, NaN], 1, rng)).toThrow(InvalidArgumentError);
    expect(() => sampleWithoutReplacement([1, Infinity], 1, rng)).toThrow(InvalidArgumentError);
    expect(() => sampleWithoutReplacement([0, 0], 1, rng)).toThrow(/positive/);
    expect(() => sampleWithoutReplacement([1, 0, 1], 3, rng)).toThrow(/number of positive weights \(2\)/);
    expect(() => sampleWithoutReplacement([1, 1], 1.5, rng)).toThrow(InvalidArgumentError);
    expect(() => normalizeProbabilities([1, 2], 3)).toThrow(/length 3/);
    expect(Array.from(normalizeProbabilities([1, 3]))).toEqual([0.25, 0.75]);
    expect(sampleWithoutReplacement([1, 2], 0, rng).length).toBe(0);
    // tiny (subnormal) weights still work and keep their proportions' support
    expect(Array.from(sampleWithoutReplacement([1e-320, 0, 3e-320], 2, rng))).toEqual([0, 2]);
    let third = 0;
    for (let t = 0; t < 4000; t++) third += sampleWithoutReplacement([1e-320, 0, 3e-320], 1, rng)[0] === 2 ? 1 : 0;
    expect(Math.abs(third / 4000 - 0.75)).toBeLessThan(5 * Math.sqrt((0.75 * 0.25) / 4000));
  });

  it('uniform sampling without replacement has equal inclusion frequencies', () => {
    const rng = createRandom(2);
    const counts = new Array<number>(10).fill(0);
    const trials = 10000;
    for (let t = 0; t < trials; t++) for (const i of sampleUniformWithoutReplacement(10, 3, rng)) counts[i] = (counts[i] as number) + 1;
    const sd = Math.sqrt((0.3 * 0.7) / trials);
    for (const c of counts) expect(Math.abs(c / trials - 0.3)).toBeLessThan(5 * sd);
  });
});
