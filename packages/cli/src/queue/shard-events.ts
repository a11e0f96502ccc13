import type { Redis } from 'ioredis';
import { SHARD_QUEUE } from './shard-job';

/** What a {@link ShardObserver} reports about the shards of one job. */
export interface ShardObserverHandlers {
  /** A shard's job completed (its rows are in Redis until the coordinator takes them). */
  onSettled(jobId: string): void;
  /** A shard's attempt failed (it may still be retried). */
  onFailed(jobId: string, reason: string): void;
}

/** A watcher of the shard queue's events: never a worker, never a producer. */
export interface ShardObserver {
  /** Stops watching and closes the observer's own Redis connection. */
  close(): Promise<void>;
}

/**
 * Watches the queue's `completed` / `failed` events (BullMQ `QueueEvents`) for the jobs whose
 * id starts with `jobName.`, so the coordinator wakes as soon as a shard settles.
 */
export async function observeShards(connection: Redis, jobName: string, handlers: ShardObserverHandlers): Promise<ShardObserver> {
  const { QueueEvents } = await import('bullmq');
  const events = new QueueEvents(SHARD_QUEUE, { connection: connection.duplicate() });
  const mine = (id: string): boolean => id.startsWith(`${jobName}.`);
  events.on('completed', ({ jobId }) => {
    if (mine(jobId)) handlers.onSettled(jobId);
  });
  events.on('failed', ({ jobId, failedReason }) => {
    if (mine(jobId)) handlers.onFailed(jobId, failedReason);
  });
  events.on('error', () => undefined); // connection drops are ridden out by ioredis; the coordinator also polls
  await events.waitUntilReady();
  return { close: () => events.close() };
}
