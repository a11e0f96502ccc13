import { InvalidArgumentError, ShapeError, tf } from '@dbvae/backend';
import { imagesToTensor } from '@dbvae/core-data';
import { ComposedWrapper, wrap, type RiskModel, type WrapOptions } from '@dbvae/risk-wrappers';
import type { RiskScoreRow } from './risk-output';

/** Risk estimators `dbvae risk` can wrap a model with. */
export type WrapperKind = 'histogram-vae' | 'mve' | 'dropout' | 'ensemble';

/** Every {@link WrapperKind}, in the order of `dbvae risk --help`. */
export const WRAPPER_KINDS: readonly WrapperKind[] = ['histogram-vae', 'mve', 'dropout', 'ensemble'];

/**
 * Where the `prediction` of a scored row comes from: `'model'`, the user's frozen model itself
 * (post-hoc wrappers: only the risk components are fitted, the model is never trained), or
 * `'retrained-copy'`, a copy of the model trained with the method (MC dropout on a model trained
 * without dropout, ensembles), whose predictions differ from the model's.
 */
export type PredictionSource = 'model' | 'retrained-copy';

/** How each wrapper kind gets its risk: post-hoc around the frozen model, or from a retrained copy. */
export const PREDICTION_SOURCE: Readonly<Record<WrapperKind, PredictionSource>> = Object.freeze({
  'histogram-vae': 'model',
  mve: 'model',
  dropout: 'retrained-copy',
  ensemble: 'retrained-copy',
});

/**
 * The `wrap()` options of each kind. The histogram and the VAE see faces only (label 1), as
 * in the DB-VAE: representation is measured among faces, and the VAE's reconstruction error
 * is the distance from the faces it learnt.
 */
export function wrapOptionsFor(kind: WrapperKind, seed: number): WrapOptions {
  switch (kind) {
    case 'histogram-vae':
      return { bias: { score: 'logProb' }, epistemic: 'vae', vae: { latentDim: 32, decoder: 'auto', onlyClass: 1 }, seed };
    case 'mve':
      return { aleatoric: true, seed };
    case 'dropout':
      return { epistemic: 'dropout', seed };
    case 'ensemble':
      return { epistemic: 'ensemble', seed };
    default:
      throw new InvalidArgumentError(`Unknown risk wrapper '${String(kind)}'; use one of ${WRAPPER_KINDS.join(', ')}.`);
  }
}

/** Packed RGB uint8 images (`n x height x width x 3`) with their labels: the set a risk is fitted on. */
export interface RiskFitData {
  images: Uint8Array;
  /** One label per image (1 face, 0 not a face). */
  labels: Uint8Array;
  height: number;
  width: number;
}

/** Options of {@link fitRisk}. */
export interface FitRiskOptions {
  wrapper: WrapperKind;
  /** Passes over the fit set. */
  epochs: number;
  /** Seed of the risk components, the batch order and dropout masks. */
  seed: number;
  /** Images per step. Default 32. */
  batchSize?: number;
  /** Called after each epoch with its mean loss (progress). */
  onEpochEnd?: (epoch: number, loss: number) => void;
}

/** Options of {@link fitWrapped}: any `wrap()` combination, post-hoc or on a retrained copy. */
export interface FitWrappedOptions extends Omit<FitRiskOptions, 'wrapper'> {
  /** What to estimate, as for `wrap()`. */
  wrap: WrapOptions;
  /** `'model'`: freeze the model and fit only the risk components (post-hoc); `'retrained-copy'`: train a copy with the method. */
  predictionSource: PredictionSource;
  /** Name of the estimator (the `kind` of the result). Default `'custom'`. */
  kind?: string;
}

/** A risk estimator fitted by {@link fitRisk}, ready for {@link scoreRiskChunk}. */
export interface FittedRisk {
  /** The wrapper kind (or the `kind` given to {@link fitWrapped}). */
  kind: string;
  /** Where the `prediction` column comes from. */
  predictionSource: PredictionSource;
  /** The user's model, never trained: it gives the predictions of post-hoc wrappers. Not owned (not disposed here). */
  model: tf.LayersModel;
  /** The fitted wrapper (around a copy of the model). */
  wrapper: RiskModel;
  /** Frees the wrapper and the copy (not `model`). */
  dispose(): void;
}

