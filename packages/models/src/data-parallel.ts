import { describeBackend, initBackend, NodeOnlyError, ShapeError, tf } from '@dbvae/backend';
import { ModelError } from './errors';
import { buffersOf, classifierGradients, replicatedWeights, toWire, type FromReplica, type ToReplica, type WireTensor } from './replica-protocol';
import { assertPositiveInt } from './validate';

/** The part of `node:worker_threads`' `Worker` used here (imported lazily: Node only). */
interface ReplicaThread {
  postMessage(message: ToReplica, transfer?: ArrayBuffer[]): void;
  on(event: 'message', listener: (message: FromReplica) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'exit', listener: (code: number) => void): void;
  terminate(): Promise<number>;
}

/** Options of {@link createDataParallelTrainer}. */
export interface DataParallelOptions {
  /**
   * Worker threads besides the main thread, each with a replica of the model. Default: one per
   * spare core (`os.availableParallelism() - 1`, at least 1).
   */
  workers?: number;
}

/** A classifier trainer that splits each batch between the main thread and worker replicas. */
export interface DataParallelTrainer {
  /** Replicas in worker threads (the main thread computes a share too). */
  readonly workers: number;
  /**
   * One training step on `x` (shape `[n, ...]`) and `y` (shape `[n, k]`). Every replica computes the sigmoid
   * cross-entropy gradients of its share of the batch, the main thread averages them weighted
   * by share size, applies the optimizer to the model once and sends the new weights to the
   * replicas. Resolves to the batch's mean loss. `x` and `y` stay the caller's to dispose.
   *
   * @throws ShapeError when the batch is smaller than the number of replicas or `y` does not match `x`.
   * @throws ModelError when a replica fails, or the loss is not finite.
   */
  step(x: tf.Tensor, y: tf.Tensor): Promise<number>;
  /** Stops the workers. The model and optimizer stay usable on the main thread. */
  close(): Promise<void>;
}

/** The Node modules the trainer needs, loaded on first use. */
interface NodeModules {
  workerThreads: typeof import('node:worker_threads');
  os: typeof import('node:os');
  module: typeof import('node:module');
  url: typeof import('node:url');
}

// Node's modules are loaded on first use, by specifiers in variables: this file is reached
// from `trainClassifier`, which browser apps use, and a browser bundler neither includes nor
// fails on such an import (a literal `import('node:os')` or a top-level import would break
// Vite, webpack and esbuild builds for the browser).
async function loadNodeModules(): Promise<NodeModules> {
  const load = (specifier: string): Promise<unknown> => import(/* webpackIgnore: true */ /* @vite-ignore */ specifier);
  try {
    const [workerThreads, os, module, url] = await Promise.all(['node:worker_threads', 'node:os', 'node:module', 'node:url'].map(load));
    return { workerThreads, os, module, url } as NodeModules;
  } catch {
    throw new NodeOnlyError('createDataParallelTrainer', 'In a browser, train on one thread (leave `workers` unset in trainClassifier) and run training in a Web Worker to keep the page responsive.');
  }
}

/** The worker file beside this module: `.ts` when running from source, `.js`/`.cjs` when built. */
function replicaWorkerUrl(): { url: URL; fromSource: boolean } {
  const here = import.meta.url;
  const ext = here.endsWith('.ts') ? '.ts' : here.endsWith('.cjs') ? '.cjs' : '.js';
  return { url: new URL(`./replica-worker${ext}`, here), fromSource: ext === '.ts' };
}

/**
 * Starts the TypeScript worker when running from this monorepo's sources (tests, scripts):
 * tsx compiles it, with the workspace's mapping of the @dbvae packages to their sources.
 * (`--import tsx` in a worker's execArgv is ignored by Node 20, hence the bootstrap.)
 */
