import { InvalidArgumentError, ShapeError, tf } from '@dbvae/backend';
import { imagesToTensor } from '@dbvae/core-data';
import { ComposedWrapper, scoreBatch, wrap, type RiskModel, type WrapOptions } from '@dbvae/risk-wrappers';
import type { RiskScoreRow } from './risk-output';

/** Risk estimators `dbvae risk` can wrap a model with. */
export type WrapperKind = 'histogram-vae' | 'mve' | 'dropout' | 'ensemble';

/** Every {@link WrapperKind}, in the order of `dbvae risk --help`. */
export const WRAPPER_KINDS: readonly WrapperKind[] = ['histogram-vae', 'mve', 'dropout', 'ensemble'];

/**
 * Where the risk of a scored row comes from: `'frozen-model'`, parts fitted around the user's
 * frozen model (histogram, VAE, MVE head), or `'retrained-copy'`, a copy of the model trained
 * with the method on the fit set (MC dropout on a model trained without dropout, ensembles).
 * The `prediction` is the frozen model's own output either way.
 */
export type RiskSource = 'frozen-model' | 'retrained-copy';

/** Where each wrapper kind's risk comes from. */
export const RISK_SOURCE: Readonly<Record<WrapperKind, RiskSource>> = Object.freeze({
  'histogram-vae': 'frozen-model',
  mve: 'frozen-model',
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
      return { bias: true, epistemic: 'vae', vae: { latentDim: 32, decoder: 'auto', onlyClass: 1 }, seed };
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
  /** The images, packed row-major RGB (`n * height * width * 3` bytes). */
  images: Uint8Array;
  /** One label per image (1 face, 0 not a face). */
  labels: Uint8Array;
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
}

/** Options of {@link fitRisk}. */
export interface FitRiskOptions {
  /** Which risk wrapper to fit around the model. */
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

/** Options of {@link fitWrapped}: any `wrap()` combination. */
export interface FitWrappedOptions extends Omit<FitRiskOptions, 'wrapper'> {
  /** What to estimate, as for `wrap()`; `mode` defaults to `'post-hoc'` (the model is never trained). */
  wrap: WrapOptions;
  /** Name of the estimator (the `kind` of the result). Default `'custom'`. */
  kind?: string;
}

/** A risk estimator fitted by {@link fitRisk}, ready for {@link scoreRiskChunk}. */
export interface FittedRisk {
  /** The wrapper kind (or the `kind` given to {@link fitWrapped}). */
  kind: string;
  /** Where `prediction` comes from: `'model'`, the frozen model's own output (post-hoc), or `'joint'` (a jointly trained wrapper). */
  predictionSource: 'model' | 'joint';
  /** Where the risk comes from. */
  riskSource: RiskSource;
  /** The fitted wrapper (around the frozen model). */
  wrapper: RiskModel;
  /** Seed of the run: each chunk's random stream (MC dropout masks) restarts from it and the chunk's offset. */
  seed: number;
  /** Frees the wrapper's own parts (not the model). */
  dispose(): void;
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
  return fitWrapped(model, data, { ...rest, wrap: wrapOptionsFor(wrapper, options.seed), kind: wrapper });
}

/**
 * Fits any `wrap()` combination for `model` on `data` (labels used). In the default post-hoc
 * mode the model is frozen (its weights never change; predictions are its own) and only the
 * risk parts are fitted; MC dropout and ensembles train copies. The histogram is refilled last
 * from the faces (label 1) of `data`, so it measures representation among faces.
 * @throws InvalidArgumentError for bad sizes or options; ShapeError when the images do not match the model's input.
 */
export async function fitWrapped(model: tf.LayersModel, data: RiskFitData, options: FitWrappedOptions): Promise<FittedRisk> {
  const n = checkImages(data.images, data.height, data.width, 'fitRisk');
  if (data.labels.length !== n) throw new ShapeError(`fitRisk: ${n} images but ${data.labels.length} labels.`);
  if (n === 0) throw new InvalidArgumentError('fitRisk: the fit set is empty.');
  const [h, w] = (model.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
  if (h !== data.height || w !== data.width) throw new ShapeError(`fitRisk: the fit images are ${data.height}x${data.width} but the model takes ${h}x${w}.`);
  const wrapper = wrap(model, { mode: 'post-hoc', ...options.wrap });
  const x = imagesToTensor(data, {});
  const y = tf.tensor2d(Float32Array.from(data.labels), [n, 1]);
  try {
    wrapper.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    await wrapper.fit(x, y, {
      epochs: options.epochs,
      batchSize: options.batchSize ?? 32,
      seed: options.seed,
      callbacks: { onEpochEnd: (epoch, logs) => options.onEpochEnd?.(epoch, logs.loss) },
    });
    if (wrapper instanceof ComposedWrapper && wrapper.histogram) {
      const faces = [...data.labels].flatMap((label, i) => (label === 1 ? [i] : []));
      const ref = faces.length > 0 && faces.length < n ? tf.gather(x, faces) : x;
      try {
        wrapper.fitHistogram(ref, { reset: true });
      } finally {
        if (ref !== x) ref.dispose();
      }
    }
  } catch (error) {
    wrapper.dispose();
    throw error;
  } finally {
    x.dispose();
    y.dispose();
  }
  const joint = (wrapper as { mode?: string }).mode === 'joint';
  const copies = (wrapper as { retrainsCopies?: boolean }).retrainsCopies ?? false;
  return {
    kind: options.kind ?? 'custom',
    predictionSource: joint ? 'joint' : 'model',
    riskSource: copies ? 'retrained-copy' : 'frozen-model',
    wrapper,
    seed: options.seed,
    dispose: () => wrapper.dispose(),
  };
}

/** A chunk of images to score: packed RGB uint8 with optional per-image metadata. */
export interface RiskChunk {
  /** The images, packed row-major RGB (`n * height * width * 3` bytes). */
  images: Uint8Array;
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** Index of the chunk's first image in the whole data set (the rows' `index`). Default 0. */
  offset?: number;
  /** One label per image, copied into the rows' `label`. */
  labels?: ArrayLike<number>;
  /** One file name per image, copied into the rows' `file`. */
  files?: readonly string[];
  /** One group name (or undefined) per image, copied into the rows' `group`. */
  groups?: readonly (string | undefined)[];
}

/** Images per forward pass of {@link scoreRiskChunk}: `model.predict`'s default, so predictions match `dbvae evaluate`'s bit for bit. */
export const SCORE_BATCH = 32;

/**
 * Scores one chunk of images with a fitted risk: images in, plain JSON rows out (no tensors
 * escape, so a queue worker can return them), through the library's `scoreBatch`.
 * `prediction` is the face probability (the frozen model's own output in post-hoc mode), `bias`
 * the log-density of the image's representation (higher = better represented), `epistemic` and
 * `aleatoric` as the wrapper reports them. The random stream (MC dropout masks) restarts from
 * the fitted seed and the chunk's offset, so a retried chunk scores exactly as before; the
 * other risks of a row depend only on its own image.
 * @throws ShapeError when the chunk does not match the model or its metadata lengths differ.
 */
export function scoreRiskChunk(fitted: FittedRisk, chunk: RiskChunk): RiskScoreRow[] {
  const n = checkImages(chunk.images, chunk.height, chunk.width, 'scoreRiskChunk');
  for (const [name, meta] of [['labels', chunk.labels], ['files', chunk.files], ['groups', chunk.groups]] as const) {
    if (meta !== undefined && meta.length !== n) throw new ShapeError(`scoreRiskChunk: ${n} images but ${meta.length} ${name}.`);
  }
  const offset = chunk.offset ?? 0;
  const x = imagesToTensor(chunk, {});
  let scored: ReturnType<typeof scoreBatch>;
  try {
    scored = scoreBatch(fitted.wrapper, x, { batchSize: SCORE_BATCH, seed: fitted.seed + offset });
  } finally {
    x.dispose();
  }
  return scored.rows.map((row, i) => ({
    index: offset + i,
    file: chunk.files?.[i],
    group: chunk.groups?.[i],
    label: chunk.labels?.[i],
    prediction: row.prediction,
    bias: row.bias,
    epistemic: row.epistemic,
    aleatoric: row.aleatoric,
    predictionSource: fitted.predictionSource,
    riskSource: fitted.riskSource,
    named: row.named as Record<string, number>,
  }));
}

/** File name of the description written beside a saved wrapper by {@link saveFittedRisk}. */
export const FITTED_RISK_MANIFEST = 'dbvae-risk.json';

interface FittedRiskManifest {
  format: 'dbvae-fitted-risk';
  version: 1;
  kind: string;
  seed: number;
  predictionSource: FittedRisk['predictionSource'];
  riskSource: RiskSource;
}

/**
 * Saves a fitted risk into the folder `dir` (atomically: a temporary sibling, then a rename):
 * the wrapper (frozen model, fitted parts, histogram) under `wrapper/` and
 * `dbvae-risk.json`. A queue worker loads it once with {@link loadFittedRisk} and scores chunks.
 */
export async function saveFittedRisk(fitted: FittedRisk, dir: string): Promise<void> {
  const { fileSystemIOHandler } = await import('@dbvae/models');
  const { writeDirAtomic } = await import('./fs-atomic');
  const { writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await writeDirAtomic(dir, async (tmp) => {
    await fitted.wrapper.save(fileSystemIOHandler(join(tmp, 'wrapper')));
    const manifest: FittedRiskManifest = { format: 'dbvae-fitted-risk', version: 1, kind: fitted.kind, seed: fitted.seed, predictionSource: fitted.predictionSource, riskSource: fitted.riskSource };
    await writeFile(join(tmp, FITTED_RISK_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  });
}

/**
 * Loads a fitted risk saved by {@link saveFittedRisk}; it scores exactly as the one saved.
 * @throws InvalidArgumentError when `dir` holds no fitted risk; SerializationError (from `@dbvae/risk-wrappers`) for damaged wrapper files.
 */
export async function loadFittedRisk(dir: string): Promise<FittedRisk> {
  const { fileSystemIOHandler } = await import('@dbvae/models');
  const { loadRiskWrapper } = await import('@dbvae/risk-wrappers');
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  let manifest: FittedRiskManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, FITTED_RISK_MANIFEST), 'utf8')) as FittedRiskManifest;
  } catch (cause) {
    throw new InvalidArgumentError(`${dir}: no readable ${FITTED_RISK_MANIFEST}; give a folder written by saveFittedRisk.`, { cause });
  }
  if (manifest.format !== 'dbvae-fitted-risk' || manifest.version !== 1) throw new InvalidArgumentError(`${dir}: ${FITTED_RISK_MANIFEST} is not a fitted risk of this version.`);
  const wrapper = await loadRiskWrapper(fileSystemIOHandler(join(dir, 'wrapper')));
  return { kind: manifest.kind, seed: manifest.seed, predictionSource: manifest.predictionSource, riskSource: manifest.riskSource, wrapper, dispose: () => wrapper.dispose() };
}
