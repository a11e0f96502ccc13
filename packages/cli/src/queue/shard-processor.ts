import { DbvaeError } from '@dbvae/backend';
import type { RiskScoreRow } from '../risk-output';
import type { ChunkScorer } from '../scoring/chunk-scorer';
import { scoreChunk } from '../scoring/score-range';
import type { ShardJobData, ShardJobResult } from './shard-job';

/** A shard job that no retry can fix: another package version, another risk model, bad shard bounds. `code` says which. */
export class ShardRejectedError extends DbvaeError {
  override readonly name: string = 'ShardRejectedError';
}

/** What the processor needs from its process: the version it runs and its (cached) risk models. */
export interface ShardProcessorContext {
  /** `@dbvae/cli` version of this worker. */
  version: string;
  /** Loads a risk model folder (once per process: callers cache it). */
  loadRiskModel(dir: string): Promise<{
    /** Fingerprint of the folder's files (see `LoadedRiskModel.id`). */
    id: string;
    /** Scores chunks with the model. */
    scorer: ChunkScorer;
  }>;
  /** Opens the data (once per shard). */
  openSource(path: string, size: [number, number]): Promise<import('@dbvae/core-data').ImageSource>;
  /** Input size of a risk model folder. */
  inputSize(dir: string): Promise<[number, number]>;
}

/**
 * Scores one shard: a plain function of the job's data (no BullMQ in it), so it is tested as a
 * function and runs unchanged in any process. Chunks are scored with their global chunk seeds,
 * so the rows equal those of a single-process run. Images that cannot be read come back as
 * rows with `error`; a shard whose file cannot be opened gives every row that error.
 * @throws ShardRejectedError (`E_VERSION_MISMATCH`, `E_RISK_MODEL_MISMATCH`, `E_INVALID_ARGUMENT`) for jobs no retry can fix.
 */
export async function processShard(data: ShardJobData, context: ShardProcessorContext, signal?: AbortSignal): Promise<ShardJobResult> {
  if (data.version !== context.version) {
    throw new ShardRejectedError(`shard ${data.shard} of job '${data.jobName}' was queued by @dbvae/cli ${data.version} but this worker runs ${context.version}; run workers of the coordinator's version.`, 'E_VERSION_MISMATCH');
  }
  if (!(Number.isInteger(data.start) && Number.isInteger(data.end) && Number.isInteger(data.chunkSize) && data.chunkSize > 0 && data.start >= 0 && data.start < data.end && data.start % data.chunkSize === 0)) {
    throw new ShardRejectedError(`shard ${data.shard} of job '${data.jobName}': bad bounds [${data.start}, ${data.end}) for chunks of ${data.chunkSize}.`, 'E_INVALID_ARGUMENT');
  }
  const model = await context.loadRiskModel(data.riskModelDir);
  if (model.id !== data.riskModelId) {
    throw new ShardRejectedError(
      `shard ${data.shard} of job '${data.jobName}': the risk model at ${data.riskModelDir} on this worker (${model.id.slice(0, 12)}) differs from the coordinator's (${data.riskModelId.slice(0, 12)}); give every machine the same --save-risk-model folder.`,
      'E_RISK_MODEL_MISMATCH',
    );
  }
  let source: import('@dbvae/core-data').ImageSource;
  try {
    source = await context.openSource(data.data, await context.inputSize(data.riskModelDir));
  } catch (error) {
    if (!(error instanceof DbvaeError)) throw error;
    const reason = `cannot read ${data.data}: ${error.message}`;
    return { rows: Array.from({ length: data.end - data.start }, (_, i) => ({ index: data.start + i, error: reason })) };
  }
  const rows: RiskScoreRow[] = [];
  try {
    for (let first = data.start; first < data.end; first += data.chunkSize) {
      if (signal?.aborted) throw new DbvaeError(`shard ${data.shard} was cancelled.`, 'E_CANCELLED');
      const chunkRows = await scoreChunk(source, first / data.chunkSize, data.chunkSize, model.scorer);
      rows.push(...chunkRows.filter((r) => r.index < data.end));
      // Lets the worker renew its lock between chunks (scoring itself is synchronous).
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    await source.close();
  }
  return { rows };
}
