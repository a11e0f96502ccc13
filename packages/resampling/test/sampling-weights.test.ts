import { describe, it, expect, beforeAll } from 'vitest';
import { initBackend, InvalidArgumentError, ShapeError, createRandom, tf } from '@dbvae/backend';
import { expectAllClose, expectNoTensorLeaks, fixtureValues } from '@dbvae/test-utils';
import { samplingWeights, latentHistograms, weightsFromHistograms, type CombineRule } from '@dbvae/resampling';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const rules: CombineRule[] = ['max', 'product'];

function expectDistribution(p: Float64Array, n: number): void {
  expect(p.length).toBe(n);
  let sum = 0;
  for (const v of p) {
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThanOrEqual(0);
    sum += v;
  }
  expect(sum).toBeCloseTo(1, 12);
}

describe('samplingWeights: hand-computed cases', () => {
  // One dimension x = [0, 0, 0, 1], 2 bins: widths 0.5, counts [3, 1], densities [1.5, 0.5].
  const x = new Float64Array([0, 0, 0, 1]);

  it('alpha 0: weights proportional to 1 / density, for both rules', () => {
    // 1 / 1.5 : 1 / 0.5 = 1 : 3 -> [1/6, 1/6, 1/6, 1/2].
    for (const combine of rules) {
      expectAllClose(samplingWeights(x, { shape: [4, 1], bins: 2, alpha: 0, combine }), [1 / 6, 1 / 6, 1 / 6, 1 / 2], 1e-14);
    }
  });

  it('alpha 0.5: weights proportional to 1 / (density + alpha)', () => {
    // 1 / 2 : 1 / 1 -> [0.2, 0.2, 0.2, 0.4].
    for (const combine of rules) {
      expectAllClose(samplingWeights(x, { shape: [4, 1], bins: 2, alpha: 0.5, combine }), [0.2, 0.2, 0.2, 0.4], 1e-14);
    }
  });

  it('two dimensions: the max rule and the product rule differ as computed by hand', () => {
    // Column 0 = [0, 0, 0, 1], column 1 = [1, 1, 1, 0]: sample 3 is alone in both.
    const z = new Float64Array([0, 1, 0, 1, 0, 1, 1, 0]);
    // Per column, normalised inverse density: [1/6, 1/6, 1/6, 1/2]; max over columns is the same; normalised.
    expectAllClose(samplingWeights(z, { shape: [4, 2], bins: 2, alpha: 0, combine: 'max' }), [1 / 6, 1 / 6, 1 / 6, 1 / 2], 1e-14);
    // Product: (2/3)^2 : 2^2 = 4/9 : 4, total 16/3 -> [1/12, 1/12, 1/12, 3/4].
    expectAllClose(samplingWeights(z, { shape: [4, 2], bins: 2, alpha: 0, combine: 'product' }), [1 / 12, 1 / 12, 1 / 12, 3 / 4], 1e-14);
  });

  it('the max rule takes each sample\'s largest per-dimension weight', () => {
    // Column 0 = [0, 0, 0, 1] -> [1/6, 1/6, 1/6, 1/2]; column 1 = [0, 1, 1, 1] -> [1/2, 1/6, 1/6, 1/6].
    // Max: [1/2, 1/6, 1/6, 1/2], sum 4/3 -> [3/8, 1/8, 1/8, 3/8].
    const z = new Float64Array([0, 0, 0, 1, 0, 1, 1, 1]);
    expectAllClose(samplingWeights(z, { shape: [4, 2], bins: 2, alpha: 0, combine: 'max' }), [3 / 8, 1 / 8, 1 / 8, 3 / 8], 1e-14);
  });

  it('uses the lab defaults (10 bins, alpha 0.001, max) when options are omitted', () => {
    const z = Float64Array.from(fixtureValues(300, 3));
    const implicit = samplingWeights(z, { shape: [100, 3] });
    const explicit = samplingWeights(z, { shape: [100, 3], bins: 10, alpha: 0.001, combine: 'max' });
    expect(Array.from(implicit)).toEqual(Array.from(explicit));
  });
});

