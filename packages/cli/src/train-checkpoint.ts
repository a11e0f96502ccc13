import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { tf as TF } from '@dbvae/backend';
import type { DBVAE, EpochRecord, StepRecord, TrainingHistory, TrainingPosition } from '@dbvae/models';
import type { CliIO, SignalSource } from './command';
import { InputError, InterruptedError } from './errors';
import { makeDirs, writeDirAtomic } from './fs-atomic';
import { cleanLeftovers } from './lock';
import { OUTPUT_MARKER, writeOutputMarker } from './output-dir';

/** Folder inside a `dbvae train` output that holds the checkpoint of an unfinished run. */
export const CHECKPOINT_DIR = 'checkpoint';
const STATE_FILE = 'state.json';
const SAMPLING_FILE = 'sampling.bin';

/** A training step as `metrics.json` records it. */
export type MetricsStep = {
  /** Epoch of the step (0-based). */
  epoch: number;
  /** Step within the epoch (0-based). */
  step: number;
  /** Total (weighted) loss of the step. */
  total: number;
  /** Classification loss term. */
  classification: number;
  /** KL term (DB-VAE only). */
  kl?: number;
  /** Reconstruction term (DB-VAE only). */
  reconstruction?: number;
};
/** An epoch as `metrics.json` records it. */
export type MetricsEpoch = {
  /** The epoch (0-based). */
  epoch: number;
  /** Mean total (weighted) loss over the epoch's steps. */
  total: number;
  /** Mean classification term. */
  classification: number;
  /** Mean KL term (DB-VAE only). */
  kl?: number;
  /** Mean reconstruction term (DB-VAE only). */
  reconstruction?: number;
  /** Wall time of the epoch, in seconds. */
  seconds: number;
  /** Training throughput. */
  imagesPerSecond: number;
  /** DB-VAE: effective sample size of the epoch's resampling probabilities over the faces. */
  effectiveSampleSize?: number;
  /** DB-VAE with SynthFaces attributes: each group's expected share of the drawn faces. */
  groupShare?: Record<string, number>;
};

/** `checkpoint/state.json`: where a `dbvae train` run stands, and everything needed to continue it. */
export interface TrainCheckpointState {
  /** Format tag, so other JSON files are not mistaken for a checkpoint. */
  format: 'dbvae-train-checkpoint';
  /** Format version; only 1 is read. */
  version: 1;
  /** The run's settings (`dbvae train` flags, paths absolute). */
  settings: Record<string, unknown> & {
    /** Absolute path of the training data. */
    data: string;
    /** Which model is trained. */
    model: 'standard' | 'dbvae';
    /** Epochs the run trains in all. */
    epochs: number;
    /** Optimizer learning rate. */
    learningRate: number;
  };
  /** Where to continue: epoch and step, with the epoch's loss sums (sampling probabilities in `sampling.bin`). */
  position: Omit<TrainingPosition, 'samplingProbabilities'>;
  /** Steps and epochs recorded so far, as in `metrics.json`. */
  steps: MetricsStep[];
  /** Completed epochs recorded so far, as in `metrics.json`. */
  epochs: MetricsEpoch[];
  /** Training warnings raised so far (such as posterior collapse), carried into `metrics.json`. */
  warnings: string[];
  /** Seconds of training before this checkpoint. */
  seconds: number;
  /** Size of the data file when training started (a changed file cannot be resumed exactly). */
  dataBytes: number;
  /** When the checkpoint was written (ISO 8601). */
  savedAt: string;
}

type Saveable = { kind: 'standard'; classifier: TF.LayersModel } | { kind: 'dbvae'; dbvae: DBVAE };

/** True when `out` holds the checkpoint of an unfinished `dbvae train` run. */
export async function hasTrainCheckpoint(out: string): Promise<boolean> {
  try {
    return (await stat(join(out, CHECKPOINT_DIR, STATE_FILE))).isFile();
  } catch {
    return false;
  }
}

