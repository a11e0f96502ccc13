import { checkTrainingBackend, createRandom, InvalidArgumentError, tf, type Random } from '@dbvae/backend';
import { samplingWeights } from '@dbvae/resampling';
import { detectPosteriorCollapse, type CollapseOptions, type CollapseReport } from './collapse';
import type { DBVAE } from './dbvae';
import { createDataParallelTrainer, type DataParallelTrainer } from './data-parallel';
import { ModelError } from './errors';
import { dbvaeTrainStep, type StepLosses } from './dbvae-train-step';
import type { ReconstructionOptions } from './losses';
import { formatDuration, ProgressBar, type ProgressStream } from './progress';
import type { TrainingData } from './training-data';
import { assertFiniteAtLeast, assertPositiveInt } from './validate';

/** One training step's record. */
export interface StepRecord extends StepLosses {
  /** Epoch index (0-based, counting resumed epochs). */
  epoch: number;
  /** Step within the epoch (0-based). */
  step: number;
  /** Steps done since this call started. */
  globalStep: number;
  /** Images per second over this call so far. */
  imagesPerSecond: number;
  /** Estimated seconds left in this call. */
  etaSeconds: number;
}

/** One epoch's record. */
export interface EpochRecord {
  /** Epoch index. */
  epoch: number;
  /** Mean of each loss term over the epoch's steps. */
  meanLosses: Omit<StepLosses, 'faces'>;
  /** Wall-clock seconds the epoch took. */
  seconds: number;
  /** Images per second over the epoch. */
  imagesPerSecond: number;
  /** Largest / smallest face sampling probability used this epoch (uniform = 1 / numFaces). */
  samplingWeightRange?: [number, number];
  /** Kish effective sample size `1 / sum p^2` of this epoch's face sampling probabilities (numFaces when uniform; DB-VAE only). */
  effectiveSampleSize?: number;
  /**
   * Expected share of this epoch's drawn faces per group (the sum of the sampling probabilities of
   * the group's faces), when `faceGroups` is given (DB-VAE only; uniform sampling gives the groups' frequencies).
   */
  groupShare?: Record<string, number>;
  /** The end-of-epoch collapse check (DB-VAE only, when enabled). */
  collapse?: CollapseReport;
}

/** A problem found during training, surfaced rather than trained through. */
export interface TrainingWarning {
  /** Kind of problem. */
  type: 'posterior-collapse';
  /** Epoch it was found at. */
  epoch: number;
  /** Human-readable description with what to try. */
  message: string;
  /** The measurements. */
  report: CollapseReport;
}

/**
 * Where a training run stands inside an epoch: enough to continue it exactly where it stopped.
 * Each epoch's random stream depends only on (seed, epoch), so resuming replays the stream's
 * draws for the steps already done (without training on them) and goes on from there; with the
 * saved weights and optimizer state the losses and weights then equal the uninterrupted run's.
 */
export interface TrainingPosition {
  /** Epoch in progress (0-based). */
  epoch: number;
  /** Steps of that epoch already done. */
  step: number;
  /** The face sampling probabilities the epoch draws with (DB-VAE with debiasing), computed at its start. */
  samplingProbabilities?: Float64Array;
  /** Largest / smallest of those probabilities. */
  samplingWeightRange?: [number, number];
  /** Sums of the loss terms over the steps done, for the epoch's means. */
  lossSums: {
    /** Sum of the total (weighted) loss. */
    total: number;
    /** Sum of the classification loss term. */
    classification: number;
    /** Sum of the KL divergence term. */
    kl: number;
    /** Sum of the reconstruction loss term. */
    reconstruction: number;
  };
}

/** What a training call returns. */
export interface TrainingHistory {
  /** Every step. */
  steps: StepRecord[];
  /** Every completed epoch. */
  epochs: EpochRecord[];
  /** Warnings raised (posterior collapse). */
  warnings: TrainingWarning[];
  /** Why training ended before `epochs`, if it did. */
  stoppedEarly?: 'posterior-collapse' | 'aborted';
  /** The optimizer with its state: pass it back as `optimizer`, or save it, to resume; dispose it when done. */
  optimizer: tf.Optimizer;
  /** The next epoch to run when resuming. */
  nextEpoch: number;
  /** When stopped inside an epoch (aborted), where: pass it back as `resumeFrom` to continue at that step. */
  position?: TrainingPosition;
  /** Steps whose weights were averaged into the final model (`averageLastSteps`; absent when off). */
  averagedSteps?: number;
}

