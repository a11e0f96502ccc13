import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@dbvae/backend';
import { openImageSource } from '@dbvae/core-data';
import packageJson from '../package.json';
import { QueueConnectionError } from '../src/queue/connection';
import { runCoordinator, ShardFailedError } from '../src/queue/coordinator';
import type { ShardJobData } from '../src/queue/shard-job';
import { processShard, ShardRejectedError, type ShardProcessorContext } from '../src/queue/shard-processor';
import { runShardWorker, workerContext } from '../src/queue/shard-worker';
import { resumablePaths } from '../src/scoring/resumable-output';
import { loadRiskModel, riskModelId } from '../src/scoring/risk-model-store';
import { scoreChunk } from '../src/scoring/score-range';
import { scoreToFile } from '../src/scoring/score-to-file';
import { freePort, hasRedisServer, startRedis, type TestRedis } from './redis-server';
import { fixtureLabFile, fixtureRiskModel } from './scoring-fixtures';

const REDIS = hasRedisServer();
/** The server `.ci/run` starts (CI always has one); otherwise the tests start private ones. */
const SHARED_URL = process.env.DBVAE_TEST_REDIS_URL;
if (!REDIS) console.warn(`cli queue tests: 'redis-server' is not installed; skipping the tests that need ${SHARED_URL ? 'to restart Redis' : 'Redis'} (apt-get install redis-server; CI always has it).`);
/** Job names unique to this run, so a shared Redis never holds an earlier run's shards. */
const RUN = Math.random().toString(36).slice(2, 8);

const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(repo, 'packages/cli/src/bin.ts');
const N = 60;
let dir: string;
let data: string;
let riskModel: string;
let reference: string;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  dir = mkdtempSync(join(tmpdir(), 'cli-queue-'));
  data = await fixtureLabFile(dir, 'data.h5', N, 21);
  // MC dropout: random at prediction time, so equal rows prove each chunk is seeded by its index, not by who scores it.
  riskModel = await fixtureRiskModel(dir, 'risk', { bias: true, epistemic: 'dropout', dropout: { passes: 3 } }, 'dropout');
  reference = join(dir, 'reference.csv');
  await scoreToFile({ data, riskModelDir: riskModel, out: reference, chunkSize: 5, workers: 1, seed: 4 }, quiet);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function shardData(over: Partial<ShardJobData> = {}): Promise<ShardJobData> {
  return { version: packageJson.version, jobName: 't', shard: 1, data, start: 10, end: 20, chunkSize: 5, seed: 4, riskModelDir: riskModel, riskModelId: await riskModelId(riskModel), ...over };
}

