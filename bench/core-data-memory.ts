/**
 * Peak memory of loading a lab-layout HDF5 file: writes a large file (default 20,000 images of
 * 64x64x3 = 246 MB of uint8), then loads it in a fresh child process with
 * `FaceDataset.fromH5` (sliced reads into one uint8 buffer) and, for comparison, with a naive
 * full `dataset.value` read, and reports peak RSS minus the baseline (RSS after the libraries
 * and h5wasm's WebAssembly are loaded) against the raw image bytes. Bound: 1.25x.
 *
 * Run: node --import tsx bench/core-data-memory.ts [--n 20000]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FaceDataset, writeLabH5 } from '@dbvae/core-data';
import { printTable, runMain, saveSuiteResult } from './lib';

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

const SIZE = 64;

/** The part of h5wasm's API used by the naive full read. */
interface MinimalH5 {
  ready: Promise<unknown>;
  File: new (path: string, mode: string) => { get(name: string): { value: Uint8Array }; close(): void };
}

async function child(path: string, mode: string, tiny: string): Promise<void> {
  // Baseline: libraries imported and h5wasm's WebAssembly instantiated (by reading a tiny file).
  await FaceDataset.fromH5(tiny);
  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const t0 = performance.now();
  let bytes: number;
  if (mode === 'sliced') {
    const ds = await FaceDataset.fromH5(path);
    bytes = ds.images.length;
  } else {
    // h5wasm is a dependency of @dbvae/core-data, not of the bench folder: import it from there.
    const url = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../packages/core-data/node_modules/h5wasm/dist/node/hdf5_hl.js')).href;
    const h5wasm = (await import(url)).default as MinimalH5;
    await h5wasm.ready;
    const f = new h5wasm.File(path, 'r');
    const v = f.get('images').value;
    const copy = new Uint8Array(v.length);
    copy.set(v);
    bytes = copy.length;
    f.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  // maxRSS is the process-lifetime peak (it may include a pre-baseline peak: conservative).
  const peakFromStart = Math.max(peak - baseline, 0);
  console.log(JSON.stringify({ mode, bytes, baselineMB: baseline / 2 ** 20, peakMB: peak / 2 ** 20, extraMB: peakFromStart / 2 ** 20, seconds }));
}

async function main(): Promise<void> {
  const childMode = argValue('child');
  if (childMode !== undefined) {
    await child(argValue('path') as string, childMode, argValue('tiny') as string);
    return;
  }
  const n = Number(argValue('n') ?? 20000);
  const dir = mkdtempSync(join(tmpdir(), 'core-data-mem-'));
  try {
    const path = join(dir, 'big.h5');
    const tiny = join(dir, 'tiny.h5');
    const imageSize = SIZE * SIZE * 3;
    const images = new Uint8Array(n * imageSize);
    for (let i = 0; i < images.length; i++) images[i] = (i * 2654435761) >>> 24;
    const labels = Array.from({ length: n }, (_, i) => i % 2);
    await writeLabH5(path, { images, labels, height: SIZE, width: SIZE });
    await writeLabH5(tiny, { images: images.subarray(0, 2 * imageSize), labels: [1, 0], height: SIZE, width: SIZE });
    const raw = n * imageSize;
    const rows: Array<Record<string, number | string | boolean>> = [];
    const self = fileURLToPath(import.meta.url);
    for (const mode of ['sliced', 'full-read']) {
      const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', mode, '--path', path, '--tiny', tiny], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`child ${mode} failed: ${r.stderr}`);
      const m = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { extraMB: number; seconds: number; baselineMB: number; peakMB: number };
      const ratio = (m.extraMB * 2 ** 20) / raw;
      rows.push({ mode, images: n, rawMB: raw / 2 ** 20, baselineMB: m.baselineMB, peakMB: m.peakMB, extraMB: m.extraMB, ratio, withinBound: ratio <= 1.25, seconds: m.seconds });
    }
    printTable(
      ['mode', 'images', 'raw MB', 'baseline RSS MB', 'peak RSS MB', 'peak - baseline MB', 'ratio to raw', '<= 1.25', 's'],
      rows.map((r) => [r.mode as string, r.images as number, r.rawMB as number, r.baselineMB as number, r.peakMB as number, r.extraMB as number, r.ratio as number, String(r.withinBound), r.seconds as number]),
    );
    saveSuiteResult('core-data-memory', { rows });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