/** Options shared by {@link trainDBVAE} and {@link trainClassifier}. */
export interface CommonTrainOptions {
  /** Epochs to run (in this call). Default 2 (the lab's). */
  epochs?: number;
  /** Batch size. Default 32. */
  batchSize?: number;
  /** Steps per epoch. Default floor(dataset.size / batchSize) (the lab's). */
  stepsPerEpoch?: number;
  /** Adam learning rate, used when no optimizer is given. Default 5e-4. */
  learningRate?: number;
  /** Optimizer to use (e.g. one restored from a checkpoint, to resume). Default a new Adam. */
  optimizer?: tf.Optimizer;
  /** Index of the first epoch (when resuming). Default 0. */
  initialEpoch?: number;
  /**
   * Continue inside an epoch: the `position` of an aborted run's history. Its epoch becomes the
   * first epoch (overriding `initialEpoch`) and training starts at its step. Pass the model and
   * optimizer as they were when the run stopped (e.g. restored from a checkpoint).
   */
  resumeFrom?: TrainingPosition;
  /** Seed of batch draws and noise; with the same seed and backend two runs give the same losses. Default 0. */
  seed?: number;
  /** Called after every step. */
  onStep?: (record: StepRecord) => void;
  /** Called after every epoch (may be async). */
  onEpochEnd?: (record: EpochRecord) => void | Promise<void>;
  /** Called when a problem is found. */
  onWarning?: (warning: TrainingWarning) => void;
  /** Terminal progress bar: `'auto'` (default) only when stderr is a TTY, `true` always, `false` never. */
  progressBar?: boolean | 'auto';
  /** Where the progress bar writes. Default Node's process.stderr. */
  progressStream?: ProgressStream;
  /** Stops after the current step when aborted. */
  signal?: AbortSignal;
  /**
   * Leave the model with its weights (batch-norm statistics included) averaged over the last
   * this many steps of the final epoch, instead of the last step's (tail averaging, as stochastic
   * weight averaging does at the end of a run). Default 0: the last step's weights, the lab's.
   * Why: on SynthFaces the DB-VAE's logits for a rare group can swing by several units from one
   * step to the next late in training, so the last step alone is a noisy pick; the average is not.
   * At most the steps per epoch. A run resumed inside the window averages the steps since the
   * resume (`TrainingHistory.averagedSteps` says how many).
   */
  averageLastSteps?: number;
}

/** Options of {@link trainDBVAE}. */
export interface TrainDBVAEOptions extends CommonTrainOptions {
  /** Weight of the KL term. Default 5e-4. */
  klWeight?: number;
  /** Reconstruction term. Default L1, mean over pixels (the lab's). */
  reconstruction?: ReconstructionOptions;
  /** Resample faces from their latent means each epoch. Default true; false = plain VAE-classifier baseline. */
  debias?: boolean;
  /** Debiasing strength alpha (smoothing of the latent histograms). Default 0.001; Infinity = uniform. */
  alpha?: number;
  /** Histogram bins per latent dimension. Default 10. */
  bins?: number;
  /** How dimensions combine: 'max' (the lab's, default) or 'product' (the paper's). */
  combine?: 'max' | 'product';
  /**
   * Tempering of the weights, `p^(1 / temperature)` renormalised (`samplingWeights`' option). Default 1.
   * The product rule over a latent of size k concentrates on a few faces; `temperature: k` makes it
   * the geometric mean of the per-dimension factors.
   */
  temperature?: number;
  /** Share of uniform sampling mixed into the weights, in [0, 1]. Default 0. */
  uniformMix?: number;
  /**
   * Group name of each face, in `faceBatches` order (e.g. from SynthFaces' attributes): each epoch
   * then records the expected share of drawn faces per group in `EpochRecord.groupShare`.
   */
  faceGroups?: ArrayLike<string>;
  /** Batch size of the latent-mean pass. Default 64. */
  latentBatchSize?: number;
  /**
   * Posterior-collapse check at the end of each epoch on a batch of faces: thresholds, batch size
   * (`checkSize`, default 64), `warmupEpochs` (epochs, counted from epoch 0, whose checks are
   * recorded but never warn, since every VAE starts out producing one mean image; default 1),
   * `patience` (consecutive collapsed checks before a warning; default 1) and `stopOnCollapse`
   * (default false: warn and go on). `false` disables it.
   */
  collapse?:
    | false
    | (CollapseOptions & {
        /** Faces in the batch the check encodes. Default 64. */
        checkSize?: number;
        /** End training at the first warning instead of going on. Default false. */
        stopOnCollapse?: boolean;
        /** Epochs, from epoch 0, whose checks are recorded but never warn. Default 1. */
        warmupEpochs?: number;
        /** Consecutive collapsed checks before a warning. Default 1. */
        patience?: number;
      });
}