/** Reads `checkpoint/state.json` of an output folder. @throws InputError when there is none or it is damaged. */
export async function readTrainCheckpointState(out: string): Promise<TrainCheckpointState> {
  const path = join(out, CHECKPOINT_DIR, STATE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const finished = await stat(join(out, 'dbvae-model.json')).then(() => true, () => false);
    throw new InputError(finished ? `--resume ${out}: this training already finished (the folder holds the model); nothing to resume.` : `--resume ${out}: no checkpoint here (${CHECKPOINT_DIR}/${STATE_FILE}); give the --out folder of an interrupted 'dbvae train'.`, { cause });
  }
  let state: TrainCheckpointState;
  try {
    state = JSON.parse(text) as TrainCheckpointState;
  } catch (cause) {
    throw new InputError(`--resume ${out}: ${path} is damaged (not JSON); start again with 'dbvae train --force --out ${out} ...'.`, { cause });
  }
  if (state.format !== 'dbvae-train-checkpoint' || state.version !== 1 || !state.settings || !state.position) {
    throw new InputError(`--resume ${out}: ${path} is not a dbvae train checkpoint.`);
  }
  return state;
}

async function saveOptimizer(tf: typeof TF, dir: string, optimizer: TF.Optimizer): Promise<void> {
  const weights = await optimizer.getWeights();
  try {
    const { data, specs } = await tf.io.encodeWeights(weights.map((w, i) => ({ name: `${i}/${w.name}`, tensor: w.tensor })));
    await writeFile(join(dir, 'optimizer.json'), JSON.stringify({ className: optimizer.getClassName(), config: optimizer.getConfig(), specs }));
    await writeFile(join(dir, 'optimizer.bin'), new Uint8Array(tf.io.CompositeArrayBuffer.join(data)));
  } finally {
    // getWeights makes a fresh scalar for Adam's step count; the other entries are the optimizer's own variables.
    for (const w of weights) if (w.name === 'iter') w.tensor.dispose();
  }
}

async function loadOptimizer(tf: typeof TF, dir: string): Promise<TF.Optimizer> {
  const { className, config, specs } = JSON.parse(await readFile(join(dir, 'optimizer.json'), 'utf8')) as { className: string; config: TF.serialization.ConfigDict; specs: TF.io.WeightsManifestEntry[] };
  const bytes = await readFile(join(dir, 'optimizer.bin'));
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry) throw new InputError(`the checkpoint's optimizer ${className} is unknown to this tfjs.`);
  const optimizer = entry[1](entry[0], config) as unknown as TF.Optimizer;
  const values = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, specs);
  try {
    const ordered = specs.map((s) => ({ name: s.name.slice(s.name.indexOf('/') + 1), tensor: values[s.name] as TF.Tensor }));
    await optimizer.setWeights(ordered);
  } finally {
    tf.dispose(Object.values(values));
  }
  return optimizer;
}

/** What a resumed run starts from. */
export interface RestoredTraining {
  state: TrainCheckpointState;
  /** The network with its checkpointed weights. */
  model: Saveable;
  optimizer: TF.Optimizer;
  /** The position with the epoch's sampling probabilities, when inside an epoch. */
  position: TrainingPosition;
}

/**
 * Loads the checkpoint of an unfinished run in `out` (after removing leftovers of a save that
 * was killed).
 * @throws InputError when there is no usable checkpoint; CheckpointError (from `@dbvae/models`) for damaged weights.
 */
export async function loadTrainCheckpoint(out: string): Promise<RestoredTraining> {
  const { tf } = await import('@dbvae/backend');
  const models = await import('@dbvae/models');
  await cleanLeftovers(join(out, CHECKPOINT_DIR));
  const state = await readTrainCheckpointState(out);
  const dir = join(out, CHECKPOINT_DIR);
  const handler = models.fileSystemIOHandler(join(dir, 'model'));
  let model: Saveable;
  let optimizer: TF.Optimizer;
  if (state.settings.model === 'dbvae') {
    const loaded = await models.loadDBVAE(handler);
    if (!loaded.optimizer) throw new InputError(`--resume ${out}: the checkpoint has no optimizer state.`);
    model = { kind: 'dbvae', dbvae: loaded.model };
    optimizer = loaded.optimizer;
  } else {
    model = { kind: 'standard', classifier: await tf.loadLayersModel(handler) };
    optimizer = await loadOptimizer(tf, dir);
  }
  let samplingProbabilities: Float64Array | undefined;
  try {
    const bytes = await readFile(join(dir, SAMPLING_FILE));
    samplingProbabilities = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  } catch {
    // none saved: the position is at an epoch start, or the epoch samples uniformly
  }
  return { state, model, optimizer, position: { ...state.position, ...(samplingProbabilities ? { samplingProbabilities } : {}) } };
}

