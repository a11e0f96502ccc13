import { describe, it, expect } from 'vitest';
import { createRandom, InvalidArgumentError } from '@dbvae/backend';
import { normalizeProbabilities, sampleUniformWithoutReplacement, sampleWithoutReplacement } from '@dbvae/core-data';
import { exponentialDrawsForTests } from '../src/exponential-draws';
import { setStartMarginForTests } from '../src/weighted-sampling';

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

/**
 * Exact mean and variance of the number of class-A items in a successive sample of k from nA
 * items of weight wA and nB of weight wB, by dynamic programming over the draws (independent
 * of the sampler's keys).
 */
function twoClassCount(nA: number, wA: number, nB: number, wB: number, k: number): { mean: number; sd: number } {
  let dist = new Float64Array(k + 2);
  let next = new Float64Array(k + 2);
  dist[0] = 1;
  for (let t = 0; t < k; t++) {
    next.fill(0, 0, t + 2);
    for (let a = 0; a <= t; a++) {
      const pr = dist[a] as number;
      if (pr === 0) continue;
      const massA = wA * (nA - a);
      const massB = wB * (nB - (t - a));
      const pA = massA / (massA + massB);
      next[a + 1] = (next[a + 1] as number) + pr * pA;
      next[a] = (next[a] as number) + pr * (1 - pA);
    }
    [dist, next] = [next, dist];
  }
  let mean = 0;
  let m2 = 0;
  for (let a = 0; a <= k; a++) {
    mean += a * (dist[a] as number);
    m2 += a * a * (dist[a] as number);
  }
  return { mean, sd: Math.sqrt(Math.max(m2 - mean * mean, 0)) };
}

/** Runs `fn` with the sparse path's starting surplus replaced (forces pruning or completion). */
function withMargin<T>(margin: (k: number) => number, fn: () => T): T {
  const prev = setStartMarginForTests(margin);
  try {
    return fn();
  } finally {
    setStartMarginForTests(prev);
  }
}