interface LoopHooks {
  warmupEpochs: number;
  patience: number;
  epochStart(epoch: number, rng: Random): { pPos?: Float64Array; range?: [number, number]; effectiveSampleSize?: number; groupShare?: Record<string, number> };
  step(x: tf.Tensor4D, y: tf.Tensor2D, rng: Random, optimizer: tf.Optimizer): StepLosses | Promise<StepLosses>;
  /** Draws from `rng` exactly what {@link LoopHooks.step} draws, without training (replaying a resumed epoch). */
  skipStep(rng: Random): void;
  /** Every weight of the model being trained (trainable or not), and how to set them all, in that order. */
  weights: { read(): tf.Tensor[]; write(values: tf.Tensor[]): void };
  epochEnd(epoch: number, rng: Random): CollapseReport | undefined;
  stopOnCollapse: boolean;
}

function epochRandom(seed: number, epoch: number): Random {
  // Each epoch's stream depends only on (seed, epoch), so a resumed run repeats the uninterrupted one.
  return createRandom(seed * 1_000_003 + epoch * 7919 + 17);
}

async function runLoop(data: TrainingData, options: CommonTrainOptions, hooks: LoopHooks, what: string): Promise<TrainingHistory> {
  const { epochs = 2, batchSize = 32, learningRate = 5e-4, seed = 0, onStep, onEpochEnd, onWarning, progressBar = 'auto', progressStream, signal, resumeFrom, averageLastSteps = 0 } = options;
  const initialEpoch = resumeFrom ? resumeFrom.epoch : options.initialEpoch ?? 0;
  assertPositiveInt(what, 'epochs', epochs);
  assertPositiveInt(what, 'batchSize', batchSize);
  assertFiniteAtLeast(what, 'learningRate', learningRate, 0);
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0) throw new InvalidArgumentError(`${what}: initialEpoch must be a non-negative integer, got ${initialEpoch}.`);
  if (!Number.isFinite(seed)) throw new InvalidArgumentError(`${what}: seed must be finite, got ${seed}.`);
  if (!data || typeof data.getBatch !== 'function' || typeof data.faceBatches !== 'function') {
    throw new InvalidArgumentError(`${what}: dataset must provide getBatch(n, options) and faceBatches(batchSize) (e.g. a FaceDataset).`);
  }
  if (data.numFaces < 1) throw new InvalidArgumentError(`${what}: the dataset has no faces.`);
  const stepsPerEpoch = options.stepsPerEpoch ?? Math.floor(data.size / batchSize);
  assertPositiveInt(what, 'stepsPerEpoch (dataset.size / batchSize)', stepsPerEpoch);
  if (resumeFrom && !(Number.isInteger(resumeFrom.step) && resumeFrom.step >= 0 && resumeFrom.step < stepsPerEpoch)) {
    throw new InvalidArgumentError(`${what}: resumeFrom.step must be an integer in [0, ${stepsPerEpoch}), got ${resumeFrom.step}; was the run stopped with other data or batch size?`);
  }
  if (!(Number.isInteger(averageLastSteps) && averageLastSteps >= 0 && averageLastSteps <= stepsPerEpoch)) {
    throw new InvalidArgumentError(`${what}: averageLastSteps must be an integer in [0, ${stepsPerEpoch}] (the steps per epoch), got ${averageLastSteps}.`);
  }
  if (resumeFrom?.samplingProbabilities && resumeFrom.samplingProbabilities.length !== data.numFaces) {
    throw new InvalidArgumentError(`${what}: resumeFrom holds ${resumeFrom.samplingProbabilities.length} sampling probabilities but the dataset has ${data.numFaces} faces; resume with the same data.`);
  }
  const optimizer = options.optimizer ?? tf.train.adam(learningRate);
  const history: TrainingHistory = { steps: [], epochs: [], warnings: [], optimizer, nextEpoch: initialEpoch };
  const bar = new ProgressBar(progressBar, progressStream);
  const totalSteps = epochs * stepsPerEpoch - (resumeFrom?.step ?? 0);
  const t0 = Date.now();
  let globalStep = 0;
  let collapsedRun = 0;
  const lastEpoch = initialEpoch + epochs - 1;
  const averaging = new TailAverage();
  try {
    for (let epoch = initialEpoch; epoch < initialEpoch + epochs; epoch++) {
      const rng = epochRandom(seed, epoch);
      const startRng = rng.fork();
      const resuming = resumeFrom !== undefined && epoch === resumeFrom.epoch;
      // A resumed epoch keeps the probabilities it was drawing from (its share statistics were reported before the interruption).
      const started: ReturnType<LoopHooks['epochStart']> = resuming && resumeFrom.samplingProbabilities ? { pPos: resumeFrom.samplingProbabilities, range: resumeFrom.samplingWeightRange } : hooks.epochStart(epoch, startRng);
      const { pPos, range, effectiveSampleSize, groupShare } = started;
      const firstStep = resuming ? resumeFrom.step : 0;
      for (let step = 0; step < firstStep; step++) {
        // Replay the draws of the steps done before the interruption, so the stream continues where it stopped.
        const replayed = data.getBatch(batchSize, pPos ? { pPos, rng } : { rng });
        tf.dispose([replayed.x, replayed.y]);
        hooks.skipStep(rng);
      }
      const epochStart = Date.now();
      const sums = resuming ? { ...resumeFrom.lossSums } : { total: 0, classification: 0, kl: 0, reconstruction: 0 };
      let aborted = false;
      for (let step = firstStep; step < stepsPerEpoch; step++) {
        if (signal?.aborted) {
          aborted = true;
          history.position = { epoch, step, ...(pPos ? { samplingProbabilities: pPos } : {}), ...(range ? { samplingWeightRange: range } : {}), lossSums: { ...sums } };
          break;
        }
        const { x, y } = data.getBatch(batchSize, pPos ? { pPos, rng } : { rng });
        let losses: StepLosses;
        try {
          losses = await hooks.step(x, y, rng, optimizer);
        } finally {
          tf.dispose([x, y]);
        }
        globalStep++;
        const elapsed = (Date.now() - t0) / 1000;
        const imagesPerSecond = elapsed > 0 ? (globalStep * batchSize) / elapsed : 0;
        const etaSeconds = globalStep > 0 ? (elapsed / globalStep) * (totalSteps - globalStep) : NaN;
        const record: StepRecord = { ...losses, epoch, step, globalStep, imagesPerSecond, etaSeconds };
        history.steps.push(record);
        sums.total += losses.total;
        sums.classification += losses.classification;
        sums.kl += losses.kl;
        sums.reconstruction += losses.reconstruction;
        if (averageLastSteps > 0 && epoch === lastEpoch && step >= stepsPerEpoch - averageLastSteps) averaging.add(hooks.weights.read());
        onStep?.(record);
        bar.update(globalStep, totalSteps, `epoch ${epoch + 1} loss ${losses.total.toFixed(4)} ${imagesPerSecond.toFixed(0)} img/s ETA ${formatDuration(etaSeconds)}`);
      }
      if (aborted) {
        history.stoppedEarly = 'aborted';
        break;
      }
      if (averaging.count > 0) {
        // before the collapse check and onEpochEnd (which may save a checkpoint): both see the final model
        history.averagedSteps = averaging.count;
        averaging.writeMean(hooks.weights);
      }
      const seconds = (Date.now() - epochStart) / 1000;
      const collapse = hooks.epochEnd(epoch, rng.fork());
      const record: EpochRecord = {
        epoch,
        meanLosses: {
          total: sums.total / stepsPerEpoch,
          classification: sums.classification / stepsPerEpoch,
          kl: sums.kl / stepsPerEpoch,
          reconstruction: sums.reconstruction / stepsPerEpoch,
        },
        seconds,
        imagesPerSecond: seconds > 0 ? (stepsPerEpoch * batchSize) / seconds : 0,
        ...(range ? { samplingWeightRange: range } : {}),
        ...(effectiveSampleSize !== undefined ? { effectiveSampleSize } : {}),
        ...(groupShare ? { groupShare } : {}),
        ...(collapse ? { collapse } : {}),
      };
      history.epochs.push(record);
      history.nextEpoch = epoch + 1;
      collapsedRun = collapse?.collapsed && epoch >= hooks.warmupEpochs ? collapsedRun + 1 : 0;
      const warn = collapsedRun >= hooks.patience && collapse !== undefined;
      if (warn) {
        const warning: TrainingWarning = { type: 'posterior-collapse', epoch, message: collapse.message, report: collapse };
        history.warnings.push(warning);
        onWarning?.(warning);
      }
      await onEpochEnd?.(record);
      if (warn && hooks.stopOnCollapse) {
        history.stoppedEarly = 'posterior-collapse';
        break;
      }
    }
  } finally {
    averaging.dispose();
  }
  bar.finish();
  return history;
}

