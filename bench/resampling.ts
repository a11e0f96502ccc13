/**
 * Resampling weights benchmark: 100,000 samples x 100 latent dimensions (float32, as a DB-VAE
 * encoder produces them), time to weights for the lab's max rule and the paper's product rule,
 * beside NumPy running the same rules on the same latents in the same run (when /usr/bin/python3
 * has numpy). Prints the ratio, checks that both agree, and writes
 * bench/results/resampling-<timestamp>.json.
 *
 *   node --import tsx bench/resampling.ts [--n 100000] [--k 100] [--seconds 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRandom } from '@dbvae/backend';
import { samplingWeights, type CombineRule } from '@dbvae/resampling';
import { benchDir, findPython, machineInfo, printTable, saveResult } from './lib';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const n = arg('n', 100_000);
const k = arg('k', 100);
const seconds = arg('seconds', 3);
const bins = 10;
const alpha = 0.001;

// Latents: per-dimension Gaussian mixtures with a rare mode (what the debiasing targets).
const rng = createRandom(2026);
const latents = new Float32Array(n * k);
for (let i = 0; i < n; i++) {
  for (let j = 0; j < k; j++) latents[i * k + j] = rng.next() < 0.1 ? 3 + rng.normal() * 0.5 : rng.normal();
}

/** Best and median seconds per call over at least 5 calls and `seconds` (after one warm-up call). */
function bestTime(fn: () => unknown): { bestS: number; medianS: number; calls: number } {
  fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 5 || performance.now() - start < seconds * 1000) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return { bestS: times[0]!, medianS: times[times.length >> 1]!, calls: times.length };
}

const rules: CombineRule[] = ['max', 'product'];
const js: Record<string, { bestS: number; medianS: number; calls: number; weights: Float64Array }> = {};
for (const combine of rules) {
  const weights = samplingWeights(latents, { shape: [n, k], bins, alpha, combine });
  js[combine] = { ...bestTime(() => samplingWeights(latents, { shape: [n, k], bins, alpha, combine })), weights };
}

interface NumpyResult { numpy: string; maxBestS: number; maxMedianS: number; productBestS: number; productMedianS: number }
let numpy: NumpyResult | undefined;
const agreement: Record<string, number> = {};
const python = findPython('numpy');
if (python !== undefined && python === '/usr/bin/python3') {
  const dir = mkdtempSync(join(tmpdir(), 'resampling-bench-'));
  try {
    const input = join(dir, 'latents.f32');
    const output = join(dir, 'weights.f64');
    writeFileSync(input, new Uint8Array(latents.buffer));
    const r = spawnSync(python, [join(benchDir, 'resampling_numpy.py'), input, String(n), String(k), String(bins), String(alpha), '3', output], { encoding: 'utf8' });
    if (r.status === 0) {
      numpy = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as NumpyResult;
      const buf = readFileSync(output);
      const ref = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
      rules.forEach((rule, r0) => {
        let worst = 0;
        const w = js[rule]!.weights;
        for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(w[i]! - ref[r0 * n + i]!) / ref[r0 * n + i]!);
        agreement[rule] = worst;
      });
    } else {
      console.warn(`NumPy reference failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  console.warn('NumPy reference skipped: /usr/bin/python3 with numpy not found.');
}

const rows = rules.map((rule) => {
  const { bestS, medianS } = js[rule]!;
  const npS = rule === 'max' ? numpy?.maxBestS : numpy?.productBestS;
  return [rule, bestS * 1000, medianS * 1000, npS === undefined ? 'n/a' : npS * 1000, npS === undefined ? 'n/a' : `${(npS / bestS).toFixed(1)}x`, agreement[rule] === undefined ? 'n/a' : agreement[rule]!.toExponential(1)];
});
console.log(`samplingWeights, ${n} x ${k} float32 latents, ${bins} bins, alpha ${alpha}`);
printTable(['rule', 'ts best ms', 'ts median ms', 'numpy best ms (of 3)', 'numpy / ts (best)', 'max rel diff'], rows);

const file = saveResult('resampling', {
  suite: 'resampling',
  date: new Date().toISOString(),
  machine: machineInfo(),
  config: { n, k, bins, alpha, dtype: 'float32', seconds },
  ts: Object.fromEntries(rules.map((r) => [r, { bestS: js[r]!.bestS, medianS: js[r]!.medianS, calls: js[r]!.calls }])),
  numpy: numpy ?? null,
  ratioNumpyOverTs: numpy ? { max: numpy.maxBestS / js.max!.bestS, product: numpy.productBestS / js.product!.bestS } : null,
  maxRelativeDifference: agreement,
});
console.log(`wrote ${file}`);
