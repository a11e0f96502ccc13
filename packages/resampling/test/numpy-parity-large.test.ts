import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { latentHistograms, samplingWeights } from '@dbvae/resampling';

// Parity at the lab's scale: 100,000 x 100 skewed float32 latents, against the lab's NumPy code
// on the same values as float64 (make_large.py). Too large to check in, so it needs NumPy
// (Debian's python3-numpy) and is skipped, saying so, without it. The 200 x 8 fixture of
// numpy-parity.test.ts runs everywhere.

const python = '/usr/bin/python3';
const script = fileURLToPath(new URL('./fixtures/make_large.py', import.meta.url));
const hasNumpy = existsSync(python) && spawnSync(python, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
if (!hasNumpy) console.warn('numpy-parity-large: skipped, /usr/bin/python3 with NumPy not found (apt-get install python3-numpy)');

interface Reference {
  n: number;
  k: number;
  bins: number;
  alpha: number;
  latents: Float32Array;
  edges: Float64Array;
  density: Float64Array;
  binIndex: Uint8Array;
  max: Float64Array;
  product: Float64Array;
}

function load(): Reference {
  const dir = mkdtempSync(join(tmpdir(), 'resampling-parity-large-'));
  try {
    const r = spawnSync(python, [script, dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { n: number; k: number; bins: number; alpha: number };
    const bytes = (name: string) => {
      const b = readFileSync(join(dir, name));
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    };
    return {
      ...meta,
      latents: new Float32Array(bytes('latents.f32')),
      edges: new Float64Array(bytes('edges.f64')),
      density: new Float64Array(bytes('density.f64')),
      binIndex: new Uint8Array(bytes('bins.u8')),
      max: new Float64Array(bytes('max.f64')),
      product: new Float64Array(bytes('product.f64')),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function relErrors(actual: ArrayLike<number>, expected: ArrayLike<number>): { max: number; median: number } {
  expect(actual.length).toBe(expected.length);
  const errs = new Float64Array(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const err = actual[i] === e ? 0 : Math.abs(actual[i]! - e) / Math.abs(e); // empty bins: both 0
    errs[i] = Number.isNaN(err) ? Infinity : err;
  }
  errs.sort();
  return { max: errs[errs.length - 1]!, median: errs[errs.length >> 1]! };
}

describe.runIf(hasNumpy)('parity with NumPy at 100,000 x 100 float32 latents (taken as float64)', () => {
  const ref = hasNumpy ? load() : undefined;

  it('edges are linspace(min, max, bins + 1) in float64, bit for bit, and densities agree to 1e-15', () => {
    const { n, k, bins, latents } = ref!;
    const h = latentHistograms(latents, { shape: [n, k], bins });
    expect(relErrors(h.edges, ref!.edges).max).toBe(0);
    expect(relErrors(h.density, ref!.density).max).toBeLessThan(1e-15);
  });

  it('every sample lands in the bin NumPy puts it in', () => {
    const { n, k, bins, latents } = ref!;
    const h = latentHistograms(latents, { shape: [n, k], bins });
    let mismatches = 0;
    for (let i = 0; i < n * k; i++) if (h.binIndex[i] !== ref!.binIndex[i]) mismatches++;
    expect(mismatches).toBe(0);
  });

  it("the lab's max rule and the paper's product rule agree to 1e-12 relative", () => {
    const { n, k, bins, alpha, latents } = ref!;
    const max = samplingWeights(latents, { shape: [n, k], bins, alpha, combine: 'max' });
    expect(relErrors(max, ref!.max).max).toBeLessThan(1e-12);
    const product = samplingWeights(latents, { shape: [n, k], bins, alpha, combine: 'product' });
    // 100 log factors summed in a different order: rounding grows with the sum's size.
    const err = relErrors(product, ref!.product);
    expect(err.median).toBeLessThan(1e-12);
    expect(err.max).toBeLessThan(1e-9);
  });
});
