import { InvalidArgumentError, ShapeError, checkTrainingBackend, createRandom, tf } from '@dbvae/backend';
import { type CompileOptions, type LossFn, type OptimizerSpec, isClassificationLoss, resolveLoss } from './compile-options';
import { NotReadyError } from './errors';
import { RiskTensor, type RiskFields } from './risk-tensor';

/** A model input: one tensor, or one per model input (batch on axis 0). */
export type ModelInput = tf.Tensor | tf.Tensor[];

/** Per-epoch numbers reported to callbacks and in the history. */
export interface EpochLogs {
  /** Mean training loss over the epoch's batches. */
  loss: number;
}

/** Callbacks of {@link RiskModel.fit}; they may be async. */
export interface FitCallbacks {
  /** After each batch, with its loss. */
  onBatchEnd?: (batch: number, logs: EpochLogs) => void | Promise<void>;
  /** After each epoch, with its mean loss. */
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
}

/** Options of {@link RiskModel.fit}. */
export interface FitOptions {
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** Samples per step. Default 32. */
  batchSize?: number;
  /** Shuffle the sample order each epoch (seeded). Default true. */
  shuffle?: boolean;
  /** Seed of the shuffling. Default 0. */
  seed?: number;
  /** Callbacks. */
  callbacks?: FitCallbacks;
}

/** What {@link RiskModel.fit} returns: the mean loss of each epoch. */
export interface History {
  /** Epoch indices, from 0. */
  epoch: number[];
  /** Mean training loss of each epoch. */
  loss: number[];
}

/** Options of {@link RiskModel.predict} and {@link RiskModel.evaluate}. */
export interface BatchOptions {
  /** Samples per forward pass. Default 256. */
  batchSize?: number;
}

/** @internal Turns a model input into a non-empty list of tensors with one batch size. */
export function toTensorList(x: ModelInput, what: string): tf.Tensor[] {
  const list = Array.isArray(x) ? x : [x];
  if (list.length === 0) throw new InvalidArgumentError(`${what}: no tensors given.`);
  for (const t of list) {
    if (!(t instanceof tf.Tensor)) {
      throw new InvalidArgumentError(`${what}: expected a tf.Tensor (or one per model input), got ${Array.isArray(t) || typeof t === 'number' ? 'a plain array' : typeof t}; convert with tf.tensor(values, shape).`);
    }
  }
  const n = list[0]?.shape[0];
  for (const t of list) {
    if (t.rank < 1 || t.shape[0] !== n) throw new ShapeError(`${what}: every tensor needs the same batch size on axis 0 (got [${list.map((u) => u.shape[0]).join(', ')}]).`);
  }
  return list;
}

/** @internal Throws when any tensor holds NaN or Infinity. */
export function assertFinite(list: tf.Tensor[], what: string): void {
  // x * 0 is 0 for finite x and NaN for NaN or +-Infinity; one NaN makes the sum NaN (IEEE, on every backend).
  const bad = list.findIndex((t) => t.dtype === 'float32' && t.size > 0 && tf.tidy(() => Number.isNaN(tf.sum(tf.mul(t, 0)).dataSync()[0] as number)));
  if (bad >= 0) throw new InvalidArgumentError(`${what}: tensor ${bad} contains NaN or Infinity; clean or drop those rows first.`);
}