/** Running sum of weight snapshots, for the mean over the last steps of a run. */
class TailAverage {
  private sums: tf.Tensor[] | undefined;
  count = 0;

  add(weights: tf.Tensor[]): void {
    const previous = this.sums;
    this.sums = previous ? previous.map((sum, i) => tf.add(sum, weights[i]!)) : weights.map((w) => w.clone());
    if (previous) tf.dispose(previous);
    this.count++;
  }

  writeMean(target: LoopHooks['weights']): void {
    if (!this.sums) return;
    const count = this.count;
    const means = this.sums.map((sum) => tf.div(sum, count));
    try {
      target.write(means);
    } finally {
      tf.dispose(means);
      this.dispose();
    }
  }

  dispose(): void {
    if (this.sums) tf.dispose(this.sums);
    this.sums = undefined;
    this.count = 0;
  }
}

/**
 * Trains a DB-VAE with the lab's loop: at the start of each epoch the faces' latent means are
 * computed (inference mode, in batches) and turned into sampling probabilities with
 * `samplingWeights` of `@dbvae/resampling` (alpha, bins, combine); each step draws a batch of
 * half faces (with those probabilities) and half non-faces, and takes one
 * {@link dbvaeTrainStep}. `debias: false` or `alpha: Infinity` samples faces uniformly (the
 * VAE-classifier baseline). At the end of each epoch the model is checked for posterior
 * collapse; a collapse is reported through `onWarning` and `history.warnings`, and stops
 * training with `collapse.stopOnCollapse`.
 *
 * Defaults are the lab's: Adam 5e-4, batch 32, 2 epochs, klWeight 5e-4, L1 mean reconstruction,
 * alpha 0.001, 10 bins, max rule, no tempering. `temperature` and `uniformMix` shape the weights
 * (see `samplingWeights`); with `faceGroups` each epoch records the expected share of drawn
 * faces per group and every epoch its effective sample size.
 *
 * @returns The history, with the optimizer (to save or resume) and the next epoch index.
 * @throws InvalidArgumentError on bad options or a dataset without faces.
 * @example
 * const model = new DBVAE({ latentDim: 100 });
 * const { epochs, warnings } = await trainDBVAE(model, dataset, { epochs: 2, alpha: 0.01 });
 */
