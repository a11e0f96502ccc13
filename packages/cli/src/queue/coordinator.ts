import { createHash } from 'node:crypto';
import packageJson from '../../package.json';
import type { CliIO } from '../command';
import { CliError, InputError, UsageError } from '../errors';
import { formatSeconds } from '../progress';
import { ResumableRiskOutput } from '../scoring/resumable-output';
import { readRiskModelManifest, riskModelId } from '../scoring/risk-model-store';
import { scoringIdentity } from '../scoring/score-to-file';
import { connectQueue } from './connection';
import { observeShards } from './shard-events';
import { SHARD_QUEUE, shardJobId, type ShardJobData, type ShardJobResult } from './shard-job';

/** A shard failed for good (an unrecoverable error, or every attempt used). Exit code 1; `code` `'E_SHARD_FAILED'`. */
export class ShardFailedError extends CliError {
  override readonly name: string = 'ShardFailedError';

  constructor(message: string) {
    super(message, 'E_SHARD_FAILED', 1);
  }
}

/** Options of {@link runCoordinator}. */
export interface CoordinatorOptions {
  /** `redis://HOST:PORT/DB`. */
  url: string;
  /** Data path, as the workers see it. */
  data: string;
  /** Risk model folder, as the workers see it. */
  riskModelDir: string;
  /** Output `.csv` / `.json` (on this machine). */
  out: string;
  /** Images per chunk (the unit of seeding, as in single-process scoring). */
  chunkSize: number;
  /** Images per shard (a multiple of `chunkSize`). */
  shardSize: number;
  /** Run seed (part of the run's identity). */
  seed: number;
  /** Job name; default derived from the run's identity and output, so a rerun finds its job. */
  jobName?: string;
  /** Attempts per shard before it fails for good. Default 5. */
  attempts?: number;
  /** Score only the first this many images (default: all). */
  limit?: number;
  /** How often Redis is polled when no event arrives (events can be lost across a Redis restart). Default 1000 ms. */
  pollMs?: number;
}

/** What a finished coordinated run wrote. */
export interface CoordinatorResult {
  /** Rows in the output (one per image scored). */
  rows: number;
  /** Rows with an `error` instead of scores, among the shards written by this run. */
  failed: number;
  /** Shards the data was split into. */
  shards: number;
  /** Shards that an earlier coordinator had already written. */
  resumedShards: number;
  /** The job name used (pass it to a rerun to resume). */
  jobName: string;
}

const JOB_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * The producer side of queued scoring: splits the data into shards of whole chunks, enqueues
 * one BullMQ job per shard not yet written (job ids are `<job>.<shard>`, so re-adding is a
 * no-op and a restarted coordinator with the same job name picks up where it stopped), and
 * writes the shards' rows to the output strictly in shard order as they complete, printing
 * shards done, rows/s and ETA. A shard taken from Redis is removed only after its rows are on
 * disk; a shard that vanished (Redis restarted without persistence) is enqueued again.
 * @throws QueueConnectionError when Redis cannot be reached; ShardFailedError when a shard
 *   fails for good (the rows written so far stay, and a rerun resumes).
 */