function validateSize(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got ${v}.`);
}

/**
 * The common surface of every wrapper: a trainable model with `compile`, `fit`, `evaluate`,
 * `predict` (returning a {@link RiskTensor}) and `save`. Wrappers compose: an
 * {@link EnsembleWrapper} can hold wrapped members.
 */
export abstract class RiskModel {
  /** The wrapper's class name, stored when saved. */
  abstract readonly kind: string;
  /** @internal The resolved task loss, once compiled. */
  protected taskLoss?: LossFn;

  /**
   * Sets the optimizer and the task loss.
   * @param options - `optimizer` (name or instance, default `'adam'`; wrappers that hold
   *   several models give each its own copy) and `loss` (default `'meanSquaredError'`).
   * @throws InvalidArgumentError for an unknown optimizer or loss.
   */
  compile(options: CompileOptions = {}): void {
    const loss = options.loss ?? 'meanSquaredError';
    this.taskLoss = resolveLoss(loss);
    this.compiledForClassification = typeof loss === 'string' && isClassificationLoss(loss);
    this.setOptimizer(options.optimizer ?? 'adam');
  }

  /** @internal Installs the optimizer(s). */
  protected abstract setOptimizer(spec: OptimizerSpec): void;

  /**
   * @internal Whether the compiled loss is a classification loss (the model outputs logits);
   * MVE heads then default to the sampled-logit loss instead of the Gaussian NLL.
   */
  protected compiledForClassification = false;

  /** @internal The compiled loss, or a NotReadyError. */
  protected requireLoss(): LossFn {
    if (this.taskLoss === undefined) throw new NotReadyError(`${this.kind}: call compile({ optimizer, loss }) before training or evaluating.`);
    return this.taskLoss;
  }

  /**
   * One optimisation step on one batch; returns its loss. This is the hook for custom
   * training loops (e.g. the lab's loop that resamples the data every epoch).
   * @throws NotReadyError before `compile`; UnsupportedModelError for inference-only models.
   */
  abstract trainOnBatch(x: ModelInput, y: ModelInput): number;

  /** @internal Loss of one batch without updating anything. */
  protected abstract lossOnBatch(xs: tf.Tensor[], ys: tf.Tensor[]): number;

  /** @internal Checks the inputs' number, rank and shape against the model (throws ShapeError); default: no check. */
  protected checkInputs(_xs: tf.Tensor[], _what: string): void {}

  /** @internal Prediction and risks of one batch (tensors owned by the caller). */
  protected abstract predictBatch(xs: tf.Tensor[]): RiskFields;

  /**
   * Trains on in-memory tensors with a seeded shuffle.
   * @param x - Inputs (one tensor per model input).
   * @param y - Targets (one tensor per model output).
   * @returns The mean loss per epoch.
   * @throws ShapeError when batch sizes differ; InvalidArgumentError for NaN/Infinity or bad options.
   */
  async fit(x: ModelInput, y: ModelInput, options: FitOptions = {}): Promise<History> {
    const { epochs = 1, batchSize = 32, shuffle = true, seed = 0, callbacks } = options;
    validateSize('epochs', epochs);
    validateSize('batchSize', batchSize);
    const xs = toTensorList(x, `${this.kind}.fit x`);
    const ys = toTensorList(y, `${this.kind}.fit y`);
    const n = xs[0]?.shape[0] as number;
    if (ys[0]?.shape[0] !== n) throw new ShapeError(`${this.kind}.fit: x has ${n} samples but y has ${ys[0]?.shape[0]}.`);
    if (n === 0) throw new InvalidArgumentError(`${this.kind}.fit: no samples.`);
    this.checkInputs(xs, `${this.kind}.fit`);
    assertFinite([...xs, ...ys], `${this.kind}.fit`);
    this.requireLoss();
    checkTrainingBackend(`${this.kind}.fit`);
    const rng = createRandom(seed);
    const history: History = { epoch: [], loss: [] };
    const order = Array.from({ length: n }, (_, i) => i);
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (shuffle) {
        for (let i = n - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j] as number, order[i] as number];
        }
      }
      let sum = 0;
      let batches = 0;
      for (let start = 0; start < n; start += batchSize) {
        const idx = tf.tensor1d(order.slice(start, start + batchSize), 'int32');
        const bx = xs.map((t) => tf.gather(t, idx));
        const by = ys.map((t) => tf.gather(t, idx));
        idx.dispose();
        let loss: number;
        try {
          loss = this.trainOnBatch(bx, by);
        } finally {
          tf.dispose([...bx, ...by]);
        }
        sum += loss;
        batches++;
        await callbacks?.onBatchEnd?.(batches - 1, { loss });
      }
      history.epoch.push(epoch);
      history.loss.push(sum / batches);
      await callbacks?.onEpochEnd?.(epoch, { loss: sum / batches });
    }
    return history;
  }

  /**
   * Mean loss over a dataset (batch losses weighted by batch size), without training.
   * @throws NotReadyError before `compile`.
   */
  evaluate(x: ModelInput, y: ModelInput, options: BatchOptions = {}): number {
    const { batchSize = 256 } = options;
    validateSize('batchSize', batchSize);
    const xs = toTensorList(x, `${this.kind}.evaluate x`);
    const ys = toTensorList(y, `${this.kind}.evaluate y`);
    const n = xs[0]?.shape[0] as number;
    if (ys[0]?.shape[0] !== n) throw new ShapeError(`${this.kind}.evaluate: x has ${n} samples but y has ${ys[0]?.shape[0]}.`);
    if (n === 0) throw new InvalidArgumentError(`${this.kind}.evaluate: no samples.`);
    this.checkInputs(xs, `${this.kind}.evaluate`);
    assertFinite([...xs, ...ys], `${this.kind}.evaluate`);
    this.requireLoss();
    let sum = 0;
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const bx = xs.map((t) => sliceRows(t, start, size));
      const by = ys.map((t) => sliceRows(t, start, size));
      try {
        sum += this.lossOnBatch(bx, by) * size;
      } finally {
        tf.dispose([...bx, ...by]);
      }
    }
    return sum / n;
  }

  /**
   * Predictions with their risks, computed `batchSize` samples at a time (only each batch's
   * outputs are kept, so big datasets fit in memory). The caller owns the result.
   * @throws NotReadyError when a risk needs state that does not exist yet (an empty histogram).
   * @throws InvalidArgumentError for NaN/Infinity or plain arrays; ShapeError for inputs the model does not take.
   */
  predict(x: ModelInput, options: BatchOptions = {}): RiskTensor {
    const { batchSize = 256 } = options;
    validateSize('batchSize', batchSize);
    const xs = toTensorList(x, `${this.kind}.predict x`);
    const n = xs[0]?.shape[0] as number;
    if (n === 0) throw new InvalidArgumentError(`${this.kind}.predict: no samples.`);
    this.checkInputs(xs, `${this.kind}.predict`);
    // NaN/Inf rows would otherwise come back as confident finite outputs (the wasm kernels clamp).
    assertFinite(xs, `${this.kind}.predict`);
    const parts: RiskTensor[] = [];
    try {
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        const bx = xs.map((t) => sliceRows(t, start, size));
        try {
          parts.push(new RiskTensor(this.predictBatch(bx)));
        } finally {
          tf.dispose(bx);
        }
      }
      if (parts.length === 1) return parts[0] as RiskTensor;
      const all = RiskTensor.concat(parts);
      for (const p of parts) p.dispose();
      return all;
    } catch (e) {
      for (const p of parts) p.dispose();
      throw e;
    }
  }

  /**
   * Saves the wrapper (every part's architecture and weights, its options and its histogram
   * queue) through a tfjs IO handler or URL (`'indexeddb://...'`, `'localstorage://...'`,
   * `tf.io.withSaveHandler(...)`, `file://` with tfjs-node).
   * @throws UnsupportedModelError for wrappers of inference-only models.
   */
  abstract save(handlerOrUrl: string | tf.io.IOHandler): Promise<tf.io.SaveResult>;

  /** Releases the wrapper's own weights (the user's layers are not disposed). */
  abstract dispose(): void;
}

/** @internal Rows `[start, start + size)` of a tensor (explicit per-axis begin/size). */
export function sliceRows(t: tf.Tensor, start: number, size: number): tf.Tensor {
  return tf.slice(t, [start, ...t.shape.slice(1).map(() => 0)], [size, ...t.shape.slice(1).map(() => -1)]);
}