describe('processShard (a plain function of the job data)', () => {
  it('returns the rows of its shard as the single-process pipeline scores them', async () => {
    const context = workerContext(packageJson.version);
    const { rows } = await processShard(await shardData(), context);
    const model = await loadRiskModel(riskModel);
    const source = await openImageSource(data);
    const expected = [...(await scoreChunk(source, 2, 5, model.scorer)), ...(await scoreChunk(source, 3, 5, model.scorer))];
    await source.close();
    model.dispose();
    context.dispose();
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
    expect(rows).toEqual(expected);
  });

  it('refuses a job of another version or another risk model with a code no retry can fix', async () => {
    const context = workerContext(packageJson.version);
    const other = await processShard(await shardData({ version: '0.0.0-other' }), context).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(ShardRejectedError);
    expect((other as ShardRejectedError).code).toBe('E_VERSION_MISMATCH');
    expect((other as Error).message).toMatch(/queued by @dbvae\/cli 0\.0\.0-other but this worker runs/);
    const mismatch = await processShard(await shardData({ riskModelId: 'f'.repeat(64) }), context).catch((e: unknown) => e);
    expect((mismatch as ShardRejectedError).code).toBe('E_RISK_MODEL_MISMATCH');
    expect((mismatch as Error).message).toMatch(/differs from the coordinator's/);
    context.dispose();
  });

  it('reports every row of a shard whose data cannot be read as failed, with the reason', async () => {
    const context: ShardProcessorContext = { ...workerContext(packageJson.version), openSource: async () => Promise.reject(new (await import('@dbvae/core-data')).DatasetError('disk on fire')) };
    const { rows } = await processShard(await shardData(), context);
    expect(rows).toHaveLength(10);
    expect(rows.every((r, i) => r.index === 10 + i && r.prediction === undefined && /disk on fire/.test(r.error ?? ''))).toBe(true);
  });
});

describe('queue connection', () => {
  it('says clearly that Redis cannot be reached, naming the address', async () => {
    const port = await freePort();
    const err = await runShardWorker({ url: `redis://127.0.0.1:${port}/0`, version: packageJson.version }, quiet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueConnectionError);
    expect((err as QueueConnectionError).code).toBe('E_QUEUE_UNREACHABLE');
    expect((err as Error).message).toMatch(new RegExp(`cannot reach Redis at 127\\.0\\.0\\.1:${port}.*Start it`));
  });
});

/** Starts `dbvae worker` as a separate process (from source, through tsx); resolves when it logs `pattern`. */
function workerProcess(url: string, log: string[], extraArgs: readonly string[] = []): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', bin, 'worker', '--queue', url, '--lock-ms', '2000', ...extraArgs], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DBVAE_BACKEND: 'wasm' } });
  child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  child.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
  return child;
}

