import type { RiskScoreRow } from '../risk-output';

/** Name of the BullMQ queue `dbvae risk --queue` and `dbvae worker` share. */
export const SHARD_QUEUE = 'dbvae-risk-shards';

/** Data of one shard job: everything a worker needs, as plain JSON. */
export interface ShardJobData {
  /** `@dbvae/cli` version of the coordinator; a worker of another version refuses the job. */
  version: string;
  /** Name of the whole job (a run of `dbvae risk --queue`). */
  jobName: string;
  /** Shard number, from 0. */
  shard: number;
  /** Data path, as the workers see it (a shared file system). */
  data: string;
  /** First image of the shard. */
  start: number;
  /** One past its last image. */
  end: number;
  /** Images per chunk; `start` is a multiple of it, and chunk seeds follow the chunk's global index. */
  chunkSize: number;
  /** Run seed. */
  seed: number;
  /** Risk model folder, as the workers see it. */
  riskModelDir: string;
  /** Fingerprint of the coordinator's risk model; a worker whose folder differs refuses the job. */
  riskModelId: string;
}

/** Result of a shard job: its rows, in input order (failed images carry `error`). */
export interface ShardJobResult {
  /** One row per image of the shard, in input order. */
  rows: RiskScoreRow[];
}

/** BullMQ job id of a shard (`:` is reserved by BullMQ, hence the dot). */
export function shardJobId(jobName: string, shard: number): string {
  return `${jobName}.${shard}`;
}
