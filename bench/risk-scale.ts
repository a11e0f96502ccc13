/**
 * Scoring at scale (`dbvae risk` streaming, worker threads, BullMQ on Redis):
 *
 * 1. Peak memory: lab HDF5 files of 50k, 100k and 200k 64x64 images (0.6 / 1.2 / 2.5 GB) are
 *    each scored streaming in a fresh child process; peak RSS minus the baseline (RSS once the
 *    libraries, the engine and the risk model are loaded) must stay within 256 MiB whatever the
 *    file size. The risk model here is a narrow lab CNN (nFilters 4, 32 dense units) so that
 *    350k images score in minutes; memory per chunk does not depend on the width.
 * 2. Throughput on the lab CNN (default width) with its MVE risk: the main thread vs 2 worker
 *    threads, each with its own wasm engine.
 * 3. Throughput through Redis (Debian's redis-server, a private one on a free port) with 1 and
 *    2 `dbvae worker` processes (started and warm before the clock), and the per-shard queue
 *    overhead (the same images in 4x more shards, extra seconds per extra shard), from which
 *    packages/cli/README.md projects 10 million images.
 *
 * Every file it writes lives in a temporary folder that it deletes. Needs redis-server for part 3
 * (skipped with a message otherwise).
 *
 * Run: node --import tsx bench/risk-scale.ts [--sizes 50000,100000,200000] [--throughput-n 8192]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createServer } from 'node:net';
import { initBackend } from '@dbvae/backend';
import { buildStandardClassifier } from '@dbvae/models';
import { fitRisk } from '../packages/cli/src/risk-scoring';
import { saveRiskModel } from '../packages/cli/src/scoring/risk-model-store';
import { scoreToFile } from '../packages/cli/src/scoring/score-to-file';
import { printTable, runMain, saveSuiteResult } from './lib';

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

const SIDE = 64;
const IMAGE = SIDE * SIDE * 3;
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };

interface MinimalH5 {
  ready: Promise<unknown>;
  File: new (
    path: string,
    mode: string,
  ) => {
    create_dataset(o: Record<string, unknown>): { write_slice(ranges: number[][], data: Uint8Array): void; resize(shape: number[]): void };
    close(): void;
  };
}

/** Writes an n-image lab file block by block (never the whole set in memory): pseudo-random pixels, alternating labels. */
async function writeBigLabFile(path: string, n: number): Promise<void> {
  const url = pathToFileURL(join(repo, 'packages/core-data/node_modules/h5wasm/dist/node/hdf5_hl.js')).href;
  const h5 = (await import(url)).default as MinimalH5;
  await h5.ready;
  const f = new h5.File(path, 'w');
  const block = 4096;
  const buf = new Uint8Array(block * IMAGE);
  let s = 12345;
  for (let i = 0; i < buf.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    buf[i] = s >>> 24;
  }
  const ds = f.create_dataset({ name: 'images', data: buf.subarray(0, Math.min(n, block) * IMAGE), shape: [Math.min(n, block), SIDE, SIDE, 3], maxshape: [n, SIDE, SIDE, 3], chunks: [64, SIDE, SIDE, 3], dtype: '<B' });
  if (n > block) {
    ds.resize([n, SIDE, SIDE, 3]);
    for (let start = block; start < n; start += block) {
      const end = Math.min(n, start + block);
      buf[0] = start & 255; // not all blocks identical
      ds.write_slice([[start, end]], buf.subarray(0, (end - start) * IMAGE));
    }
  }
  f.create_dataset({ name: 'labels', data: Float32Array.from({ length: n }, (_, i) => i % 2), shape: [n, 1], dtype: '<f' });
  f.close();
}

/** Fits an MVE risk (post-hoc) for a lab CNN on 256 fixture images and saves it. */
async function makeRiskModel(dir: string, narrow: boolean): Promise<string> {
  const n = 256;
  const images = new Uint8Array(n * IMAGE);
  for (let i = 0; i < images.length; i++) images[i] = (i * 2654435761) >>> 24;
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 2);
  const model = buildStandardClassifier(narrow ? { nFilters: 4, denseUnits: 32, seed: 1 } : { seed: 1 });
  const fitted = await fitRisk(model, { images, labels, height: SIDE, width: SIDE }, { wrapper: 'mve', epochs: 1, seed: 0 });
  try {
    await saveRiskModel(dir, fitted, { cliVersion: 'bench', wrapper: 'mve', inputShape: [SIDE, SIDE, 3], settings: { narrow } });
  } finally {
    fitted.dispose();
    model.dispose();
  }
  return dir;
}