export async function trainDBVAE(model: DBVAE, data: TrainingData, options: TrainDBVAEOptions = {}): Promise<TrainingHistory> {
  const { klWeight = 5e-4, reconstruction, debias = true, alpha = 0.001, bins = 10, combine = 'max', temperature = 1, uniformMix = 0, faceGroups, latentBatchSize = 64, collapse = {} } = options;
  if (!(temperature > 0)) throw new InvalidArgumentError(`trainDBVAE: temperature must be > 0 (Infinity = uniform), got ${temperature}.`);
  if (!(uniformMix >= 0 && uniformMix <= 1)) throw new InvalidArgumentError(`trainDBVAE: uniformMix must be in [0, 1], got ${uniformMix}.`);
  if (faceGroups !== undefined && faceGroups.length !== data.numFaces) {
    throw new InvalidArgumentError(`trainDBVAE: faceGroups has ${faceGroups.length} names but the dataset has ${data.numFaces} faces; give one group per face, in faceBatches order.`);
  }
  assertFiniteAtLeast('trainDBVAE', 'klWeight', klWeight, 0);
  if (!(alpha >= 0)) throw new InvalidArgumentError(`trainDBVAE: alpha must be >= 0 (Infinity = no debiasing), got ${alpha}.`);
  assertPositiveInt('trainDBVAE', 'bins', bins);
  assertPositiveInt('trainDBVAE', 'latentBatchSize', latentBatchSize);
  const checkSize = collapse === false ? 0 : collapse.checkSize ?? 64;
  if (collapse !== false) {
    assertPositiveInt('trainDBVAE', 'collapse.checkSize', checkSize);
    if (collapse.warmupEpochs !== undefined && !(Number.isInteger(collapse.warmupEpochs) && collapse.warmupEpochs >= 0)) {
      throw new InvalidArgumentError(`trainDBVAE: collapse.warmupEpochs must be a non-negative integer, got ${collapse.warmupEpochs}.`);
    }
    if (collapse.patience !== undefined) assertPositiveInt('trainDBVAE', 'collapse.patience', collapse.patience);
  }
  checkTrainingBackend('trainDBVAE');
  const k = model.latentDim;
  const uniform = !debias || alpha === Infinity;
  const hooks: LoopHooks = {
    stopOnCollapse: collapse !== false && collapse.stopOnCollapse === true,
    warmupEpochs: collapse === false ? 0 : collapse.warmupEpochs ?? 1,
    patience: collapse === false ? 1 : collapse.patience ?? 1,
    epochStart: () => {
      if (uniform) {
        const n = data.numFaces;
        return { effectiveSampleSize: n, ...(faceGroups ? { groupShare: shareByGroup(faceGroups, undefined) } : {}) };
      }
      const means = model.latentMeans(data.faceBatches(latentBatchSize), { batchSize: latentBatchSize });
      const n = means.length / k;
      if (n !== data.numFaces) throw new InvalidArgumentError(`trainDBVAE: faceBatches yielded ${n} faces but numFaces is ${data.numFaces}.`);
      const pPos = samplingWeights(means, { shape: [n, k], bins, alpha, combine, temperature, uniformMix });
      let lo = Infinity;
      let hi = -Infinity;
      let sq = 0;
      for (const p of pPos) {
        if (p < lo) lo = p;
        if (p > hi) hi = p;
        sq += p * p;
      }
      return { pPos, range: [hi, lo], effectiveSampleSize: 1 / sq, ...(faceGroups ? { groupShare: shareByGroup(faceGroups, pPos) } : {}) };
    },
    step: (x, y, rng, optimizer) => dbvaeTrainStep(model, optimizer, x, y, { klWeight, reconstruction, seed: rng.int(2147483647) }),
    skipStep: (rng) => {
      rng.int(2147483647);
    },
    weights: {
      read: () => [...model.encoder.getWeights(), ...model.decoder.getWeights()],
      write: (values) => {
        const nEncoder = model.encoder.weights.length;
        model.encoder.setWeights(values.slice(0, nEncoder));
        model.decoder.setWeights(values.slice(nEncoder));
      },
    },
    epochEnd: (_epoch, rng) => {
      if (collapse === false) return undefined;
      const size = Math.min(checkSize, data.numFaces);
      if (size < 2) return undefined;
      const { x, y } = data.getBatch(size, { onlyFaces: true, rng });
      try {
        return detectPosteriorCollapse(model, x, collapse);
      } finally {
        tf.dispose([x, y]);
      }
    },
  };
  return runLoop(data, options, hooks, 'trainDBVAE');
}