describe('samplingWeights: properties', () => {
  it('returns finite, non-negative weights summing to 1 on random latents', () => {
    for (const [n, k] of [[1, 1], [2, 3], [97, 5], [500, 20]] as const) {
      const z = fixtureValues(n * k, n + k);
      for (const combine of rules) {
        for (const alpha of [0, 0.001, 1, 1e6, 1e305]) expectDistribution(samplingWeights(z, { shape: [n, k], alpha, combine }), n);
      }
    }
  });

  it('gives a sample alone in a sparse bin more weight than one in a dense bin', () => {
    const rng = createRandom(7);
    const n = 200;
    const z = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      z[2 * i] = rng.normal() * 0.1;
      z[2 * i + 1] = rng.normal() * 0.1;
    }
    z[0] = 5; // sample 0: an outlier in dimension 0
    for (const combine of rules) {
      const p = samplingWeights(z, { shape: [n, 2], combine });
      const others = Array.from(p.subarray(1));
      expect(p[0]!).toBeGreaterThan(Math.max(...others));
    }
  });

  it('gives uniform weights for identical latents, with no NaN', () => {
    const z = new Float32Array(50 * 4).fill(0.3);
    for (const combine of rules) expectAllClose(samplingWeights(z, { shape: [50, 4], combine }), new Float64Array(50).fill(1 / 50), 1e-14);
  });

  it('lets a constant dimension contribute uniformly', () => {
    // Adding a constant column changes nothing under the product rule (a constant factor), and
    // under the max rule only adds 1/n to each maximum.
    const n = 60;
    const base = fixtureValues(n * 2, 11);
    const withConst = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      withConst[3 * i] = base[2 * i]!;
      withConst[3 * i + 1] = 4.5;
      withConst[3 * i + 2] = base[2 * i + 1]!;
    }
    const pBase = samplingWeights(Float64Array.from(base), { shape: [n, 2], combine: 'product' });
    expectAllClose(samplingWeights(withConst, { shape: [n, 3], combine: 'product' }), pBase, 1e-12);
    // Max rule: reference from the per-dimension weights of the base, maxed with 1/n.
    const h = latentHistograms(Float64Array.from(base), { shape: [n, 2] });
    const perDim = [0, 1].map((j) => {
      const w = Array.from({ length: n }, (_, i) => 1 / (h.density[j * 10 + h.binIndex[i * 2 + j]!]! + 0.001));
      const s = w.reduce((a, b) => a + b, 0);
      return w.map((v) => v / s);
    });
    const m = Array.from({ length: n }, (_, i) => Math.max(perDim[0]![i]!, perDim[1]![i]!, 1 / n));
    const ms = m.reduce((a, b) => a + b, 0);
    expectAllClose(samplingWeights(withConst, { shape: [n, 3], combine: 'max' }), m.map((v) => v / ms), 1e-12);
  });

  it('alpha = Infinity gives exactly uniform weights; growing alpha moves towards uniform', () => {
    const n = 300;
    const z = fixtureValues(n * 4, 5);
    for (const combine of rules) {
      expect(Array.from(samplingWeights(z, { shape: [n, 4], alpha: Infinity, combine }))).toEqual(new Array(n).fill(1 / n));
      let previous = Infinity;
      for (const alpha of [0, 0.01, 0.1, 1, 10, 1e4]) {
        const p = samplingWeights(z, { shape: [n, 4], alpha, combine });
        const spread = Math.max(...p) - Math.min(...p);
        expect(spread).toBeLessThanOrEqual(previous);
        previous = spread;
      }
      expect(previous).toBeLessThan(1e-6);
    }
  });

  it('product rule: log space equals the direct product where it does not underflow', () => {
    const n = 120;
    const k = 6;
    const z = Float64Array.from(fixtureValues(n * k, 21));
    const alpha = 0.01;
    const h = latentHistograms(z, { shape: [n, k] });
    const direct = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let w = 1;
      for (let j = 0; j < k; j++) w *= 1 / (h.density[j * 10 + h.binIndex[i * k + j]!]! + alpha);
      direct[i] = w;
    }
    const s = direct.reduce((a, b) => a + b, 0);
    expectAllClose(samplingWeights(z, { shape: [n, k], alpha, combine: 'product' }), direct.map((v) => v / s), 1e-12);
  });

  it('product rule: stays finite over 100 dimensions where the direct product under- or overflows', () => {
    const n = 400;
    const k = 100;
    const z = Float64Array.from(fixtureValues(n * k, 8));
    const reference = samplingWeights(z, { shape: [n, k], alpha: 0, combine: 'product' });
    for (const scale of [2 ** -40, 2 ** 40]) {
      // Scaling by a power of two keeps every bin assignment and multiplies each density by
      // 1/scale; at alpha 0 the factor scale^k cancels, so the weights must not change.
      const scaled = z.map((v) => v * scale);
      const h = latentHistograms(scaled, { shape: [n, k] });
      let direct = 1;
      for (let j = 0; j < k; j++) direct *= 1 / h.density[j * 10 + h.binIndex[j]!]!;
      expect(direct === 0 || direct === Infinity).toBe(true); // the naive product breaks here
      const p = samplingWeights(scaled, { shape: [n, k], alpha: 0, combine: 'product' });
      expectDistribution(p, n);
      expectAllClose(p, reference, 1e-9);
    }
  });

  it('matches a naive reference over many column blocks (k = 37, float64)', () => {
    // Reference written directly from the lab's definition: per column, linspace edges,
    // brute-force bin search, density, smoothed inverse, normalised; then max or product.
    const n = 150;
    const k = 37;
    const bins = 6;
    const alpha = 0.02;
    const rng = createRandom(3);
    const z = new Float64Array(n * k);
    for (let t = 0; t < n * k; t++) z[t] = (t % k) + rng.normal() * (1 + (t % 5));
    const perDim: number[][] = [];
    const logs = new Array(n).fill(0);
    for (let j = 0; j < k; j++) {
      const col = Array.from({ length: n }, (_, i) => z[i * k + j]!);
      const lo = Math.min(...col);
      const hi = Math.max(...col);
      const edges = Array.from({ length: bins + 1 }, (_, b) => (b === bins ? hi : b * ((hi - lo) / bins) + lo));
      const bin = col.map((x) => {
        let q = 0;
        for (let b = 1; b < bins; b++) if (x >= edges[b]!) q = b;
        return q;
      });
      const counts = new Array(bins).fill(0);
      for (const q of bin) counts[q]++;
      const dens = counts.map((c, b) => c / (edges[b + 1]! - edges[b]!) / n);
      const inv = bin.map((q) => 1 / (dens[q]! + alpha));
      const s = inv.reduce((a, b) => a + b, 0);
      perDim.push(inv.map((v) => v / s));
      bin.forEach((q, i) => (logs[i] -= Math.log(dens[q]! + alpha)));
    }
    const mx = Array.from({ length: n }, (_, i) => Math.max(...perDim.map((p) => p[i]!)));
    const ms = mx.reduce((a, b) => a + b, 0);
    expectAllClose(samplingWeights(z, { shape: [n, k], bins, alpha, combine: 'max' }), mx.map((v) => v / ms), 1e-12);
    const top = Math.max(...logs);
    const ex = logs.map((v) => Math.exp(v - top));
    const es = ex.reduce((a, b) => a + b, 0);
    expectAllClose(samplingWeights(z, { shape: [n, k], bins, alpha, combine: 'product' }), ex.map((v) => v / es), 1e-12);
  });

  it('weightsFromHistograms on precomputed histograms equals samplingWeights', () => {
    const z = fixtureValues(80 * 3, 4);
    const h = latentHistograms(z, { shape: [80, 3], bins: 7 });
    for (const combine of rules) {
      for (const alpha of [0, 0.1]) {
        expect(Array.from(weightsFromHistograms(h, { alpha, combine }))).toEqual(Array.from(samplingWeights(z, { shape: [80, 3], bins: 7, alpha, combine })));
      }
    }
  });
});