describe('sampleWithoutReplacement: sparse, dense and large paths', () => {
  // n = 20: k <= 2 takes the sparse path (exponential jumps from a start threshold), k >= 3 the dense one
  const w = [5, 1, 2, 0, 0.5, 3, 1, 1, 4, 0, 2, 2, 0.25, 6, 1, 3, 0.75, 1, 2, 0.5];
  const modes: Array<[string, (k: number) => number]> = [
    ['default start', (k) => 4 * Math.sqrt(k) + 8],
    ['too few candidates (completion above the start threshold)', () => -0.7],
    ['many candidates (buffer pruned)', () => 1000],
  ];
  for (const [label, margin] of modes) {
    it(`sparse path matches exact inclusion probabilities: ${label}`, () => {
      for (const k of [1, 2]) {
        const exact = exactInclusion(w, k);
        const trials = 20000;
        const counts = new Array<number>(w.length).fill(0);
        const rng = createRandom(100 + k);
        withMargin(margin, () => {
          for (let t = 0; t < trials; t++) for (const i of sampleWithoutReplacement(w, k, rng)) counts[i] = (counts[i] as number) + 1;
        });
        for (let i = 0; i < w.length; i++) {
          const pi = exact[i] as number;
          const sd = Math.sqrt((pi * (1 - pi)) / trials);
          expect(Math.abs((counts[i] as number) / trials - pi), `${label}, item ${i}, k=${k}`).toBeLessThanOrEqual(5 * sd + 1e-12);
        }
      }
    });
  }

  it('sparse path: the joint law of pairs (k = 2) matches successive sampling in every mode', () => {
    const total = w.reduce((a, b) => a + b, 0);
    const p = w.map((v) => v / total);
    const n = w.length;
    const pairIndex = (i: number, j: number): number => (i < j ? i * n + j : j * n + i);
    const exact = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const pi = p[i] as number;
        const pj = p[j] as number;
        if (pi > 0 && pj > 0) exact.set(pairIndex(i, j), (pi * pj) / (1 - pi) + (pj * pi) / (1 - pj));
      }
    }
    const trials = 40000;
    for (const [label, margin] of modes) {
      const counts = new Map<number, number>();
      const rng = createRandom(300);
      withMargin(margin, () => {
        for (let t = 0; t < trials; t++) {
          const s = sampleWithoutReplacement(w, 2, rng);
          const key = pairIndex(s[0] as number, s[1] as number);
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      });
      // chi-square over the pairs, cells with small expectations pooled
      let chi2 = 0;
      let cells = 0;
      let pooledExpected = 0;
      let pooledObserved = 0;
      for (const [key, prob] of exact) {
        const e = prob * trials;
        const o = counts.get(key) ?? 0;
        if (e < 10) {
          pooledExpected += e;
          pooledObserved += o;
        } else {
          chi2 += (o - e) ** 2 / e;
          cells++;
        }
      }
      if (pooledExpected > 0) {
        chi2 += (pooledObserved - pooledExpected) ** 2 / pooledExpected;
        cells++;
      }
      for (const key of counts.keys()) expect(exact.has(key), `${label}: impossible pair drawn`).toBe(true);
      // chi-square with cells - 1 degrees of freedom: mean df, sd sqrt(2 df); 5 sd above the mean
      const df = cells - 1;
      expect(chi2, `${label}: chi-square ${chi2.toFixed(1)} on ${df} df`).toBeLessThan(df + 5 * Math.sqrt(2 * df));
    }
  });

  it('sparse draw order: the first draw is proportional to the weights', () => {
    const rng = createRandom(8);
    const total = w.reduce((a, b) => a + b, 0);
    const first = new Array<number>(w.length).fill(0);
    const trials = 20000;
    for (let t = 0; t < trials; t++) {
      const d = sampleWithoutReplacement(w, 2, rng, { order: 'draw' });
      first[d[0] as number] = (first[d[0] as number] as number) + 1;
    }
    for (let i = 0; i < w.length; i++) {
      const p = (w[i] as number) / total;
      expect(Math.abs((first[i] as number) / trials - p)).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / trials) + 1e-12);
    }
  });

  // Large samples: two weight classes, where the exact law of the class-A count is a small DP.
  const cases: Array<[string, number, number, number, (k: number) => number]> = [
    ['dense, k = n / 2 (sample-bracketed selection over 10,000 keys)', 3000, 7000, 5000, (k) => 4 * Math.sqrt(k) + 8],
    ['sparse, k = 1,000 of 10,000', 3000, 7000, 1000, (k) => 4 * Math.sqrt(k) + 8],
    ['sparse, k = 2,500 of 40,000, pruned buffer of 5,016 (bracketed)', 12000, 28000, 2500, () => 20000],
    ['sparse, k = 1,000 of 10,000, completion path', 3000, 7000, 1000, (k) => -3 * Math.sqrt(k)],
  ];
  for (const [label, nA, nB, k, margin] of cases) {
    it(`class counts follow the exact successive-sampling law: ${label}`, () => {
      const n = nA + nB;
      // classes interleaved, so that neither sits at the start of the array
      const weights = new Float64Array(n);
      const isA = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        isA[i] = (i * 7) % 10 < (10 * nA) / n ? 1 : 0;
      }
      let countA = 0;
      for (let i = 0; i < n; i++) countA += isA[i] as number;
      expect(countA).toBe(nA);
      for (let i = 0; i < n; i++) weights[i] = isA[i] === 1 ? 3 : 1;
      const { mean, sd } = twoClassCount(nA, 3, nB, 1, k);
      const reps = 60;
      const rng = createRandom(k + nA);
      let total = 0;
      withMargin(margin, () => {
        for (let r = 0; r < reps; r++) {
          const s = sampleWithoutReplacement(weights, k, rng);
          expect(s.length).toBe(k);
          let increasing = true;
          for (let j = 1; j < k; j++) increasing &&= (s[j] as number) > (s[j - 1] as number);
          expect(increasing).toBe(true);
          for (const i of s) total += isA[i] as number;
        }
      });
      // mean of reps draws against the exact mean: 5 standard errors
      expect(Math.abs(total / reps - mean), `${label}: mean ${total / reps} vs exact ${mean} (sd ${sd})`).toBeLessThanOrEqual((5 * sd) / Math.sqrt(reps));
    });
  }

  it('draw order of large samples: the first m draws follow the exact law, and sort to the sorted sample', () => {
    const nA = 3000;
    const nB = 7000;
    const n = nA + nB;
    const weights = new Float64Array(n);
    const isA = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      isA[i] = (i * 7) % 10 < 3 ? 1 : 0;
      weights[i] = isA[i] === 1 ? 3 : 1;
    }
    for (const [k, m] of [
      [5000, 1000], // dense
      [1000, 200], // sparse
    ] as const) {
      const { mean, sd } = twoClassCount(nA, 3, nB, 1, m);
      const reps = 60;
      const rng = createRandom(77 + k);
      let total = 0;
      for (let r = 0; r < reps; r++) {
        const d = sampleWithoutReplacement(weights, k, rng, { order: 'draw' });
        for (let j = 0; j < m; j++) total += isA[d[j] as number] as number;
      }
      expect(Math.abs(total / reps - mean), `k=${k}: first ${m} draws hold ${total / reps} class-A items vs exact ${mean}`).toBeLessThanOrEqual((5 * sd) / Math.sqrt(reps));
      const d = sampleWithoutReplacement(weights, k, createRandom(5), { order: 'draw' });
      const sorted = sampleWithoutReplacement(weights, k, createRandom(5));
      expect(Array.from(d).sort((a, b) => a - b)).toEqual(Array.from(sorted));
    }
  });

  it('edge cases of large samples: k = n, k = number of positive weights, zero weights never drawn', () => {
    const n = 20000;
    const rng = createRandom(4);
    const ones = new Float64Array(n).fill(1);
    expect(Array.from(sampleWithoutReplacement(ones, n, rng))).toEqual(Array.from({ length: n }, (_, i) => i));
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) w[i] = i % 4 === 0 ? 0 : 1 + (i % 9);
    const positive = Array.from({ length: n }, (_, i) => i).filter((i) => i % 4 !== 0);
    expect(Array.from(sampleWithoutReplacement(w, positive.length, rng))).toEqual(positive);
    for (const k of [1, 50, 1500, 4000, 12000, 14999]) {
      for (const margin of [(kk: number) => 4 * Math.sqrt(kk) + 8, (kk: number) => -0.5 * kk, () => 5000]) {
        const s = withMargin(margin, () => sampleWithoutReplacement(w, k, rng));
        expect(s.length).toBe(k);
        expect(new Set(s).size).toBe(k);
        expect(s.some((i) => i % 4 === 0)).toBe(false);
        const d = withMargin(margin, () => sampleWithoutReplacement(w, k, rng, { order: 'draw' }));
        expect(new Set(d).size).toBe(k);
        expect(d.some((i) => i % 4 === 0)).toBe(false);
      }
    }
  });

  it('large samples repeat under a seed, on both paths', () => {
    const w = Float64Array.from({ length: 30000 }, (_, i) => 0.1 + ((i * 37) % 101));
    for (const k of [32, 3000, 20000]) {
      const a = sampleWithoutReplacement(w, k, createRandom(11), { order: 'draw' });
      const b = sampleWithoutReplacement(w, k, createRandom(11), { order: 'draw' });
      const c = sampleWithoutReplacement(w, k, createRandom(12), { order: 'draw' });
      expect(Array.from(a)).toEqual(Array.from(b));
      expect(Array.from(a)).not.toEqual(Array.from(c));
    }
  });
});

