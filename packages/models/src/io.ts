import { FileSystemIOError, InvalidArgumentError, fileSystemIOHandler as backendFileSystemIOHandler, tf } from '@dbvae/backend';
import { DBVAE, DEFAULT_DBVAE_CONFIG, type DBVAEConfig } from './dbvae';
import { CheckpointError } from './errors';

const FORMAT = 'dbvae-checkpoint';
const FORMAT_VERSION = 1;
const MODEL_PREFIX = 'model/';
const OPTIMIZER_PREFIX = 'optimizer/';

/**
 * A tfjs IOHandler that saves to and loads from a directory with Node's fs: `model.json`
 * (topology, weight manifest, metadata) and `weights.bin`, the layout of tfjs's own file
 * format. Works for any model artifacts (e.g. `layersModel.save(fileSystemIOHandler(dir))`).
 * The handler of `@dbvae/backend`, with its errors reported as `CheckpointError`.
 *
 * @param path - A directory, with or without a leading `file://`.
 * @throws CheckpointError (on save/load) when the files cannot be written or read.
 */
export function fileSystemIOHandler(path: string): tf.io.IOHandler {
  const inner = backendFileSystemIOHandler(path);
  const asCheckpointError = (error: unknown): never => {
    if (error instanceof FileSystemIOError) throw new CheckpointError(error.message, { cause: error.cause });
    throw error;
  };
  return {
    save: (artifacts: tf.io.ModelArtifacts) => (inner.save as NonNullable<tf.io.IOHandler['save']>)(artifacts).catch(asCheckpointError),
    load: () => (inner.load as NonNullable<tf.io.IOHandler['load']>)().catch(asCheckpointError),
  };
}

/** A destination: a URL (`file://dir` in Node; `indexeddb://name`, `localstorage://name`, `downloads://name` in a browser) or an IOHandler. */
export type ModelDestination = string | tf.io.IOHandler;

function resolveHandler(dest: ModelDestination, kind: 'save' | 'load'): tf.io.IOHandler {
  if (typeof dest !== 'string') {
    if (!dest || (kind === 'save' ? typeof dest.save !== 'function' : typeof dest.load !== 'function')) {
      throw new InvalidArgumentError(`DB-VAE ${kind}: the IOHandler has no ${kind}() method.`);
    }
    return dest;
  }
  if (dest.startsWith('file://')) return fileSystemIOHandler(dest);
  const handlers = kind === 'save' ? tf.io.getSaveHandlers(dest) : tf.io.getLoadHandlers(dest);
  const handler = handlers[0];
  if (!handler) {
    throw new InvalidArgumentError(`DB-VAE ${kind}: no IO handler for '${dest}'; use file://<dir> in Node or indexeddb://, localstorage://, downloads:// in a browser.`);
  }
  return handler;
}

/** Options of {@link saveDBVAE}. */
export interface SaveDBVAEOptions {
  /** Optimizer whose state (e.g. Adam's moments and step count) is saved too, to resume training. */
  optimizer?: tf.Optimizer;
  /** The next epoch to run when resuming (e.g. `history.nextEpoch`). */
  epoch?: number;
  /** Any JSON-serialisable metadata (training options, data description). */
  metadata?: Record<string, unknown>;
}

/** What {@link loadDBVAE} restores. */
export interface LoadedDBVAE {
  /** The model with its saved weights. */
  model: DBVAE;
  /** The optimizer with its saved state, when one was saved (an Adam with the saved settings). */
  optimizer?: tf.Optimizer;
  /** The saved next epoch (0 when none). */
  epoch: number;
  /** The saved metadata. */
  metadata: Record<string, unknown>;
}

interface SavedTopology {
  format: string;
  formatVersion: number;
  config: DBVAEConfig;
  optimizer?: { className: string; config: tf.serialization.ConfigDict };
  epoch: number;
  metadata: Record<string, unknown>;
}

/**
 * Saves a DB-VAE with its configuration (and, optionally, its optimizer's state and the epoch
 * to resume at) in one artifact: `file://dir` in Node (via {@link fileSystemIOHandler}),
 * `indexeddb://`, `localstorage://` or `downloads://` in a browser, or any IOHandler.
 *
 * @throws InvalidArgumentError for an unknown destination; CheckpointError when writing fails.
 * @example
 * await saveDBVAE(model, 'file://./checkpoints/dbvae', { optimizer: history.optimizer, epoch: history.nextEpoch });
 */
