import packageJson from '../../package.json';
import { str, type CliIO, type CommandDefinition } from '../command';
import { parseQueueUrl } from '../queue/connection';

/** Options of `dbvae worker`. */
export interface WorkerOptions {
  /** `redis://HOST:PORT/DB`. */
  queue: string;
  /** Shards processed at once. */
  concurrency: number;
  /** Lock duration of a shard in milliseconds. */
  lockMs: number;
  /** Stop after this many shards (0 = run until interrupted). */
  maxShards: number;
}

/**
 * Processes shards queued by `dbvae risk --queue` until interrupted (SIGINT/SIGTERM finish the
 * shards in progress first).
 * @throws QueueConnectionError when Redis cannot be reached.
 */
export async function runWorker(options: WorkerOptions, io: CliIO): Promise<void> {
  const { runShardWorker } = await import('../queue/shard-worker');
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const done = await runShardWorker(
      { url: options.queue, concurrency: options.concurrency, lockDuration: options.lockMs, version: packageJson.version, signal: controller.signal, maxShards: options.maxShards > 0 ? options.maxShards : undefined },
      io,
    );
    io.stdout.write(`dbvae worker: ${done} shards done\n`);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** `dbvae worker`. */
export const workerCommand: CommandDefinition<WorkerOptions> = {
  name: 'worker',
  summary: 'Score shards queued by dbvae risk --queue (BullMQ on Redis).',
  description:
    'Connects to the Redis of --queue and scores the shards that `dbvae risk --queue` enqueues, until interrupted. Run any number of workers on any machines that can read the data and the risk model folder at the paths the coordinator gave. A worker loads each risk model once. A killed worker\'s shard is retried by another after about --lock-ms; a worker of another dbvae version, or whose risk model folder differs from the coordinator\'s, fails the shard with a message saying so.',
  options: [
    { name: 'queue', kind: 'string', required: true, placeholder: '<redis://host:port/db>', description: 'Redis of the queue' },
    { name: 'concurrency', kind: 'int', default: 1, min: 1, description: 'Shards processed at once' },
    { name: 'lock-ms', kind: 'int', default: 30000, min: 1000, description: 'Lock of a shard in progress; a killed worker\'s shard is retried after about this long' },
    { name: 'max-shards', kind: 'int', default: 0, min: 0, description: 'Stop after this many shards (0 = run until interrupted)' },
  ],
  examples: ['dbvae worker --queue redis://127.0.0.1:6379/0', 'dbvae worker --queue redis://queue.internal:6379/2 --lock-ms 60000'],
  toOptions: (v) => {
    const queue = str(v, 'queue');
    parseQueueUrl(queue);
    return { queue, concurrency: v.concurrency as number, lockMs: v['lock-ms'] as number, maxShards: v['max-shards'] as number };
  },
  run: runWorker,
};