describe('the exponential source of the sampler', () => {
  /** Kolmogorov-Smirnov distance between a sample and a CDF. */
  function ksDistance(xs: Float64Array, cdf: (x: number) => number): number {
    const sorted = Float64Array.from(xs).sort();
    const n = sorted.length;
    let d = 0;
    for (let i = 0; i < n; i++) {
      const f = cdf(sorted[i] as number);
      d = Math.max(d, Math.abs(f - i / n), Math.abs(f - (i + 1) / n));
    }
    return d;
  }
  const n = 200000;
  const critical = 1.95 / Math.sqrt(n); // KS at the 0.1% level

  it('draws Exp(1) (ziggurat): KS distance and moments', () => {
    const xs = exponentialDrawsForTests(createRandom(21), n);
    expect(ksDistance(xs, (x) => 1 - Math.exp(-x))).toBeLessThan(critical);
    let m1 = 0;
    let m2 = 0;
    let tail = 0;
    for (const x of xs) {
      m1 += x;
      m2 += x * x;
      tail += x > 7.69711747013105 ? 1 : 0; // beyond the ziggurat's base strip
    }
    expect(Math.abs(m1 / n - 1)).toBeLessThan(5 / Math.sqrt(n)); // sd of the mean is 1/sqrt(n)
    expect(Math.abs(m2 / n - 2)).toBeLessThan(5 * Math.sqrt(20 / n)); // var of x^2 is 24 - 4 = 20
    const pTail = Math.exp(-7.69711747013105);
    expect(Math.abs(tail / n - pTail)).toBeLessThan(5 * Math.sqrt(pTail / n) + 1 / n);
  });

  it('draws Exp(1) conditioned below c, on both sides of c = 1', () => {
    for (const c of [0.05, 0.6, 1, 1.7, 6]) {
      const xs = exponentialDrawsForTests(createRandom(22), n, c);
      const z = 1 - Math.exp(-c);
      expect(ksDistance(xs, (x) => (1 - Math.exp(-x)) / z), `c = ${c}`).toBeLessThan(critical);
      expect(xs.reduce((a, b) => Math.max(a, b), 0)).toBeLessThan(c);
    }
  });
});