/** A copy of a layers model with its own weights (through an in-memory save and load). */
async function copyModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
}

function checkImages(images: Uint8Array, height: number, width: number, what: string): number {
  const size = height * width * 3;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) throw new InvalidArgumentError(`${what}: height and width must be positive integers, got ${height}x${width}.`);
  if (images.length % size !== 0) throw new ShapeError(`${what}: ${images.length} bytes is not a whole number of ${height}x${width} RGB images.`);
  return images.length / size;
}

/**
 * Fits a risk estimator of one of the CLI's kinds for `model` on `data` (the training set,
 * never the data to be scored); see {@link fitWrapped}. Post-hoc kinds (`histogram-vae`, `mve`)
 * keep the model's predictions; `dropout` and `ensemble` train a copy.
 * @throws InvalidArgumentError for an unknown kind or bad sizes; ShapeError when the images do not match the model's input.
 */
export async function fitRisk(model: tf.LayersModel, data: RiskFitData, options: FitRiskOptions): Promise<FittedRisk> {
  const { wrapper, ...rest } = options;
  return fitWrapped(model, data, { ...rest, wrap: wrapOptionsFor(wrapper, options.seed), predictionSource: PREDICTION_SOURCE[wrapper], kind: wrapper });
}

/**
 * Fits any `wrap()` combination for `model` on `data`. The model itself is never changed: the
 * wrapper is built around a copy. Post-hoc (`predictionSource: 'model'`) freezes that copy and
 * fits only the risk components; otherwise the copy (and, for an ensemble, freshly initialised
 * members) trains with the method. A histogram is filled last, from the faces (label 1) of
 * `data` as the fitted model sees them, so it describes the final representation, not the
 * ones passed through during training.
 * @throws InvalidArgumentError for bad sizes or options; ShapeError when the images do not match the model's input.
 */