function sourceWorker(node: NodeModules, url: URL): unknown {
  const { createRequire } = node.module;
  const { fileURLToPath, pathToFileURL } = node.url;
  const require = createRequire(import.meta.url);
  const tsxApi = pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const tsconfig = fileURLToPath(new URL('../../../tsconfig.json', url));
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register({ tsconfig: ${JSON.stringify(tsconfig)} }); return import(${JSON.stringify(url.href)}); })`;
  return new node.workerThreads.Worker(bootstrap, { eval: true });
}

/** Splits n rows into `parts` contiguous shares whose sizes differ by at most one. */
function shareSizes(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

/**
 * Data-parallel training of a binary (or multi-label) classifier on logits, as
 * {@link classifierTrainStep} does it, over the main thread and worker threads. Each worker
 * runs its own tfjs backend, so on the single-threaded wasm backend a 2-core machine trains up
 * to twice as fast. The model and optimizer stay the caller's: the main thread applies every
 * update, and the replicas only compute gradients.
 *
 * Semantics are those of PyTorch's DistributedDataParallel: the gradient is the share-size
 * weighted mean of the replicas' gradients, which equals the whole batch's gradient for models
 * without batch statistics; batch norm normalises each share by its own statistics (as
 * per-replica batch norm does), and the moving statistics become the share-weighted mean of the
 * replicas'. The model must be serialisable (`model.toJSON()`; custom layers must be
 * registered in the worker too, so only built-in layers are supported) with float32 weights.
 *
 * Node.js only (worker threads); in a browser it throws `NodeOnlyError`. Call {@link DataParallelTrainer.close} when done.
 *
 * @example
 * ```ts
 * const model = buildStandardClassifier();
 * const trainer = await createDataParallelTrainer(model, tf.train.adam(5e-4));
 * for (const { x, y } of batches) await trainer.step(x, y);
 * await trainer.close();
 * ```
 * @throws InvalidArgumentError for a bad `workers` count or a non-float32 weight.
 */
export async function createDataParallelTrainer(model: tf.LayersModel, optimizer: tf.Optimizer, options: DataParallelOptions = {}): Promise<DataParallelTrainer> {
  const node = await loadNodeModules();
  const { os } = node;
  const { Worker } = node.workerThreads;
  const workers = options.workers ?? Math.max(1, (os.availableParallelism?.() ?? os.cpus().length) - 1);
  assertPositiveInt('createDataParallelTrainer', 'workers', workers);
  await initBackend();
  const backend = describeBackend()?.name ?? 'wasm';
  const { url, fromSource } = replicaWorkerUrl();
  const state = model.nonTrainableWeights;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const modelJson = JSON.stringify(model.toJSON(null, false));
  // A fresh copy for each replica: the buffers are transferred, not shared.
  const weightsOnWire = (): WireTensor[] => replicatedWeights(model).map((w) => toWire(w.read()));

  let failure: Error | undefined;
  const pending = new Map<number, { resolve: (m: FromReplica & { type: 'gradients' }) => void; reject: (e: Error) => void }>();
  const fail = (error: Error): void => {
    failure ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  let nextId = 0;
  let closed = false;

  const threads: ReplicaThread[] = [];
  const ready: Array<Promise<void>> = [];
  for (let r = 0; r < workers; r++) {
    const thread = (fromSource ? sourceWorker(node, url) : new Worker(url)) as unknown as ReplicaThread;
    threads.push(thread);
    ready.push(
      new Promise<void>((resolve, reject) => {
        thread.on('message', (message) => {
          if (message.type === 'ready') return resolve();
          const waiting = message.id === undefined ? undefined : pending.get(message.id);
          if (message.id !== undefined) pending.delete(message.id);
          if (message.type === 'gradients') waiting?.resolve(message);
          else {
            const error = new ModelError(`data-parallel replica ${r + 1} failed: ${message.message}`);
            // A failed step leaves the replicas in sync (nothing was applied): only that step fails.
            if (waiting) waiting.reject(error);
            else {
              reject(error);
              fail(error);
            }
          }
        });
        thread.on('exit', (code) => {
          if (!closed) fail(new ModelError(`data-parallel replica ${r + 1} exited (code ${code}); create a new trainer.`));
        });
        thread.on('error', (error) => {
          const wrapped = new ModelError(`data-parallel replica ${r + 1} crashed: ${error.message}`, { cause: error });
          reject(wrapped);
          fail(wrapped);
        });
      }),
    );
    const weights = weightsOnWire();
    thread.postMessage({ type: 'init', backend, modelJson, weights }, buffersOf(weights));
  }
  try {
    await Promise.all(ready);
  } catch (error) {
    await Promise.all(threads.map((t) => t.terminate()));
    throw error;
  }

  const step = async (x: tf.Tensor, y: tf.Tensor): Promise<number> => {
    if (closed) throw new ModelError('createDataParallelTrainer: step() after close(); create a new trainer.');
    if (failure) throw failure;
    const n = x.shape[0] ?? 0;
    if (y.shape[0] !== n) throw new ShapeError(`DataParallelTrainer.step: x has ${n} rows but y has ${y.shape[0]}.`);
    if (n < workers + 1) throw new ShapeError(`DataParallelTrainer.step: a batch of ${n} cannot be shared by ${workers + 1} replicas; use batches of at least ${workers + 1}.`);
    const expectedY = [n, ...(model.outputs[0]?.shape.slice(1) ?? [])];
    if (y.shape.length !== expectedY.length || y.shape.some((d, i) => expectedY[i] !== null && d !== expectedY[i])) {
      throw new ShapeError(`DataParallelTrainer.step: y must have shape [${expectedY.map((d) => d ?? 'any')}] (one target per logit), got [${y.shape}].`);
    }
    const expectedX = model.inputs[0]?.shape ?? [];
    if (x.shape.length !== expectedX.length || x.shape.some((d, i) => i > 0 && expectedX[i] !== null && d !== expectedX[i])) {
      throw new ShapeError(`DataParallelTrainer.step: x must have shape [${expectedX.map((d) => d ?? 'n')}], got [${x.shape}].`);
    }
    const sizes = shareSizes(n, workers + 1);
    // The main thread takes the first share; workers get theirs before it starts computing.
    const replies: Array<Promise<FromReplica & { type: 'gradients' }>> = [];
    let begin = sizes[0] as number;
    threads.forEach((thread, r) => {
      const size = sizes[r + 1] as number;
      const [xs, ys] = tf.tidy(() => [tf.slice(x, begin, size), tf.slice(y, begin, size)]);
      const xw = toWire(xs as tf.Tensor);
      const yw = toWire(ys as tf.Tensor);
      tf.dispose([xs as tf.Tensor, ys as tf.Tensor]);
      begin += size;
      const id = nextId++;
      replies.push(new Promise((resolve, reject) => pending.set(id, { resolve, reject })));
      thread.postMessage({ type: 'step', id, x: xw, y: yw, weight: size / n }, buffersOf([xw, yw]));
    });
    let own: ReturnType<typeof classifierGradients>;
    try {
      own = tf.tidy(() => classifierGradients(model, tf.slice(x, 0, sizes[0]), tf.slice(y, 0, sizes[0]), (sizes[0] as number) / n));
    } catch (error) {
      // Let the replicas finish this step so that the next one starts in sync.
      await Promise.allSettled(replies);
      throw error;
    }
    let others: Array<FromReplica & { type: 'gradients' }>;
    try {
      others = await Promise.all(replies);
    } catch (error) {
      tf.dispose(own.gradients);
      throw error;
    }

    const loss = (own.loss * (sizes[0] as number) + others.reduce((s, o, r) => s + o.loss * (sizes[r + 1] as number), 0)) / n;
    if (!Number.isFinite(loss)) {
      tf.dispose(own.gradients);
      throw new ModelError(`DataParallelTrainer.step: the loss became ${loss}; lower the learning rate or check the inputs for NaN.`);
    }
    const share = (r: number): number => (sizes[r] as number) / n;
    tf.tidy(() => {
      const averaged: tf.NamedTensorMap = {};
      // Every share's gradient comes scaled by its share of the batch: the mean is their sum.
      variables.forEach((v, i) => {
        let g = own.gradients[i] as tf.Tensor;
        for (const o of others) {
          const w = o.gradients[i] as WireTensor;
          g = tf.add(g, tf.tensor(w.values, w.shape, 'float32'));
        }
        averaged[v.name] = g;
      });
      optimizer.applyGradients(averaged);
      state.forEach((s, i) => {
        let mean = tf.mul(s.read(), share(0));
        others.forEach((o, r) => {
          const w = o.state[i] as WireTensor;
          mean = tf.add(mean, tf.mul(tf.tensor(w.values, w.shape, 'float32'), share(r + 1)));
        });
        s.write(mean);
      });
    });
    tf.dispose(own.gradients);
    for (const thread of threads) {
      const weights = weightsOnWire();
      thread.postMessage({ type: 'weights', weights }, buffersOf(weights));
    }
    return loss;
  };

  return {
    workers,
    step,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(threads.map((t) => t.terminate()));
    },
  };
}
