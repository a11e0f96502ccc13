import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, tf } from '@dbvae/backend';
import { biasReport, fitLinearSvm, histogramKl, latentWalk, scoreHistogramKl } from '../src/index';

interface Fit {
  w: number[];
  b: number;
}
interface KlCase {
  name: string;
  scores: number[];
  labels: number[];
  groups: number[];
  pos: [number, number];
  neg: [number, number];
  median: number;
}
interface WalkCase {
  changes: number[];
  covarianceRow: number[];
}
interface Fixture {
  numpy: string;
  gaussianFilter: string;
  svm: { rows: number; cols: number; z: number[]; t: number[]; g: number[]; fits: { labels: 't' | 'g'; C: number; squaredHinge: Fit; hinge: Fit }[] };
  kl: KlCase[];
  walk: { n: number; zDim: number; p: number; k: number; target: number; steps: number; stepSize: number; A: number[]; B: number[]; z0: number[]; cases: Record<string, WalkCase> };
}

const fixturesDir = fileURLToPath(new URL('./fixtures/', import.meta.url));
const checkedIn = JSON.parse(readFileSync(join(fixturesDir, 'parity-fixture.json'), 'utf8')) as Fixture;

/** Reruns make_fixture.py when /usr/bin/python3 has numpy; undefined otherwise. */
function regenerate(): Fixture | undefined {
  const python = '/usr/bin/python3';
  if (!existsSync(python) || spawnSync(python, ['-c', 'import numpy'], { encoding: 'utf8' }).status !== 0) {
    console.warn('gan-debias: /usr/bin/python3 with numpy not found; the parity tests use the checked-in fixture (install python3-numpy to regenerate it).');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'gan-debias-parity-'));
  try {
    const out = join(dir, 'fixture.json');
    const r = spawnSync(python, [join(fixturesDir, 'make_fixture.py'), out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(readFileSync(out, 'utf8')) as Fixture;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fresh = regenerate();
const fixture = fresh ?? checkedIn;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const angleDegrees = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return (Math.acos(Math.min(1, ab / Math.sqrt(aa * bb))) * 180) / Math.PI;
};

describe(`parity with independent NumPy references (${fresh ? `regenerated with NumPy ${fresh.numpy}, gaussian filter: ${fresh.gaussianFilter}` : 'checked-in fixture'})`, () => {
  it.runIf(fresh !== undefined)('the checked-in fixture matches a fresh run of make_fixture.py', () => {
    expect(fresh!.svm.z).toEqual(checkedIn.svm.z);
    fresh!.svm.fits.forEach((f, i) => expect(maxAbs(f.squaredHinge.w, checkedIn.svm.fits[i]!.squaredHinge.w)).toBeLessThan(1e-9));
    fresh!.kl.forEach((c, i) => expect(Math.abs(c.median - checkedIn.kl[i]!.median)).toBeLessThan(1e-12));
  });

  const { rows, cols } = fixture.svm;
  const z = { data: Float64Array.from(fixture.svm.z), rows, cols };
  for (const f of fixture.svm.fits) {
    it(`fitLinearSvm, squared hinge (LinearSVC's default), labels ${f.labels}, C ${f.C}: the optimum of NumPy's Newton solve`, () => {
      const fit = fitLinearSvm(z, fixture.svm[f.labels], { C: f.C, normalize: false, tol: 1e-8 });
      expect(fit.converged).toBe(true);
      expect(maxAbs(fit.w, f.squaredHinge.w)).toBeLessThan(1e-7);
      expect(Math.abs(fit.b - f.squaredHinge.b)).toBeLessThan(1e-7);
    });
    it(`fitLinearSvm, loss 'hinge', labels ${f.labels}, C ${f.C}: the optimum of NumPy's dual FISTA solve, not the squared hinge's`, () => {
      const fit = fitLinearSvm(z, fixture.svm[f.labels], { C: f.C, loss: 'hinge', normalize: false, tol: 1e-8, maxIterations: 50000 });
      expect(maxAbs(fit.w, f.hinge.w)).toBeLessThan(1e-5);
      expect(Math.abs(fit.b - f.hinge.b)).toBeLessThan(1e-5);
      // the two losses give clearly different normals on this data
      expect(angleDegrees(f.hinge.w, f.squaredHinge.w)).toBeGreaterThan(5);
    });
  }

  for (const c of fixture.kl) {
    it(`KL, original definition (${c.name}): per-class directional KLs and their median as the original code`, () => {
      const r = scoreHistogramKl(c.scores, c.labels, c.groups);
      const pos = r.perClass.find((p) => p.label === 1)!;
      const neg = r.perClass.find((p) => p.label === 0)!;
      expect(maxAbs([pos.kl01, pos.kl10, neg.kl01, neg.kl10], [...c.pos, ...c.neg])).toBeLessThan(1e-10);
      expect(Math.abs(r.kl - c.median)).toBeLessThan(1e-10);
      // the former definition is kept under its own name and differs
      const legacy = scoreHistogramKl(c.scores, c.labels, c.groups, { definition: 'shared-symmetric' });
      expect(Math.abs(legacy.kl - c.median)).toBeGreaterThan(0.05);
      const sel = (label: number, group: number): number[] => c.scores.filter((_, i) => c.labels[i] === label && c.groups[i] === group);
      const direct = histogramKl(sel(1, 0), sel(1, 1));
      expect(direct.ab).toBeCloseTo(c.pos[0], 10);
      expect(direct.ba).toBeCloseTo(c.pos[1], 10);
    });
  }

  for (const [name, ref] of Object.entries(fixture.walk.cases)) {
    const [gradient, record] = name.split('/') as ['accumulated' | 'fresh', 'before' | 'after'];
    it(`latentWalk, gradient '${gradient}', record '${record}-step': the notebook's loop in NumPy`, async () => {
      const w = fixture.walk;
      const A = tf.tensor2d(w.A, [w.zDim, w.p]);
      const B = tf.tensor2d(w.B, [w.p, w.k]);
      const z0 = tf.tensor2d(w.z0, [w.n, w.zDim]);
      const walk = await latentWalk(
        (zz) => tf.tanh(tf.matMul(zz, A)),
        (x) => tf.matMul(x as tf.Tensor2D, B),
        z0,
        { target: w.target, steps: w.steps, stepSize: w.stepSize, objective: 'mean', gradient, record: `${record}-step` },
      );
      tf.dispose([A, B, z0]);
      let scale = 0;
      for (const v of ref.changes) scale = Math.max(scale, Math.abs(v));
      expect(maxAbs(walk.changes, ref.changes) / scale).toBeLessThan(1e-4); // float32 walk against float64 NumPy
      const report = biasReport(walk, { topK: w.k - 1 });
      const row = Array.from({ length: w.k }, (_, j) => report.covariance.data[w.target * w.k + j]!);
      let cscale = 0;
      for (const v of ref.covarianceRow) cscale = Math.max(cscale, Math.abs(v));
      expect(maxAbs(row, ref.covarianceRow) / cscale).toBeLessThan(1e-4);
    });
  }

  it('the accumulated walk travels further than the fresh one (about steps / 2 times at the end)', () => {
    const c = fixture.walk.cases;
    const k = fixture.walk.k;
    const last = (ch: number[]): number => Math.abs(ch[(fixture.walk.steps - 1) * fixture.walk.n * k + fixture.walk.target]!);
    expect(last(c['accumulated/after']!.changes)).toBeGreaterThan(1.5 * last(c['fresh/after']!.changes));
  });
});