export async function fitWrapped(model: tf.LayersModel, data: RiskFitData, options: FitWrappedOptions): Promise<FittedRisk> {
  const n = checkImages(data.images, data.height, data.width, 'fitRisk');
  if (data.labels.length !== n) throw new ShapeError(`fitRisk: ${n} images but ${data.labels.length} labels.`);
  if (n === 0) throw new InvalidArgumentError('fitRisk: the fit set is empty.');
  const [h, w] = (model.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
  if (h !== data.height || w !== data.width) throw new ShapeError(`fitRisk: the fit images are ${data.height}x${data.width} but the model takes ${h}x${w}.`);
  const postHoc = options.predictionSource === 'model';
  const copy = await copyModel(model);
  if (postHoc) for (const layer of copy.layers) layer.trainable = false;
  let wrapper: RiskModel | undefined;
  const x = imagesToTensor(data, {});
  const y = tf.tensor2d(Float32Array.from(data.labels), [n, 1]);
  try {
    wrapper = wrap(copy, options.wrap);
    wrapper.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    // Post-hoc with a histogram alone there is nothing to train.
    const trains = !postHoc || options.wrap.epistemic !== undefined || Boolean(options.wrap.aleatoric);
    if (trains) {
      await wrapper.fit(x, y, {
        epochs: options.epochs,
        batchSize: options.batchSize ?? 32,
        seed: options.seed,
        callbacks: { onEpochEnd: (epoch, logs) => options.onEpochEnd?.(epoch, logs.loss) },
      });
    }
    if (wrapper instanceof ComposedWrapper && wrapper.histogram) {
      const faces = [...data.labels].flatMap((label, i) => (label === 1 ? [i] : []));
      const ref = faces.length > 0 ? tf.gather(x, faces) : x;
      try {
        wrapper.fitHistogram(ref, { reset: true });
      } finally {
        if (ref !== x) ref.dispose();
      }
    }
  } catch (error) {
    wrapper?.dispose();
    copy.dispose();
    throw error;
  } finally {
    x.dispose();
    y.dispose();
  }
  const fitted = wrapper;
  return {
    kind: options.kind ?? 'custom',
    predictionSource: options.predictionSource,
    model,
    wrapper: fitted,
    dispose: () => {
      fitted.dispose();
      copy.dispose();
    },
  };
}

/** A chunk of images to score: packed RGB uint8 with optional per-image metadata. */
export interface RiskChunk {
  images: Uint8Array;
  height: number;
  width: number;
  /** Index of the chunk's first image in the whole data set (the rows' `index`). Default 0. */
  offset?: number;
  labels?: ArrayLike<number>;
  files?: readonly string[];
  groups?: readonly (string | undefined)[];
}

/** Images per forward pass of {@link scoreRiskChunk}, as in `predictPacked` (so predictions match `dbvae evaluate`'s bit for bit). */
export const SCORE_BATCH = 64;

/**
 * Scores one chunk of images with a fitted risk: images in, plain JSON rows out (no tensors
 * escape, so a queue worker can return them). `prediction` is the face probability of
 * `fitted.predictionSource` (the frozen model's own output for post-hoc kinds), `bias` the
 * log-density of the image's representation (higher = better represented), `epistemic` and
 * `aleatoric` as the wrapper reports them. Rows depend only on their own image for the
 * post-hoc kinds (not on the rest of the chunk).
 * @throws ShapeError when the chunk does not match the model or its metadata lengths differ.
 */
export function scoreRiskChunk(fitted: FittedRisk, chunk: RiskChunk): RiskScoreRow[] {
  const n = checkImages(chunk.images, chunk.height, chunk.width, 'scoreRiskChunk');
  const [h, w] = (fitted.model.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
  if (h !== chunk.height || w !== chunk.width) throw new ShapeError(`scoreRiskChunk: the images are ${chunk.height}x${chunk.width} but the model takes ${h}x${w}.`);
  for (const [name, meta] of [['labels', chunk.labels], ['files', chunk.files], ['groups', chunk.groups]] as const) {
    if (meta !== undefined && meta.length !== n) throw new ShapeError(`scoreRiskChunk: ${n} images but ${meta.length} ${name}.`);
  }
  const offset = chunk.offset ?? 0;
  const prediction = new Float32Array(n);
  const risks: Partial<Record<'bias' | 'epistemic' | 'aleatoric', Float32Array>> = {};
  for (let start = 0; start < n; start += SCORE_BATCH) {
    const end = Math.min(n, start + SCORE_BATCH);
    const x = imagesToTensor(chunk, { indices: Array.from({ length: end - start }, (_, i) => start + i) });
    try {
      const out = fitted.wrapper.predict(x, { batchSize: SCORE_BATCH });
      try {
        const p = tf.tidy(() => tf.sigmoid(fitted.predictionSource === 'model' ? (fitted.model.predict(x) as tf.Tensor) : out.yHat).dataSync() as Float32Array);
        prediction.set(p, start);
        for (const r of ['bias', 'epistemic', 'aleatoric'] as const) {
          const t = out[r];
          if (!t) continue;
          const values = (risks[r] ??= new Float32Array(n));
          // One number per image: the first entry of per-output risks.
          values.set(tf.tidy(() => t.reshape([end - start, -1]).slice([0, 0], [-1, 1]).dataSync() as Float32Array), start);
        }
      } finally {
        out.dispose();
      }
    } finally {
      x.dispose();
    }
  }
  return Array.from({ length: n }, (_, i) => ({
    index: offset + i,
    file: chunk.files?.[i],
    group: chunk.groups?.[i],
    label: chunk.labels?.[i],
    prediction: prediction[i],
    bias: risks.bias?.[i],
    epistemic: risks.epistemic?.[i],
    aleatoric: risks.aleatoric?.[i],
    predictionSource: fitted.predictionSource,
  }));
}
