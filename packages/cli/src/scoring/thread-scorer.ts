import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Worker as NodeWorker } from 'node:worker_threads';
import { DbvaeError } from '@dbvae/backend';
import type { ChunkScorer, ScoredImage } from './chunk-scorer';
import type { FromScoreThread, ToScoreThread } from './thread-protocol';

/** A {@link ChunkScorer} spread over worker threads. */
export interface ThreadScorer {
  /** Scores a chunk on the next free thread. */
  scorer: ChunkScorer;
  /** Number of threads. */
  readonly threads: number;
  /** Stops the threads. */
  close(): Promise<void>;
}

/** A scoring thread failed (its message is the thread's). `code` is the thread error's code, or `'E_SCORE_THREAD'`. */
export class ScoreThreadError extends DbvaeError {
  override readonly name: string = 'ScoreThreadError';

  constructor(message: string, code = 'E_SCORE_THREAD') {
    super(message, code);
  }
}

/** The thread file beside this module: `.ts` when running from source, `.js`/`.cjs` when built. */
function threadUrl(): { url: URL; fromSource: boolean } {
  const here = import.meta.url;
  const ext = here.endsWith('.ts') ? '.ts' : here.endsWith('.cjs') ? '.cjs' : '.js';
  // From source this module sits beside score-thread.ts; built, tsup emits score-thread.js beside the bundle.
  return { url: new URL(ext === '.ts' ? './score-thread.ts' : `./score-thread${ext}`, here), fromSource: ext === '.ts' };
}

/**
 * Starts the TypeScript thread when running from this monorepo's sources (tests, `pnpm dev`):
 * tsx compiles it with the workspace's mapping of the @dbvae packages to their sources, as
 * `@dbvae/models`' data-parallel trainer does (`--import tsx` in a worker's execArgv is ignored by Node 20).
 */
function sourceThread(WorkerClass: typeof NodeWorker, url: URL): NodeWorker {
  const require = createRequire(import.meta.url);
  const tsxApi = pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const tsconfig = fileURLToPath(new URL('../../../../tsconfig.json', url));
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register({ tsconfig: ${JSON.stringify(tsconfig)} }); return import(${JSON.stringify(url.href)}); })`;
  return new WorkerClass(bootstrap, { eval: true });
}

/**
 * Starts `threads` worker threads, each loading the risk model folder on its own tfjs engine,
 * and returns a scorer that sends each chunk to a free thread (chunks wait when all are busy).
 * @throws ScoreThreadError when a thread cannot load the model.
 */
export async function createThreadScorer(riskModelDir: string, threads: number, backend?: string): Promise<ThreadScorer> {
  const { Worker } = await import('node:worker_threads');
  const { url, fromSource } = threadUrl();
  const workers: NodeWorker[] = [];
  const idle: NodeWorker[] = [];
  const waiting: Array<(w: NodeWorker) => void> = [];
  const pending = new Map<number, { resolve: (s: ScoredImage[]) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let closed = false;
  const release = (w: NodeWorker): void => {
    const take = waiting.shift();
    if (take) take(w);
    else idle.push(w);
  };
  try {
    await Promise.all(
      Array.from({ length: threads }, async () => {
        const w = fromSource ? sourceThread(Worker, url) : new Worker(url);
        workers.push(w);
        await new Promise<void>((resolve, reject) => {
          w.on('message', (m: FromScoreThread) => {
            if (m.type === 'ready') resolve();
            else if (m.type === 'scores') {
              pending.get(m.id)?.resolve(m.scores);
              pending.delete(m.id);
              release(w);
            } else {
              const err = new ScoreThreadError(m.message, m.code);
              if (m.id === undefined) reject(err);
              else {
                pending.get(m.id)?.reject(err);
                pending.delete(m.id);
                release(w);
              }
            }
          });
          w.on('error', (e) => {
            reject(e);
            for (const p of pending.values()) p.reject(new ScoreThreadError(`a scoring thread crashed: ${e.message}`));
            pending.clear();
          });
          w.on('exit', (code) => {
            if (!closed) for (const p of pending.values()) p.reject(new ScoreThreadError(`a scoring thread exited (code ${code})`));
          });
          w.postMessage({ type: 'init', riskModelDir, backend } satisfies ToScoreThread);
        });
        idle.push(w);
      }),
    );
  } catch (error) {
    closed = true;
    await Promise.all(workers.map((w) => w.terminate()));
    throw error instanceof DbvaeError ? error : new ScoreThreadError(`cannot start a scoring thread: ${(error as Error).message}`);
  }
  const scorer: ChunkScorer = async (images, n, height, width, context) => {
    const w = idle.pop() ?? (await new Promise<NodeWorker>((resolve) => waiting.push(resolve)));
    const id = nextId++;
    return new Promise<ScoredImage[]>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      // A copy is sent (not transferred): the caller keeps its chunk.
      w.postMessage({ type: 'score', id, images, n, height, width, offset: context.offset } satisfies ToScoreThread);
    });
  };
  return {
    scorer,
    threads,
    close: async () => {
      closed = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