/** Sum of the sampling probabilities per group (uniform when `p` is undefined), groups in first-seen order. */
function shareByGroup(groups: ArrayLike<string>, p: Float64Array | undefined): Record<string, number> {
  const share: Record<string, number> = {};
  const n = groups.length;
  for (let i = 0; i < n; i++) {
    const g = groups[i]!;
    share[g] = (share[g] ?? 0) + (p ? p[i]! : 1 / n);
  }
  return share;
}

/**
 * One training step of a binary classifier on logits with an explicit, fixed variable list
 * (stable BCE on logits, then the update). Returns the mean loss.
 */
function classifierStep(model: tf.LayersModel, optimizer: tf.Optimizer, x: tf.Tensor, y: tf.Tensor): number {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const cost = optimizer.minimize(
    () => {
      const logits = model.apply(x, { training: true }) as tf.Tensor;
      return tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, y)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))))) as tf.Scalar;
    },
    true,
    variables,
  );
  const value = cost!.dataSync()[0] as number;
  cost!.dispose();
  return value;
}

/** Options of {@link trainClassifier}. */
export interface TrainClassifierOptions extends CommonTrainOptions {
  /**
   * Worker threads that share each batch with the main thread (data parallelism, Node only; see
   * {@link createDataParallelTrainer}): on the single-threaded wasm backend, 1 on a 2-core
   * machine trains about 1.4x as fast. Batch norm then normalises each share by its own
   * statistics, so the run is not the single-thread run. Default 0 (main thread only).
   */
  workers?: number;
}

