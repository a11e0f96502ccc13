/**
 * Weighted sampling without replacement: `sampleWithoutReplacement` (Efraimidis-Spirakis
 * exponential keys: exponential jumps from a start threshold for k < n/8, every key plus a
 * linear-time selection above) against NumPy's `Generator.choice(n, k, replace=False, p=...)`
 * and the legacy `np.random.choice`, same n, k and weights. Both sides report the best of
 * several timing blocks (NumPy: `min(Timer.repeat(3, reps))`; ours: the best of 5 blocks),
 * since the machine is shared.
 *
 * Run: node --import tsx bench/core-data-sampling.ts
 */
import { spawnSync } from 'node:child_process';
import { createRandom } from '@dbvae/backend';
import { sampleWithoutReplacement } from '@dbvae/core-data';
import { findPython, printTable, saveSuiteResult } from './lib';

const N = 100_000;
const KS = [32, 1_000, 10_000, 50_000];

const weights = new Float64Array(N);
for (let i = 0; i < N; i++) weights[i] = 1 / (1 + (i % 97)) + (i % 13) * 0.01; // skewed, all positive

/** Seconds per call: best of `blocks` blocks of at least `seconds` / `blocks` each, after a warm-up. */
function bestPerCall(fn: () => unknown, seconds: number, blocks = 5): number {
  for (let i = 0; i < 20; i++) fn();
  let best = Infinity;
  for (let b = 0; b < blocks; b++) {
    let n = 0;
    const t0 = performance.now();
    while (n < 3 || performance.now() - t0 < (seconds * 1000) / blocks) {
      fn();
      n++;
    }
    best = Math.min(best, (performance.now() - t0) / 1000 / n);
  }
  return best;
}

const ours: Record<number, number> = {};
for (const k of KS) {
  const rng = createRandom(k);
  ours[k] = bestPerCall(() => sampleWithoutReplacement(weights, k, rng), 1.5);
}

interface NumpyTimes {
  numpy: string;
  generator: Record<string, number>;
  legacy: Record<string, number>;
}
let numpy: NumpyTimes | undefined;
const python = findPython('numpy');
if (python !== undefined) {
  const script = `
import json, timeit, numpy as np
N = ${N}
i = np.arange(N)
w = 1.0 / (1 + (i % 97)) + (i % 13) * 0.01
p = w / w.sum()
rng = np.random.default_rng(0)
out = {"numpy": np.__version__, "generator": {}, "legacy": {}}
for k in ${JSON.stringify(KS)}:
    for name, fn in (("generator", lambda: rng.choice(N, k, replace=False, p=p)), ("legacy", lambda: np.random.choice(N, k, replace=False, p=p))):
        fn()
        t = timeit.Timer(fn)
        reps, total = t.autorange()
        best = min(t.repeat(3, max(1, reps)))
        out[name][str(k)] = best / max(1, reps)
print(json.dumps(out))
`;
  const r = spawnSync(python, ['-c', script], { encoding: 'utf8' });
  if (r.status === 0) numpy = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as NumpyTimes;
  else console.warn(`NumPy reference failed: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
} else {
  console.warn('NumPy not found (tried /usr/bin/python3, python3): printing our timings only.');
}

const rows = KS.map((k) => {
  const g = numpy?.generator[String(k)];
  const l = numpy?.legacy[String(k)];
  const o = ours[k] as number;
  return {
    n: N,
    k,
    oursMs: o * 1e3,
    numpyGeneratorMs: g === undefined ? null : g * 1e3,
    numpyLegacyMs: l === undefined ? null : l * 1e3,
    speedupVsGenerator: g === undefined ? null : g / o,
    speedupVsLegacy: l === undefined ? null : l / o,
  };
});
printTable(
  ['n', 'k', 'ours ms', 'numpy Generator.choice ms', 'ratio (numpy/ours)', 'np.random.choice ms', 'ratio (numpy/ours)'],
  rows.map((r) => [r.n, r.k, r.oursMs, r.numpyGeneratorMs ?? '-', r.speedupVsGenerator ?? '-', r.numpyLegacyMs ?? '-', r.speedupVsLegacy ?? '-']),
);
saveSuiteResult('core-data-sampling', { numpy: numpy?.numpy ?? null, rows });