describe('samplingWeights: inputs', () => {
  it('gives the same weights for a Tensor2D as for its Float32Array', () => {
    const data = fixtureValues(40 * 3, 9);
    const t = tf.tensor2d(data, [40, 3]);
    for (const combine of rules) {
      expect(Array.from(samplingWeights(t, { combine }))).toEqual(Array.from(samplingWeights(data, { shape: [40, 3], combine })));
    }
    expect(Array.from(samplingWeights(t, { shape: [40, 3] }))).toEqual(Array.from(samplingWeights(data, { shape: [40, 3] })));
    t.dispose();
  });

  it('accepts an int32 tensor', () => {
    const t = tf.tensor2d([0, 0, 0, 1], [4, 1], 'int32');
    expectAllClose(samplingWeights(t, { bins: 2, alpha: 0 }), [1 / 6, 1 / 6, 1 / 6, 1 / 2], 1e-14);
    t.dispose();
  });

  it('leaks no tensors on the Tensor2D path', async () => {
    const t = tf.tensor2d(fixtureValues(64 * 4, 2), [64, 4]);
    await expectNoTensorLeaks(() => {
      samplingWeights(t, { combine: 'max' });
      samplingWeights(t, { combine: 'product' });
    }, 5);
    expect(t.isDisposed).toBe(false); // the caller's tensor is left alone
    t.dispose();
  });

  it('throws typed errors for bad input', () => {
    const ok = new Float32Array([0, 1, 2, 3]);
    expect(() => samplingWeights(ok, { shape: [3, 2] })).toThrow(ShapeError);
    expect(() => samplingWeights(ok)).toThrow(ShapeError);
    expect(() => samplingWeights(ok, { shape: [4, 0] as unknown as [number, number] })).toThrow(ShapeError);
    expect(() => samplingWeights(new Float32Array([0, NaN]), { shape: [2, 1] })).toThrow(InvalidArgumentError);
    expect(() => samplingWeights(new Float64Array([0, -Infinity]), { shape: [2, 1] })).toThrow(InvalidArgumentError);
    expect(() => samplingWeights(ok, { shape: [4, 1], bins: 0 })).toThrow(InvalidArgumentError);
    expect(() => samplingWeights(ok, { shape: [4, 1], bins: 2.5 })).toThrow(InvalidArgumentError);
    expect(() => samplingWeights(ok, { shape: [4, 1], alpha: -0.1 })).toThrow(InvalidArgumentError);
    expect(() => samplingWeights(ok, { shape: [4, 1], alpha: NaN })).toThrow(InvalidArgumentError);
    expect(() => samplingWeights(ok, { shape: [4, 1], combine: 'sum' as CombineRule })).toThrow(InvalidArgumentError);
    expect(() => samplingWeights([0, 1] as unknown as Float32Array, { shape: [2, 1] })).toThrow(InvalidArgumentError);
    const t = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    expect(() => samplingWeights(t, { shape: [4, 1] })).toThrow(ShapeError);
    t.dispose();
    expect(() => samplingWeights(t)).toThrow(/disposed/);
    const t1 = tf.tensor1d([1, 2, 3]);
    expect(() => samplingWeights(t1 as unknown as tf.Tensor2D)).toThrow(ShapeError);
    t1.dispose();
  });
});