/** Writes the checkpoint of a run into `out/checkpoint` (atomically: the previous one stays until the new one is complete). */
export async function saveTrainCheckpoint(out: string, state: TrainCheckpointState, model: Saveable, optimizer: TF.Optimizer, samplingProbabilities?: Float64Array): Promise<void> {
  const { tf } = await import('@dbvae/backend');
  const models = await import('@dbvae/models');
  await writeDirAtomic(join(out, CHECKPOINT_DIR), async (tmp) => {
    const handler = models.fileSystemIOHandler(join(tmp, 'model'));
    if (model.kind === 'dbvae') {
      await models.saveDBVAE(model.dbvae, handler, { optimizer, epoch: state.position.epoch, metadata: { step: state.position.step } });
    } else {
      await model.classifier.save(handler);
      await saveOptimizer(tf, tmp, optimizer);
    }
    if (samplingProbabilities) await writeFile(join(tmp, SAMPLING_FILE), new Uint8Array(samplingProbabilities.buffer, samplingProbabilities.byteOffset, samplingProbabilities.byteLength));
    // state.json last: a checkpoint folder with a state file is complete.
    await writeFile(join(tmp, STATE_FILE), `${JSON.stringify(state)}\n`);
  });
}

/** Options of {@link TrainingSession}. */
export interface TrainingSessionOptions {
  out: string;
  io: CliIO;
  settings: TrainCheckpointState['settings'];
  dataBytes: number;
  /** Steps per epoch (for messages). */
  stepsPerEpoch: number;
  /** Records as `metrics.json` keeps them (the DB-VAE keeps every loss term, the CNN only classification). */
  pick: (losses: { total: number; classification: number; kl: number; reconstruction: number }) => Omit<MetricsStep, 'epoch' | 'step'>;
  /** The run being continued, if any. */
  restored?: RestoredTraining;
}

/**
 * The checkpointing around one `dbvae train` run: writes a checkpoint at every epoch end, stops
 * after the current step on SIGINT or SIGTERM and checkpoints there, and continues a restored
 * run where it stopped. {@link TrainingSession.trainOptions} goes into `trainDBVAE` /
 * `trainClassifier`; {@link TrainingSession.finish} turns the history into the whole run's
 * records, or throws {@link InterruptedError} after saving when the run was stopped.
 */
export class TrainingSession {
  private readonly controller = new AbortController();
  private stoppedBy: 'SIGINT' | 'SIGTERM' | undefined;
  private readonly steps: MetricsStep[];
  private readonly epochs: MetricsEpoch[];
  private readonly warnings: string[];
  private readonly priorSeconds: number;
  private readonly t0 = Date.now();
  private readonly handlers: Array<['SIGINT' | 'SIGTERM', () => void]> = [];
  private readonly signals: SignalSource;