export async function saveDBVAE(model: DBVAE, destination: ModelDestination, options: SaveDBVAEOptions = {}): Promise<tf.io.SaveResult> {
  const handler = resolveHandler(destination, 'save');
  const named: Array<{ name: string; tensor: tf.Tensor }> = [];
  const seen = new Set<string>();
  for (const w of [...model.encoder.weights, ...model.decoder.weights]) {
    const name = `${MODEL_PREFIX}${w.originalName}`;
    if (seen.has(name)) throw new CheckpointError(`saveDBVAE: two weights are named ${w.originalName}.`);
    seen.add(name);
    named.push({ name, tensor: w.read() });
  }
  let optimizerInfo: SavedTopology['optimizer'];
  // getWeights makes a fresh scalar for the step count (Adam's 'iter'); the rest are the optimizer's own variables.
  const fresh: tf.Tensor[] = [];
  if (options.optimizer) {
    const ow = await options.optimizer.getWeights();
    ow.forEach((t, i) => named.push({ name: `${OPTIMIZER_PREFIX}${i}/${t.name}`, tensor: t.tensor }));
    for (const t of ow) if (t.name === 'iter') fresh.push(t.tensor);
    optimizerInfo = { className: options.optimizer.getClassName(), config: options.optimizer.getConfig() };
  }
  let encoded: Awaited<ReturnType<typeof tf.io.encodeWeights>>;
  try {
    encoded = await tf.io.encodeWeights(named);
  } finally {
    tf.dispose(fresh);
  }
  const { data, specs } = encoded;
  const topology: SavedTopology = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    config: { ...model.config },
    ...(optimizerInfo ? { optimizer: optimizerInfo } : {}),
    epoch: options.epoch ?? 0,
    metadata: options.metadata ?? {},
  };
  return handler.save!({
    modelTopology: topology as unknown as tf.io.ModelArtifacts['modelTopology'],
    format: FORMAT,
    generatedBy: '@dbvae/models',
    convertedBy: null,
    weightSpecs: specs,
    weightData: data,
  });
}

/**
 * Loads a DB-VAE saved by {@link saveDBVAE}: rebuilds it from its configuration, restores its
 * weights and, when saved, the optimizer with its state (so `trainDBVAE(model, data,
 * { optimizer, initialEpoch: epoch })` resumes where training stopped).
 *
 * @throws CheckpointError when the artifact is not a dbvae checkpoint or its weights do not match.
 */
export async function loadDBVAE(source: ModelDestination): Promise<LoadedDBVAE> {
  const handler = resolveHandler(source, 'load');
  const artifacts = await handler.load!();
  const topology = artifacts.modelTopology as unknown as SavedTopology | undefined;
  if (!topology || topology.format !== FORMAT || !topology.config) {
    throw new CheckpointError('loadDBVAE: this artifact is not a DB-VAE checkpoint (written by saveDBVAE).');
  }
  if (topology.formatVersion > FORMAT_VERSION) throw new CheckpointError(`loadDBVAE: checkpoint format ${topology.formatVersion} is newer than this library's ${FORMAT_VERSION}; upgrade @dbvae/models.`);
  if (!artifacts.weightSpecs || artifacts.weightData === undefined) throw new CheckpointError('loadDBVAE: the checkpoint has no weights.');
  const values = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  const model = new DBVAE({ ...DEFAULT_DBVAE_CONFIG, ...topology.config });
  try {
    const weights = [...model.encoder.weights, ...model.decoder.weights];
    const missing: string[] = [];
    tf.tidy(() => {
      for (const w of weights) {
        const t = values[`${MODEL_PREFIX}${w.originalName}`];
        if (!t) {
          missing.push(w.originalName);
          continue;
        }
        if (t.shape.join() !== w.shape.join()) throw new CheckpointError(`loadDBVAE: weight ${w.originalName} has shape [${t.shape}] in the checkpoint but [${w.shape}] in the model.`);
        w.write(t);
      }
    });
    if (missing.length > 0) throw new CheckpointError(`loadDBVAE: the checkpoint lacks weights ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? '...' : ''}.`);
    let optimizer: tf.Optimizer | undefined;
    if (topology.optimizer) {
      const { className, config } = topology.optimizer;
      const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
      if (!entry) throw new CheckpointError(`loadDBVAE: unknown optimizer class ${className}.`);
      const [ctor, fromConfig] = entry;
      optimizer = fromConfig(ctor, config) as unknown as tf.Optimizer;
      const saved = artifacts.weightSpecs
        .filter((s) => s.name.startsWith(OPTIMIZER_PREFIX))
        .map((s) => {
          const rest = s.name.slice(OPTIMIZER_PREFIX.length);
          const slash = rest.indexOf('/');
          return { index: Number(rest.slice(0, slash)), name: rest.slice(slash + 1), tensor: values[s.name] as tf.Tensor };
        })
        .sort((a, b) => a.index - b.index)
        .map(({ name, tensor }) => ({ name, tensor }));
      await optimizer.setWeights(saved);
    }
    return { model, ...(optimizer ? { optimizer } : {}), epoch: topology.epoch ?? 0, metadata: topology.metadata ?? {} };
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    tf.dispose(Object.values(values));
  }
}