/**
 * Trains a plain classifier (e.g. the lab's standard CNN) through the same loop as
 * {@link trainDBVAE}, with uniform batches of half faces and half non-faces and the BCE loss:
 * the baseline the DB-VAE is compared with. Loss terms other than classification are 0.
 *
 * @throws InvalidArgumentError on bad options or a model whose output is not [n, 1]; ModelError when the loss becomes NaN or infinite.
 */
export async function trainClassifier(model: tf.LayersModel, data: TrainingData, options: TrainClassifierOptions = {}): Promise<TrainingHistory> {
  const outShape = (model.outputs[0] as tf.SymbolicTensor).shape;
  if (outShape.length !== 2 || outShape[1] !== 1) throw new InvalidArgumentError(`trainClassifier: the model must output [n, 1] logits, got [${outShape}].`);
  const { workers = 0 } = options;
  if (!Number.isInteger(workers) || workers < 0) throw new InvalidArgumentError(`trainClassifier: workers must be a non-negative integer, got ${workers}.`);
  checkTrainingBackend('trainClassifier');
  let parallel: Promise<DataParallelTrainer> | undefined;
  const hooks: LoopHooks = {
    stopOnCollapse: false,
    warmupEpochs: 0,
    patience: 1,
    epochStart: () => ({}),
    step: async (x, y, _rng, optimizer) => {
      const labels = y.dataSync();
      let faces = 0;
      for (const v of labels) if (v === 1) faces++;
      if (workers > 0) parallel ??= createDataParallelTrainer(model, optimizer, { workers });
      const loss = parallel ? await (await parallel).step(x, y) : classifierStep(model, optimizer, x, y);
      if (!Number.isFinite(loss)) throw new ModelError(`trainClassifier: the loss is ${loss}; lower the learning rate or check the inputs.`);
      return { total: loss, classification: loss, kl: 0, reconstruction: 0, faces };
    },
    skipStep: () => undefined,
    weights: { read: () => model.getWeights(), write: (values) => model.setWeights(values) },
    epochEnd: () => undefined,
  };
  try {
    return await runLoop(data, options, hooks, 'trainClassifier');
  } finally {
    if (parallel) await parallel.then((trainer) => trainer.close(), () => undefined);
  }
}