export async function runCoordinator(options: CoordinatorOptions, io: CliIO): Promise<CoordinatorResult> {
  const { url, data, riskModelDir, out, chunkSize, shardSize, seed, attempts = 5, pollMs = 1000 } = options;
  if (shardSize % chunkSize !== 0) throw new UsageError(`--shard-size (${shardSize}) must be a multiple of --chunk-size (${chunkSize}).`, 'risk');
  const { openImageSource } = await import('@dbvae/core-data');
  const manifest = await readRiskModelManifest(riskModelDir);
  const [h, w] = manifest.inputShape;
  const source = await openImageSource(data, { size: [h, w] });
  const n = options.limit === undefined ? source.n : Math.min(options.limit, source.n);
  const sourceSize = [source.height, source.width];
  await source.close();
  if (sourceSize[0] !== h || sourceSize[1] !== w) throw new InputError(`--data ${data}: images are ${sourceSize[0]}x${sourceSize[1]} but the risk model takes ${h}x${w}.`);
  const modelId = await riskModelId(riskModelDir);
  const identity = { ...(await scoringIdentity(data, n, modelId, seed, chunkSize)), shardSize };
  const jobName = options.jobName ?? `risk-${createHash('sha256').update(JSON.stringify({ identity, out })).digest('hex').slice(0, 16)}`;
  if (!JOB_NAME.test(jobName)) throw new UsageError(`--job '${jobName}': use letters, digits, '-' and '_' only.`, 'risk');
  const shards = Math.ceil(n / shardSize);
  const connection = await connectQueue(url, {
    onConnectionChange: (state, detail) => io.stderr.write(state === 'lost' ? `dbvae risk: lost Redis (${detail}); waiting for it (rows written so far are safe)...\n` : `dbvae risk: Redis is back (${detail}); re-checking the shards.\n`),
  });
  const output = await ResumableRiskOutput.open(out, { ...identity, jobName }).catch((error: unknown) => {
    connection.disconnect();
    throw error;
  });
  const { Queue, Job } = await import('bullmq');
  const queue = new Queue<ShardJobData, ShardJobResult>(SHARD_QUEUE, { connection });
  let wake: () => void = () => undefined;
  const failures = new Map<string, string>();
  const observer = await observeShards(connection, jobName, {
    onSettled: () => wake(),
    onFailed: (jobId, reason) => {
      failures.set(jobId, reason);
      wake();
    },
  });
  const resumedShards = output.unitsDone;
  const jobData = (shard: number): ShardJobData => ({
    version: packageJson.version,
    jobName,
    shard,
    data,
    start: shard * shardSize,
    end: Math.min(n, (shard + 1) * shardSize),
    chunkSize,
    seed,
    riskModelDir,
    riskModelId: modelId,
  });
  const enqueue = async (from: number, to: number): Promise<void> => {
    const batch = Array.from({ length: to - from }, (_, i) => from + i).map((shard) => ({
      name: jobName,
      data: jobData(shard),
      opts: { jobId: shardJobId(jobName, shard), attempts, backoff: { type: 'exponential' as const, delay: 1000, jitter: 0.5 }, removeOnComplete: false, removeOnFail: false },
    }));
    for (let i = 0; i < batch.length; i += 500) await queue.addBulk(batch.slice(i, i + 500));
  };
  let failedRows = 0;
  try {
    if (resumedShards > 0) io.stderr.write(`Resuming job '${jobName}': ${resumedShards} of ${shards} shards (${output.rowsDone} rows) are already in ${out}.\n`);
    // A shard that failed for good in an earlier coordinator run gets fresh attempts.
    for (let s = resumedShards; s < shards; s++) {
      const old = await Job.fromId<ShardJobData, ShardJobResult>(queue, shardJobId(jobName, s));
      if (old && (await old.getState()) === 'failed') await old.remove();
    }
    await enqueue(resumedShards, shards);
    io.stderr.write(`dbvae risk: job '${jobName}': ${shards} shards of up to ${shardSize} images on ${url} (queue ${SHARD_QUEUE}); start workers with: dbvae worker --queue ${url}\n`);
    const started = Date.now();
    let rowsThisRun = 0;
    let lastReport = 0;
    for (let s = resumedShards; s < shards; ) {
      const id = shardJobId(jobName, s);
      // The state first, then the job: a job read before it completed would carry no return value.
      const state = await queue.getJobState(id);
      const job = state === 'unknown' ? undefined : await Job.fromId<ShardJobData, ShardJobResult>(queue, id);
      if (job === undefined) {
        io.stderr.write(`dbvae risk: shard ${s} is no longer in Redis (restarted without persistence?); enqueuing it and the shards after it again.\n`);
        await enqueue(s, shards);
        continue;
      }
      if (state === 'completed') {
        const rows = job.returnvalue?.rows;
        if (!Array.isArray(rows) || rows.length !== job.data.end - job.data.start || rows.some((r, i) => r.index !== job.data.start + i)) {
          throw new ShardFailedError(`shard ${s} of job '${jobName}' came back with ${Array.isArray(rows) ? rows.length : 'no'} rows for images ${job.data.start}..${job.data.end - 1}; rerun to score it again.`);
        }
        await output.append(rows);
        await job.remove().catch(() => undefined);
        failedRows += rows.filter((r) => r.error !== undefined).length;
        rowsThisRun += rows.length;
        s++;
        const now = Date.now();
        if (now - lastReport > 1000 || s === shards) {
          lastReport = now;
          const rate = rowsThisRun / Math.max(1e-3, (now - started) / 1000);
          io.stderr.write(`dbvae risk: shards ${s}/${shards}, ${output.rowsDone}/${n} rows, ${rate.toFixed(0)} rows/s, eta ${formatSeconds((n - output.rowsDone) / rate)}\n`);
        }
        continue;
      }
      if (state === 'failed') {
        const reason = job.failedReason || failures.get(id) || 'unknown reason';
        throw new ShardFailedError(`shard ${s} of job '${jobName}' failed after ${job.attemptsMade} attempt(s): ${reason}. The ${output.rowsDone} rows before it are kept in ${out}.partial.ndjson; fix the cause and rerun the same command to resume.`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await output.finish();
    return { rows: n, failed: failedRows, shards, resumedShards, jobName };
  } finally {
    await output.close();
    await observer.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    connection.disconnect();
  }
}
