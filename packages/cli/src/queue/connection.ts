import type { Redis } from 'ioredis';
import { CliError, UsageError } from '../errors';

/**
 * Redis cannot be reached (refused, unknown host, timeout) or answers with an error before any
 * work starts. Exit code 1; `code` is `'E_QUEUE_UNREACHABLE'`.
 */
export class QueueConnectionError extends CliError {
  override readonly name: string = 'QueueConnectionError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_QUEUE_UNREACHABLE', 1, options);
  }
}

/** Host, port and database of a `redis://HOST:PORT/DB` URL. */
export interface QueueAddress {
  /** Redis host name or address. */
  host: string;
  /** Redis port (default 6379). */
  port: number;
  /** Redis database number (default 0). */
  db: number;
  /** Password from `redis://:password@host`, if any. */
  password?: string;
}

/**
 * Parses `--queue redis://HOST:PORT/DB` (port default 6379, database default 0).
 * @throws UsageError for another scheme, a bad port or database.
 */
export function parseQueueUrl(url: string): QueueAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--queue ${url}: not a URL; write redis://HOST:PORT/DB, e.g. redis://127.0.0.1:6379/0.`);
  }
  if (u.protocol !== 'redis:') throw new UsageError(`--queue ${url}: only redis:// URLs are supported (BullMQ on Redis), e.g. redis://127.0.0.1:6379/0.`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new UsageError(`--queue ${url}: bad port '${u.port}'.`);
  if (!Number.isInteger(db) || db < 0) throw new UsageError(`--queue ${url}: the path must be a database number (redis://HOST:PORT/DB), got '${u.pathname}'.`);
  return { host: u.hostname || '127.0.0.1', port, db, password: u.password === '' ? undefined : decodeURIComponent(u.password) };
}

/** Options of {@link connectQueue}. */
export interface ConnectQueueOptions {
  /** Give up on the first connection after this long. Default 5000 ms. */
  timeoutMs?: number;
  /** Told when an established connection drops and when it is back (a Redis restart). */
  onConnectionChange?: (state: 'lost' | 'restored', detail: string) => void;
}

/**
 * Opens an ioredis connection for BullMQ (`maxRetriesPerRequest: null`, as BullMQ workers
 * need) and checks that Redis answers. Once connected, a dropped connection is retried forever,
 * so a Redis restart pauses the work instead of failing it.
 * @throws QueueConnectionError naming the address when Redis cannot be reached in time.
 */
export async function connectQueue(url: string, options: ConnectQueueOptions = {}): Promise<Redis> {
  const { timeoutMs = 5000, onConnectionChange } = options;
  const address = parseQueueUrl(url);
  const { Redis } = await import('ioredis');
  let connected = false;
  let lost = false;
  let lastError = '';
  const redis = new Redis({
    host: address.host,
    port: address.port,
    db: address.db,
    password: address.password,
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    retryStrategy: (times) => (connected ? Math.min(200 * times, 2000) : null),
  });
  redis.on('error', (e: Error) => {
    lastError = e.message;
    if (connected && !lost) {
      lost = true;
      onConnectionChange?.('lost', e.message);
    }
  });
  redis.on('ready', () => {
    if (lost) {
      lost = false;
      onConnectionChange?.('restored', `${address.host}:${address.port}`);
    }
  });
  const where = `${address.host}:${address.port} (database ${address.db})`;
  try {
    await Promise.race([
      (async () => {
        await redis.connect();
        await redis.ping();
      })(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
  } catch (cause) {
    redis.disconnect();
    const why = lastError || (cause as Error).message;
    throw new QueueConnectionError(`--queue ${url}: cannot reach Redis at ${where}: ${why}. Start it (e.g. 'redis-server --port ${address.port}') or check the host, port and firewall.`, { cause });
  }
  connected = true;
  return redis;
}
