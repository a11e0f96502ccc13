import type { ImageSource } from '@dbvae/core-data';
import type { CliIO } from '../command';
import type { LoadedRiskModel } from '../scoring/risk-model-store';
import { connectQueue } from './connection';
import { SHARD_QUEUE, type ShardJobData, type ShardJobResult } from './shard-job';
import { processShard, type ShardProcessorContext } from './shard-processor';

/**
 * Error codes that no retry can fix: the job fails at once (BullMQ's `UnrecoverableError`).
 * Anything else (a backend hiccup, a lost connection) is retried with exponential backoff.
 */
export const UNRECOVERABLE_CODES: ReadonlySet<string> = new Set(['E_VERSION_MISMATCH', 'E_RISK_MODEL_MISMATCH', 'E_SHAPE', 'E_INVALID_ARGUMENT', 'E_SERIALIZATION', 'E_UNSUPPORTED_MODEL', 'E_INPUT']);

/** Options of {@link runShardWorker}. */
export interface ShardWorkerOptions {
  /** `redis://HOST:PORT/DB`. */
  url: string;
  /** Shards processed at once by this process. Default 1 (wasm scores on one thread). */
  concurrency?: number;
  /** How long a shard's lock lives without renewal; a killed worker's shard is retried by another after about this long. Default 30000 ms. */
  lockDuration?: number;
  /** `@dbvae/cli` version this worker runs. */
  version: string;
  /** Stops the worker (after the shards in progress). */
  signal?: AbortSignal;
  /** Stop after this many shards (tests, benchmarks). */
  maxShards?: number;
}

/**
 * A process-wide context for {@link processShard}: the backend is initialised once and each
 * risk model folder is loaded once, then reused by every shard.
 */
export function workerContext(version: string): ShardProcessorContext & {
  /** Frees every risk model loaded so far. */
  dispose(): void;
} {
  const models = new Map<string, Promise<LoadedRiskModel>>();
  let backend: Promise<unknown> | undefined;
  return {
    version,
    loadRiskModel: (dir) => {
      let p = models.get(dir);
      if (!p) {
        p = (async () => {
          backend ??= import('@dbvae/backend').then(({ initBackend }) => initBackend());
          await backend;
          const { loadRiskModel } = await import('../scoring/risk-model-store');
          return loadRiskModel(dir);
        })();
        p.catch(() => models.delete(dir));
        models.set(dir, p);
      }
      return p;
    },
    inputSize: async (dir) => {
      const { readRiskModelManifest } = await import('../scoring/risk-model-store');
      const [h, w] = (await readRiskModelManifest(dir)).inputShape;
      return [h, w];
    },
    openSource: async (path, size): Promise<ImageSource> => (await import('@dbvae/core-data')).openImageSource(path, { size }),
    dispose: () => {
      for (const p of models.values()) void p.then((m) => m.dispose()).catch(() => undefined);
      models.clear();
    },
  };
}

/**
 * Runs a BullMQ worker on the shard queue until `signal` aborts (or `maxShards` are done):
 * each job goes through {@link processShard}; errors with an unrecoverable code fail the job
 * at once, others are retried by BullMQ. Connection drops (a Redis restart) are ridden out.
 * @throws QueueConnectionError when Redis cannot be reached at start.
 */
export async function runShardWorker(options: ShardWorkerOptions, io: CliIO): Promise<number> {
  const { url, concurrency = 1, lockDuration = 30_000, version, signal, maxShards } = options;
  const { Worker, UnrecoverableError } = await import('bullmq');
  const connection = await connectQueue(url, { onConnectionChange: (state, detail) => io.stderr.write(state === 'lost' ? `dbvae worker: lost Redis (${detail}); retrying...\n` : `dbvae worker: Redis is back (${detail}).\n`) });
  const context = workerContext(version);
  let done = 0;
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const worker = new Worker<ShardJobData, ShardJobResult>(
    SHARD_QUEUE,
    async (job, _token, jobSignal) => {
      try {
        const started = Date.now();
        io.stderr.write(`dbvae worker: ${job.data.jobName} shard ${job.data.shard} started (attempt ${job.attemptsMade + 1})\n`);
        const result = await processShard(job.data, context, jobSignal);
        io.stderr.write(`dbvae worker: ${job.data.jobName} shard ${job.data.shard} (${result.rows.length} rows) in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
        return result;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== undefined && UNRECOVERABLE_CODES.has(code)) throw new UnrecoverableError(`${code}: ${(error as Error).message}`);
        throw error;
      }
    },
    { connection, concurrency, lockDuration, stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)), maxStalledCount: 3, autorun: true },
  );
  worker.on('completed', () => {
    done++;
    if (maxShards !== undefined && done >= maxShards) stop();
  });
  worker.on('failed', (job, error) => io.stderr.write(`dbvae worker: ${job ? `${job.data.jobName} shard ${job.data.shard}` : 'a job'} failed: ${error.message}\n`));
  worker.on('error', (error) => io.stderr.write(`dbvae worker: ${error.message}\n`));
  signal?.addEventListener('abort', () => stop(), { once: true });
  if (signal?.aborted) stop();
  io.stderr.write(`dbvae worker: waiting for shards on ${url} (queue ${SHARD_QUEUE}, concurrency ${concurrency})\n`);
  await stopped;
  await worker.close();
  context.dispose();
  connection.disconnect();
  return done;
}
