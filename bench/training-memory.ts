/**
 * Peak memory of training on a lab-layout HDF5 file (issue 9: "peak RSS while training on a
 * 100k-image lab file within 1.5x its uint8 bytes").
 *
 * Writes a file of `--n` (default 100,000) 64x64x3 SynthFaces images (2,000 generated images
 * tiled; 1.229 GB of uint8), then runs each mode in a fresh child process on the wasm backend:
 * - `load`: `FaceDataset.fromH5` only;
 * - `cnn`: load, then `--steps` steps of the lab CNN (`buildStandardClassifier` +
 *   `classifierTrainStep`, Adam, batch 32) on batches drawn by `getBatch` with face weights
 *   `pPos` (the library's weighted sampling without replacement);
 * - `dbvae`: load, then `trainDBVAE` for one epoch of `--steps` steps (latent 100): the
 *   epoch-start pass over every face for the resampling weights, the weighted batches, the
 *   end-of-epoch collapse check.
 * A worker thread samples the process RSS every 2 ms (it keeps sampling while the main thread
 * is inside a synchronous wasm kernel); the kernel's high-water mark
 * (`process.resourceUsage().maxRSS`) is the cross-check. Reported: peak RSS / uint8 bytes
 * (the measure) and (peak - baseline) / uint8 bytes, the baseline being the RSS after
 * the libraries, the wasm backend and h5wasm are loaded (a tiny file read), before the big load.
 * The file is deleted afterwards. The child loads h5wasm without tsx (see `childBootstrap`).
 *
 * Run: node --import tsx bench/training-memory.ts [--n 100000] [--steps 40] [--modes load,cnn,dbvae]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createRandom, initBackend, tf } from '@dbvae/backend';
import { FaceDataset, generateSynthFaces, writeLabH5 } from '@dbvae/core-data';
import { DBVAE, buildStandardClassifier, classifierTrainStep, trainDBVAE } from '@dbvae/models';
import { printTable, runMain, saveSuiteResult } from './lib';

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

const SIZE = 64;
const IMAGE_BYTES = SIZE * SIZE * 3;
const MB = 2 ** 20;

interface ChildResult {
  mode: string;
  images: number;
  bytes: number;
  baselineMB: number;
  afterLoadMB: number;
  loadPeakMB: number;
  peakSampledMB: number;
  maxRssMB: number;
  peakMB: number;
  endMB: number;
  tfBytesMB: number;
  steps: number;
  loadSeconds: number;
  trainSeconds: number;
}

/** Starts a worker that keeps [peak RSS, last RSS] up to date in shared memory every 2 ms. */
function startRssSampler(): { shared: Float64Array; worker: Worker } {
  const shared = new Float64Array(new SharedArrayBuffer(16));
  const code = `
const { workerData } = require('node:worker_threads');
const a = new Float64Array(workerData);
setInterval(() => { const r = process.memoryUsage.rss(); a[1] = r; if (r > a[0]) a[0] = r; }, 2);
`;
  const worker = new Worker(code, { eval: true, workerData: shared.buffer, execArgv: [] });
  worker.unref();
  return { shared, worker };
}

async function child(mode: string, path: string, tiny: string, steps: number): Promise<void> {
  const { shared, worker } = startRssSampler();
  await initBackend({ backend: 'wasm' });
  // Baseline: libraries imported, wasm backend ready, h5wasm's WebAssembly instantiated.
  await FaceDataset.fromH5(tiny);
  await new Promise((r) => setTimeout(r, 50));
  globalThis.gc?.();
  const baseline = process.memoryUsage.rss();
  shared[0] = baseline;
  const t0 = performance.now();
  const ds = await FaceDataset.fromH5(path);
  const loadSeconds = (performance.now() - t0) / 1000;
  const afterLoad = process.memoryUsage.rss();
  const loadPeak = Math.max(shared[0] as number, afterLoad);
  const t1 = performance.now();
  if (mode === 'cnn') {
    const model = buildStandardClassifier({ seed: 0 });
    const optimizer = tf.train.adam(5e-4);
    const rng = createRandom(1);
    const pPos = new Float64Array(ds.numFaces);
    for (let i = 0; i < pPos.length; i++) pPos[i] = 0.5 + rng.next();
    for (let s = 0; s < steps; s++) {
      const { x, y } = ds.getBatch(32, { pPos, rng });
      classifierTrainStep(model, optimizer, x, y);
      tf.dispose([x, y]);
    }
    optimizer.dispose();
    model.dispose();
  } else if (mode === 'dbvae') {
    const model = new DBVAE({ latentDim: 100, seed: 0 });
    const history = await trainDBVAE(model, ds, { epochs: 1, stepsPerEpoch: steps, batchSize: 32, progressBar: false, seed: 1 });
    history.optimizer.dispose();
    model.dispose();
  }
  const trainSeconds = (performance.now() - t1) / 1000;
  await new Promise((r) => setTimeout(r, 20));
  const end = process.memoryUsage.rss();
  const sampled = Math.max(shared[0] as number, end);
  // maxRSS (KiB) is the process-lifetime high-water mark: it may include a peak from before the
  // baseline, so it is an upper bound; the report takes the larger of the two.
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const result: ChildResult = {
    mode,
    images: ds.size,
    bytes: ds.images.length,
    baselineMB: baseline / MB,
    afterLoadMB: afterLoad / MB,
    loadPeakMB: loadPeak / MB,
    peakSampledMB: sampled / MB,
    maxRssMB: maxRss / MB,
    peakMB: Math.max(sampled, maxRss) / MB,
    endMB: end / MB,
    tfBytesMB: tf.memory().numBytes / MB,
    steps: mode === 'load' ? 0 : steps,
    loadSeconds,
    trainSeconds,
  };
  await worker.terminate();
  console.log(JSON.stringify(result));
}