  constructor(private readonly options: TrainingSessionOptions) {
    this.steps = [...(options.restored?.state.steps ?? [])];
    this.epochs = [...(options.restored?.state.epochs ?? [])];
    this.warnings = [...(options.restored?.state.warnings ?? [])];
    this.priorSeconds = options.restored?.state.seconds ?? 0;
    this.signals = options.io.signals ?? process;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const handler = () => this.onSignal(signal);
      this.signals.on(signal, handler);
      this.handlers.push([signal, handler]);
    }
  }

  /** Steps already done by the run being continued (0 for a new run). */
  get stepsDone(): number {
    return this.steps.length;
  }

  private onSignal(signal: 'SIGINT' | 'SIGTERM'): void {
    if (this.stoppedBy) {
      this.options.io.stderr.write(`\n${signal} again: quitting without saving; 'dbvae train --resume ${this.options.out}' continues from the last epoch's checkpoint.\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    this.stoppedBy = signal;
    this.options.io.stderr.write(`\n${signal}: stopping after the current step and saving a checkpoint (send it again to quit at once)...\n`);
    this.controller.abort();
  }

  /** Removes the signal handlers. */
  close(): void {
    for (const [signal, handler] of this.handlers) this.signals.removeListener(signal, handler);
    this.handlers.length = 0;
  }

  /**
   * Options for the training call: the epochs left, where to start, the optimizer, the stop
   * signal and the callbacks that record steps and checkpoint at epoch ends.
   */
  trainOptions(model: Saveable, optimizer: TF.Optimizer, onStep: (r: StepRecord) => void): {
    epochs: number;
    optimizer: TF.Optimizer;
    signal: AbortSignal;
    onStep: (r: StepRecord) => void;
    onEpochEnd: (r: EpochRecord) => Promise<void>;
    initialEpoch?: number;
    resumeFrom?: TrainingPosition;
  } {
    const total = this.options.settings.epochs;
    const position = this.options.restored?.position;
    const start = position?.epoch ?? 0;
    return {
      epochs: total - start,
      optimizer,
      signal: this.controller.signal,
      ...(position && (position.step > 0 || position.samplingProbabilities) ? { resumeFrom: position } : { initialEpoch: start }),
      onStep: (r) => {
        this.steps.push({ epoch: r.epoch, step: r.step, ...this.options.pick(r) });
        onStep(r);
      },
      onEpochEnd: async (e) => {
        this.epochs.push({
          epoch: e.epoch,
          ...this.options.pick(e.meanLosses),
          seconds: e.seconds,
          imagesPerSecond: e.imagesPerSecond,
          ...(e.effectiveSampleSize !== undefined ? { effectiveSampleSize: e.effectiveSampleSize } : {}),
          ...(e.groupShare ? { groupShare: e.groupShare } : {}),
        });
        if (e.epoch + 1 < total) await this.save(model, optimizer, { epoch: e.epoch + 1, step: 0, lossSums: { total: 0, classification: 0, kl: 0, reconstruction: 0 } });
      },
    };
  }

  private async save(model: Saveable, optimizer: TF.Optimizer, position: TrainingPosition): Promise<void> {
    const { samplingProbabilities, ...rest } = position;
    const state: TrainCheckpointState = {
      format: 'dbvae-train-checkpoint',
      version: 1,
      settings: this.options.settings,
      position: rest,
      steps: this.steps,
      epochs: this.epochs,
      warnings: this.warnings,
      seconds: this.seconds(),
      dataBytes: this.options.dataBytes,
      savedAt: new Date().toISOString(),
    };
    // The folder is this run's from its first checkpoint on (a rerun may replace it with --force, or resume it).
    await makeDirs(this.options.out);
    if (!(await stat(join(this.options.out, OUTPUT_MARKER)).then(() => true, () => false))) await writeOutputMarker(this.options.out, 'model', 'dbvae train');
    await saveTrainCheckpoint(this.options.out, state, model, optimizer, samplingProbabilities);
  }

  private seconds(): number {
    return this.priorSeconds + (Date.now() - this.t0) / 1000;
  }

  /**
   * After the training call: the whole run's steps, epochs, warnings and seconds. When the run
   * was stopped by a signal, saves a checkpoint at the position reached and throws.
   * @throws InterruptedError (exit 130 / 143) naming the command that resumes.
   */
  async finish(history: TrainingHistory, model: Saveable, optimizer: TF.Optimizer): Promise<{ steps: MetricsStep[]; epochs: MetricsEpoch[]; warnings: string[]; seconds: number }> {
    this.warnings.push(...history.warnings.map((w) => w.message));
    if (history.stoppedEarly === 'aborted' && this.stoppedBy) {
      const position = history.position ?? { epoch: history.nextEpoch, step: 0, lossSums: { total: 0, classification: 0, kl: 0, reconstruction: 0 } };
      await this.save(model, optimizer, position);
      const { epochs } = this.options.settings;
      throw new InterruptedError(
        `stopped by ${this.stoppedBy} at epoch ${position.epoch + 1}/${epochs}, step ${position.step}/${this.options.stepsPerEpoch}; the checkpoint is in ${join(this.options.out, CHECKPOINT_DIR)}. Continue with: dbvae train --resume ${this.options.out}`,
        this.stoppedBy,
      );
    }
    return { steps: this.steps, epochs: this.epochs, warnings: this.warnings, seconds: this.seconds() };
  }
}

/**
 * For `dbvae train --resume <out>`: the options of the interrupted run (its saved settings,
 * with `out` kept). Other options are returned unchanged.
 * @throws InputError when `out` has no checkpoint, or `--data` names other data than the run's.
 */
export async function resolveResume<T extends { out: string; data: string; resume?: boolean; force?: boolean }>(options: T): Promise<T> {
  if (!options.resume) return options;
  const state = await readTrainCheckpointState(options.out);
  if (options.data && options.data !== state.settings.data) {
    throw new InputError(`--data ${options.data}: the run in ${options.out} trains on ${state.settings.data}; a run continues on its own data (leave out --data).`);
  }
  return { ...options, ...state.settings, out: options.out, resume: true, force: false };
}
