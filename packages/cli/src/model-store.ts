import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from '@dbvae/backend';
import type { DBVAE } from '@dbvae/models';
import { InputError } from './errors';

/** Kinds of model folders the CLI writes. */
export type StoredModelKind = 'standard' | 'dbvae';

/** Contents of `dbvae-model.json`, the manifest of a model folder written by `dbvae train`. */
export interface ModelManifest {
  /** Marks the folder as written by `dbvae train`. */
  format: 'dbvae-cli-model';
  /** Manifest format version. */
  version: 1;
  /** Which model the folder holds. */
  kind: StoredModelKind;
  /** Input shape `[height, width, channels]`. */
  inputShape: [number, number, number];
  /** When it was written (ISO). */
  createdAt: string;
  /** The training settings. */
  settings: Record<string, unknown>;
}

/** File name of the manifest inside a model folder. */
export const MODEL_MANIFEST = 'dbvae-model.json';
/** Sub-folder holding the tfjs artifacts (`model.json`, `weights.bin`). */
export const MODEL_SUBDIR = 'model';

/** A model loaded from a folder, ready to predict face probabilities. */
export interface StoredModel {
  /** Which model was loaded. */
  kind: StoredModelKind;
  /** The folder's manifest. */
  manifest: ModelManifest;
  /** Face probabilities `[n]` of a float batch `[n, H, W, 3]` in [0, 1]. The caller owns `x`. */
  predictProbabilities(x: tf.Tensor4D): Float32Array;
  /** The DB-VAE, when `kind` is `'dbvae'` (for latent means and reconstructions). */
  dbvae?: DBVAE;
  /** The classifier, when `kind` is `'standard'`. */
  classifier?: tf.LayersModel;
  /** Frees the model's weights. */
  dispose(): void;
}

/**
 * Saves a trained model into `dir` (normally the temporary folder of `writeDirAtomic`): the
 * tfjs artifacts under `model/` and the manifest `dbvae-model.json`.
 */
export async function saveStoredModel(dir: string, model: { kind: 'standard'; classifier: tf.LayersModel } | { kind: 'dbvae'; dbvae: DBVAE }, settings: Record<string, unknown>): Promise<void> {
  const { fileSystemIOHandler, saveDBVAE } = await import('@dbvae/models');
  const handler = fileSystemIOHandler(join(dir, MODEL_SUBDIR));
  let inputShape: [number, number, number];
  if (model.kind === 'standard') {
    await model.classifier.save(handler);
    inputShape = (model.classifier.inputs[0]!.shape.slice(1) as [number, number, number]);
  } else {
    await saveDBVAE(model.dbvae, handler, { metadata: settings });
    inputShape = model.dbvae.config.inputShape;
  }
  const manifest: ModelManifest = { format: 'dbvae-cli-model', version: 1, kind: model.kind, inputShape, createdAt: new Date().toISOString(), settings };
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(dir, MODEL_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Loads a model folder written by `dbvae train`.
 * @throws InputError when the folder has no readable manifest or its kind is unknown; CheckpointError (from `@dbvae/models`) for damaged weights.
 */
export async function loadStoredModel(dir: string): Promise<StoredModel> {
  let manifest: ModelManifest;
  let text: string;
  try {
    text = await readFile(join(dir, MODEL_MANIFEST), 'utf8');
  } catch (cause) {
    const errno = (cause as { code?: string }).code;
    if (errno === 'ENOENT') {
      const interrupted = await readFile(join(dir, 'checkpoint', 'state.json')).then(() => true, () => false);
      throw new InputError(interrupted ? `--model ${dir}: this training was interrupted before it finished; continue it with 'dbvae train --resume ${dir}'.` : `--model ${dir}: no ${MODEL_MANIFEST} here; give a folder written by 'dbvae train'.`, { cause });
    }
    throw new InputError(`--model ${dir}: cannot read ${MODEL_MANIFEST}: ${errno === 'EACCES' || errno === 'EPERM' ? 'permission denied' : (cause as Error).message}.`, { cause });
  }
  try {
    manifest = JSON.parse(text) as ModelManifest;
  } catch (cause) {
    throw new InputError(`--model ${dir}: ${MODEL_MANIFEST} is damaged (not valid JSON: ${(cause as Error).message}); train the model again or restore the file.`, { cause });
  }
  if (manifest === null || typeof manifest !== 'object' || manifest.format !== 'dbvae-cli-model' || (manifest.kind !== 'standard' && manifest.kind !== 'dbvae')) {
    throw new InputError(`--model ${dir}: ${MODEL_MANIFEST} is not a dbvae model manifest.`);
  }
  const { fileSystemIOHandler, loadDBVAE } = await import('@dbvae/models');
  const handler = fileSystemIOHandler(join(dir, MODEL_SUBDIR));
  if (manifest.kind === 'standard') {
    const classifier = await tf.loadLayersModel(handler);
    return {
      kind: 'standard',
      manifest,
      classifier,
      predictProbabilities: (x) => tf.tidy(() => tf.sigmoid(classifier.predict(x) as tf.Tensor).dataSync() as Float32Array),
      dispose: () => classifier.dispose(),
    };
  }
  const { model } = await loadDBVAE(handler);
  return {
    kind: 'dbvae',
    manifest,
    dbvae: model,
    predictProbabilities: (x) => tf.tidy(() => model.predict(x).dataSync() as Float32Array),
    dispose: () => model.dispose(),
  };
}

/**
 * Face probabilities of packed uint8 RGB images, predicted in batches (tensors disposed as it goes).
 */
export async function predictPacked(model: StoredModel, images: { images: Uint8Array; height: number; width: number }, batchSize = 64): Promise<Float32Array> {
  const { imagesToTensor } = await import('@dbvae/core-data');
  const size = images.height * images.width * 3;
  const n = images.images.length / size;
  const out = new Float32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const indices = Array.from({ length: end - start }, (_, i) => start + i);
    const x = imagesToTensor(images, { indices });
    try {
      out.set(model.predictProbabilities(x), start);
    } finally {
      x.dispose();
    }
  }
  return out;
}
