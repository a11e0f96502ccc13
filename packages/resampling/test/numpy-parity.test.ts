import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, tf } from '@dbvae/backend';
import { samplingWeights, type CombineRule } from '@dbvae/resampling';

interface ParityCase {
  dtype: 'float32' | 'float64';
  bins: number;
  alpha: number;
  max: number[];
  product: number[];
}
interface ParityFixture {
  numpy: string;
  shape: [number, number];
  latents: number[];
  cases: ParityCase[];
}

const fixturesDir = fileURLToPath(new URL('./fixtures/', import.meta.url));
const checkedIn = JSON.parse(readFileSync(join(fixturesDir, 'parity-fixture.json'), 'utf8')) as ParityFixture;

/** Reruns the NumPy script when /usr/bin/python3 has numpy; undefined otherwise. */
function regenerate(): ParityFixture | undefined {
  const python = '/usr/bin/python3';
  if (!existsSync(python) || spawnSync(python, ['-c', 'import numpy'], { encoding: 'utf8' }).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'resampling-parity-'));
  try {
    const out = join(dir, 'fixture.json');
    const r = spawnSync(python, [join(fixturesDir, 'make_fixture.py'), out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(readFileSync(out, 'utf8')) as ParityFixture;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fresh = regenerate();
const fixture = fresh ?? checkedIn;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const err = Math.abs(actual[i]! - e) / Math.abs(e);
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
  }
  return worst;
}

describe(`parity with the lab's NumPy rule (${fresh ? `regenerated with NumPy ${fresh.numpy}` : 'checked-in fixture'})`, () => {
  it.runIf(fresh !== undefined)('the checked-in fixture matches a fresh run of make_fixture.py', () => {
    expect(fresh!.latents).toEqual(checkedIn.latents);
    for (const [c, ref] of fresh!.cases.map((c, i) => [c, checkedIn.cases[i]!] as const)) {
      expect(maxRelError(c.max, ref.max)).toBeLessThan(1e-12);
      expect(maxRelError(c.product, ref.product)).toBeLessThan(1e-12);
    }
  });

  for (const c of fixture.cases) {
    for (const combine of ['max', 'product'] as CombineRule[]) {
      it(`${combine} rule, ${c.dtype} latents, bins ${c.bins}, alpha ${c.alpha}: agrees to 1e-9`, () => {
        const data = c.dtype === 'float32' ? Float32Array.from(fixture.latents) : Float64Array.from(fixture.latents);
        const p = samplingWeights(data, { shape: fixture.shape, bins: c.bins, alpha: c.alpha, combine });
        expect(maxRelError(p, c[combine])).toBeLessThan(1e-9);
      });
    }
  }

  it('a float32 Tensor2D agrees with NumPy on the float32 fixture', () => {
    const c = fixture.cases.find((x) => x.dtype === 'float32' && x.bins === 10 && x.alpha === 0.001)!;
    const t = tf.tensor2d(fixture.latents, fixture.shape);
    expect(maxRelError(samplingWeights(t, { bins: 10, alpha: 0.001, combine: 'max' }), c.max)).toBeLessThan(1e-9);
    t.dispose();
  });
});