/**
 * Source of the child's entry point. h5wasm's Node build (4 MB of JavaScript with the
 * WebAssembly inlined) costs about 600 MB of RSS when it is loaded through tsx's transform,
 * against about 10 MB when Node loads it directly, as it does for users of the built
 * packages. So the child loads it first without tsx, then registers tsx for our TypeScript;
 * the later `import('h5wasm/node')` of core-data resolves to the same, already loaded module.
 */
function childBootstrap(self: string): string {
  const h5 = join(dirname(self), '../packages/core-data/node_modules/h5wasm/dist/node/hdf5_hl.js');
  return [
    "import { realpathSync } from 'node:fs';",
    "import { pathToFileURL } from 'node:url';",
    `await import(pathToFileURL(realpathSync(${JSON.stringify(h5)})).href);`,
    "const { register } = await import('tsx/esm/api');",
    'register();',
    `await import(pathToFileURL(${JSON.stringify(self)}).href);`,
  ].join('\n');
}

async function main(): Promise<void> {
  const childMode = argValue('child');
  if (childMode !== undefined) {
    await child(childMode, argValue('path') as string, argValue('tiny') as string, Number(argValue('steps') ?? 40));
    return;
  }
  const n = Number(argValue('n') ?? 100_000);
  const steps = Number(argValue('steps') ?? 40);
  const modes = (argValue('modes') ?? 'load,cnn,dbvae').split(',');
  const dir = mkdtempSync(join(tmpdir(), 'training-mem-'));
  try {
    const path = join(dir, 'big.h5');
    const tiny = join(dir, 'tiny.h5');
    {
      // 2,000 SynthFaces tiled to n images (the pixels do not matter for memory; the labels keep
      // the generated face / non-face mix)
      const base = generateSynthFaces({ n: Math.min(n, 2000), seed: 3, size: SIZE });
      const m = base.labels.length;
      const images = new Uint8Array(n * IMAGE_BYTES);
      const labels = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const j = i % m;
        images.set(base.images.subarray(j * IMAGE_BYTES, (j + 1) * IMAGE_BYTES), i * IMAGE_BYTES);
        labels[i] = base.labels[j] as number;
      }
      const tw = performance.now();
      await writeLabH5(path, { images, labels, height: SIZE, width: SIZE });
      await writeLabH5(tiny, { images: base.images.subarray(0, 4 * IMAGE_BYTES), labels: base.labels.subarray(0, 4), height: SIZE, width: SIZE });
      console.log(`wrote ${n} images (${(statSync(path).size / 1e9).toFixed(3)} GB file) in ${((performance.now() - tw) / 1000).toFixed(1)} s`);
    }
    const raw = n * IMAGE_BYTES;
    const rows: Array<ChildResult & { rawMB: number; peakRatio: number; extraRatio: number; loadPeakRatio: number; within15: boolean }> = [];
    const self = fileURLToPath(import.meta.url);
    for (const mode of modes) {
      const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', childBootstrap(self), '--', '--child', mode, '--path', path, '--tiny', tiny, '--steps', String(steps)], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      });
      if (r.status !== 0) throw new Error(`child ${mode} failed: ${r.stderr}`);
      const m = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as ChildResult;
      const peakRatio = (m.peakMB * MB) / raw;
      rows.push({
        ...m,
        rawMB: raw / MB,
        peakRatio,
        extraRatio: ((m.peakMB - m.baselineMB) * MB) / raw,
        loadPeakRatio: (m.loadPeakMB * MB) / raw,
        within15: peakRatio <= 1.5,
      });
      console.log(`${mode}: peak ${m.peakMB.toFixed(0)} MB (sampled ${m.peakSampledMB.toFixed(0)}, maxRSS ${m.maxRssMB.toFixed(0)}), ${m.loadSeconds.toFixed(1)} s load, ${m.trainSeconds.toFixed(1)} s train`);
    }
    printTable(
      ['mode', 'images', 'uint8 MB', 'baseline MB', 'after load MB', 'peak RSS MB', 'peak / uint8', '(peak - base) / uint8', '<= 1.5', 'steps', 'train s'],
      rows.map((r) => [r.mode, r.images, r.rawMB, r.baselineMB, r.afterLoadMB, r.peakMB, r.peakRatio, r.extraRatio, String(r.within15), r.steps, r.trainSeconds]),
    );
    saveSuiteResult('training-memory', { n, steps, rows });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