/** Child mode: scores a file streaming and reports RSS. */
async function memoryChild(data: string, tiny: string, riskModel: string, out: string): Promise<void> {
  await initBackend({ backend: 'wasm' });
  // Baseline: libraries, engine and risk model loaded, one tiny file scored.
  await scoreToFile({ data: tiny, riskModelDir: riskModel, out: `${out}.tiny.csv`, chunkSize: 256, workers: 1, seed: 0 }, quiet);
  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const t0 = performance.now();
  const r = await scoreToFile({ data, riskModelDir: riskModel, out, chunkSize: 256, workers: 1, seed: 0 }, quiet);
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const lifetimePeak = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ rows: r.rows, baselineMiB: baseline / 2 ** 20, peakMiB: peak / 2 ** 20, extraMiB: (peak - baseline) / 2 ** 20, lifetimePeakExtraMiB: (Math.max(lifetimePeak, peak) - baseline) / 2 ** 20, seconds }));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function startWorker(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'packages/cli/src/bin.ts'), 'worker', '--queue', url], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DBVAE_BACKEND: 'wasm' } });
  return new Promise((resolve, reject) => {
    let log = '';
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('waiting for shards')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${log}`)));
  });
}

/** Scores through Redis with `workers` worker processes (started and warm before the clock starts); returns seconds. */
async function queuedSeconds(url: string, data: string, riskModel: string, out: string, workers: number, shardSize: number, job: string): Promise<number> {
  const procs = await Promise.all(Array.from({ length: workers }, () => startWorker(url)));
  try {
    const { runCoordinator } = await import('../packages/cli/src/queue/coordinator');
    // Warm-up job: each worker loads the risk model once (as it would once per process in production).
    await runCoordinator({ url, data, riskModelDir: riskModel, out: `${out}.warm.csv`, chunkSize: 256, shardSize: 256, seed: 0, jobName: `${job}-warm`, limit: 256 * workers * 2, pollMs: 50 }, quiet);
    const t0 = performance.now();
    await runCoordinator({ url, data, riskModelDir: riskModel, out, chunkSize: 256, shardSize, seed: 0, jobName: job, pollMs: 50 }, quiet);
    return (performance.now() - t0) / 1000;
  } finally {
    for (const p of procs) p.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  if (argValue('child') !== undefined) {
    await memoryChild(argValue('data')!, argValue('tiny')!, argValue('risk-model')!, argValue('out')!);
    return;
  }
  const sizes = (argValue('sizes') ?? '50000,100000,200000').split(',').map(Number);
  const throughputN = Number(argValue('throughput-n') ?? 8192);
  const dir = mkdtempSync(join(tmpdir(), 'risk-scale-'));
  const self = fileURLToPath(import.meta.url);
  let redis: ChildProcess | undefined;
  try {
    await initBackend({ backend: 'wasm' });
    const narrow = await makeRiskModel(join(dir, 'risk-narrow'), true);
    const lab = await makeRiskModel(join(dir, 'risk-lab'), false);
    const tiny = join(dir, 'tiny.h5');
    await writeBigLabFile(tiny, 512);

    // 1. Peak memory, streaming, one file size at a time (each file deleted after use).
    const memory: Array<Record<string, number | boolean>> = [];
    for (const n of sizes) {
      const path = join(dir, `lab-${n}.h5`);
      await writeBigLabFile(path, n);
      const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', '1', '--data', path, '--tiny', tiny, '--risk-model', narrow, '--out', join(dir, `scores-${n}.csv`)], { encoding: 'utf8', env: { ...process.env, DBVAE_BACKEND: 'wasm' } });
      rmSync(path, { force: true });
      rmSync(join(dir, `scores-${n}.csv`), { force: true });
      if (r.status !== 0) throw new Error(`memory child failed: ${r.stderr}`);
      const m = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { rows: number; baselineMiB: number; peakMiB: number; extraMiB: number; lifetimePeakExtraMiB: number; seconds: number };
      memory.push({ images: n, fileMiB: (n * IMAGE) / 2 ** 20, baselineMiB: m.baselineMiB, peakMiB: m.peakMiB, extraMiB: m.extraMiB, lifetimePeakExtraMiB: m.lifetimePeakExtraMiB, within256: m.lifetimePeakExtraMiB <= 256, imagesPerSecond: n / m.seconds });
      console.log(`memory: ${JSON.stringify(memory.at(-1))}`);
    }
    printTable(
      ['images', 'file MiB', 'baseline RSS MiB', 'peak RSS MiB', 'peak - baseline MiB', 'lifetime peak - baseline MiB', '<= 256 MiB', 'img/s (narrow CNN)'],
      memory.map((r) => [r.images as number, r.fileMiB as number, r.baselineMiB as number, r.peakMiB as number, r.extraMiB as number, r.lifetimePeakExtraMiB as number, String(r.within256), r.imagesPerSecond as number]),
    );

    // 2. Throughput on the lab CNN: main thread vs 2 worker threads.
    const data = join(dir, `lab-${throughputN}.h5`);
    await writeBigLabFile(data, throughputN);
    const threads: Array<Record<string, number>> = [];
    const { loadRiskModel } = await import('../packages/cli/src/scoring/risk-model-store');
    const { createThreadScorer } = await import('../packages/cli/src/scoring/thread-scorer');
    for (const workers of [1, 2]) {
      const out = join(dir, `threads-${workers}.csv`);
      // Started (and warmed on a small file) before the clock: engine and model loading are once per process or thread.
      const main = workers === 1 ? await loadRiskModel(lab) : undefined;
      const pool = workers > 1 ? await createThreadScorer(lab, workers, 'wasm') : undefined;
      const scorer = main ? { scorer: main.scorer, parallel: 1 } : { scorer: pool!.scorer, parallel: workers + 1 };
      try {
        await scoreToFile({ data: tiny, riskModelDir: lab, out: `${out}.warm.csv`, chunkSize: 256, workers, seed: 0, scorer }, quiet);
        const t0 = performance.now();
        await scoreToFile({ data, riskModelDir: lab, out, chunkSize: 256, workers, seed: 0, scorer }, quiet);
        const seconds = (performance.now() - t0) / 1000;
        threads.push({ workers, seconds, imagesPerSecond: throughputN / seconds });
      } finally {
        main?.dispose();
        await pool?.close();
      }
    }
    const speedup = (threads[1]!.imagesPerSecond as number) / (threads[0]!.imagesPerSecond as number);
    printTable(
      ['scoring threads', 'images', 's', 'img/s', 'speed-up'],
      threads.map((t) => [t.workers === 1 ? '1 (main thread)' : `${t.workers} worker threads`, throughputN, t.seconds as number, t.imagesPerSecond as number, (t.imagesPerSecond as number) / (threads[0]!.imagesPerSecond as number)]),
    );

    // 3. Through Redis.
    let queue: Array<Record<string, number>> = [];
    let perShardOverhead: number | undefined;
    if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0) {
      const port = await freePort();
      redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 500));
      const url = `redis://127.0.0.1:${port}/0`;
      const shardSize = 1024;
      const shards = Math.ceil(throughputN / shardSize);
      for (const workers of [1, 2]) {
        const seconds = await queuedSeconds(url, data, lab, join(dir, `queue-${workers}.csv`), workers, shardSize, `bench-${workers}`);
        queue.push({ workers, shardSize, shards, seconds, imagesPerSecond: throughputN / seconds });
      }
      // Overhead per shard: the same images in shards of one chunk (256) with 1 worker process; the
      // extra time over the 1024-image shards, per extra shard.
      const small = 256;
      const smallShards = Math.ceil(throughputN / small);
      const smallSeconds = await queuedSeconds(url, data, lab, join(dir, 'queue-small.csv'), 1, small, 'bench-small');
      queue.push({ workers: 1, shardSize: small, shards: smallShards, seconds: smallSeconds, imagesPerSecond: throughputN / smallSeconds });
      perShardOverhead = (smallSeconds - (queue[0]!.seconds as number)) / (smallShards - shards);
      printTable(
        ['dbvae worker processes', 'shard size', 'shards', 's', 'img/s', 'vs 1 process, 1024-image shards'],
        queue.map((q) => [q.workers as number, q.shardSize as number, q.shards as number, q.seconds as number, q.imagesPerSecond as number, (q.imagesPerSecond as number) / (queue[0]!.imagesPerSecond as number)]),
      );
      console.log(`per-shard queue overhead (${smallShards} shards of ${small} vs ${shards} of ${shardSize}, 1 worker process): ${(perShardOverhead * 1000).toFixed(0)} ms`);
    } else {
      console.warn('risk-scale: redis-server is not installed; skipping the Redis measurements (apt-get install redis-server).');
      queue = [];
    }
    saveSuiteResult('risk-scale', { contended: true, memory, threads, threadSpeedup: speedup, queue, perShardOverheadSeconds: perShardOverhead, throughputImages: throughputN });
  } finally {
    redis?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