async function until(condition: () => boolean, what: string, timeoutMs = 240_000, context?: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${context ? `\n${context()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const kill = (p: ChildProcess | undefined): void => {
  if (p && p.exitCode === null) p.kill('SIGKILL');
};

// Worker processes start from source through tsx: slow on a loaded machine, hence the long timeout.
describe.skipIf(!REDIS && !SHARED_URL)('scoring through BullMQ on a real Redis', { timeout: 300_000 }, () => {
  let redis: TestRedis | undefined;
  let url: string;
  beforeAll(async () => {
    if (REDIS) redis = await startRedis();
    url = SHARED_URL ?? redis!.url;
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('two worker processes, one killed mid-shard: the output equals the single-process run row for row', async () => {
    const out = join(dir, 'killed.csv');
    const logA: string[] = [];
    const logB: string[] = [];
    const a = workerProcess(url, logA);
    let b: ChildProcess | undefined;
    try {
      const coordinator = runCoordinator({ url, data, riskModelDir: riskModel, out, chunkSize: 5, shardSize: 10, seed: 4, jobName: `killed-${RUN}`, pollMs: 200 }, quiet);
      coordinator.catch(() => undefined);
      await until(() => new RegExp(`killed-${RUN} shard \\d+ started`).test(logA.join('')), 'worker A to start a shard');
      a.kill('SIGKILL');
      b = workerProcess(url, logB);
      const result = await coordinator;
      expect(result).toMatchObject({ rows: N, failed: 0, shards: 6, resumedShards: 0 });
      const killedShard = Number(new RegExp(`killed-${RUN} shard (\\d+) started`).exec(logA.join(''))![1]);
      // Worker B took over the killed worker's shard (BullMQ stalled-job recovery).
      expect(logB.join('')).toMatch(new RegExp(`killed-${RUN} shard ${killedShard} \\(10 rows\\)`));
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(reference, 'utf8'));
    } finally {
      kill(a);
      kill(b);
    }
  });

  it('a restarted coordinator with the same job name resumes and ends with the same output', async () => {
    const out = join(dir, 'restarted.csv');
    const log: string[] = [];
    // The first worker stops after 2 shards (at most one more it had already fetched), so the first
    // coordinator cannot finish before it is killed: with an unlimited worker the remaining shards
    // took 0.0 s each on a quiet machine, and the coordinator ended before the test could kill it.
    const partialWorker = workerProcess(url, log, ['--max-shards', '2']);
    let worker: ChildProcess | undefined;
    try {
      const first = spawn(process.execPath, ['--import', 'tsx', bin, 'risk', '--risk-model', riskModel, '--data', data, '--queue', url, '--out', out, '--chunk-size', '5', '--shard-size', '10', '--seed', '4', '--job', `restart-${RUN}`], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DBVAE_BACKEND: 'wasm' } });
      const firstErr: string[] = [];
      first.stderr!.on('data', (d: Buffer) => firstErr.push(d.toString()));
      const progress = resumablePaths(out).progress;
      await until(() => {
        // A coordinator that stopped on its own will never write: say why instead of waiting.
        if (first.exitCode !== null) throw new Error(`the first coordinator exited (${first.exitCode}) before writing 2 shards:\n${firstErr.join('')}\nworker:\n${log.join('')}`);
        return existsSync(progress) && (JSON.parse(readFileSync(progress, 'utf8')) as { unitsDone: number }).unitsDone >= 2;
      }, 'the first coordinator to write 2 shards', 240_000, () => `coordinator:\n${firstErr.join('')}\nworker:\n${log.join('')}`);
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      expect(existsSync(out)).toBe(false);
      worker = workerProcess(url, log);
      const lines: string[] = [];
      const result = await runCoordinator({ url, data, riskModelDir: riskModel, out, chunkSize: 5, shardSize: 10, seed: 4, jobName: `restart-${RUN}`, pollMs: 200 }, { ...quiet, stderr: { write: (t: string) => lines.push(t) } });
      expect(result.resumedShards).toBeGreaterThanOrEqual(2);
      expect(lines.join('')).toMatch(new RegExp(`Resuming job 'restart-${RUN}'`));
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(reference, 'utf8'));
    } finally {
      kill(partialWorker);
      kill(worker);
    }
  });

  it.skipIf(!REDIS)('survives a Redis restart mid-run (the lost shards are enqueued again) and loses no row', async () => {
    const server = redis!;
    const out = join(dir, 'redis-restart.csv');
    const log: string[] = [];
    let worker: ReturnType<typeof workerProcess> | undefined;
    try {
      const lines: string[] = [];
      const coordinator = runCoordinator({ url: server.url, data, riskModelDir: riskModel, out, chunkSize: 5, shardSize: 10, seed: 4, jobName: `bounce-${RUN}`, pollMs: 200 }, { ...quiet, stderr: { write: (t: string) => lines.push(t) } });
      coordinator.catch(() => undefined);
      // Restart Redis (no persistence) once every shard is enqueued and before any worker runs, so
      // every shard is lost whatever the machine's speed: a worker started earlier could finish
      // them all before the restart on a quiet machine and the test would prove nothing.
      await until(() => lines.join('').includes('start workers with'), 'the shards to be enqueued');
      await server.stop();
      await new Promise((r) => setTimeout(r, 500));
      await server.start();
      worker = workerProcess(server.url, log);
      const result = await coordinator;
      expect(result.rows).toBe(N);
      expect(lines.join('')).toMatch(/no longer in Redis/);
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(reference, 'utf8'));
    } finally {
      if (worker) kill(worker);
    }
  });

  it("fails a shard at once, with the worker's reason, when the worker runs another version (no retries)", async () => {
    const out = join(dir, 'version.csv');
    const controller = new AbortController();
    const worker = runShardWorker({ url, version: '0.0.0-other', signal: controller.signal, lockDuration: 2000 }, quiet);
    try {
      const err = await runCoordinator({ url, data, riskModelDir: riskModel, out, chunkSize: 5, shardSize: 10, seed: 4, jobName: `version-${RUN}`, pollMs: 200 }, quiet).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ShardFailedError);
      expect((err as Error).message).toMatch(new RegExp(`shard 0 of job 'version-${RUN}' failed after 1 attempt\\(s\\): E_VERSION_MISMATCH: .*queued by @dbvae/cli .* but this worker runs 0\\.0\\.0-other`));
    } finally {
      controller.abort();
      await worker;
    }
  });
});
