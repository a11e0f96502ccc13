import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RiskModel } from '@dbvae/risk-wrappers';
import type { FittedRisk } from '../risk-scoring';
import { InputError } from '../errors';
import type { ChunkScorer, ScoredImage } from './chunk-scorer';

/** Contents of `dbvae-risk-model.json`, the manifest of a folder written by `--save-risk-model`. */
export interface RiskModelManifest {
  format: 'dbvae-risk-model';
  version: 1;
  /** Version of `@dbvae/cli` that fitted it. */
  cliVersion: string;
  /** Wrapper kind (`histogram-vae`, `mve`, `dropout`, `ensemble`). */
  wrapper: string;
  /** Input shape `[height, width, channels]`. */
  inputShape: [number, number, number];
  /** Where predictions come from: the frozen model (`model`) or the wrapper's retrained copy. */
  predictionSource: 'model' | 'retrained-copy';
  /** How it was fitted (model folder, data, epochs, seed). */
  settings: Record<string, unknown>;
  /** When it was written (ISO). */
  createdAt: string;
}

/** File name of the manifest inside a risk model folder. */
export const RISK_MODEL_MANIFEST = 'dbvae-risk-model.json';
/** Sub-folder holding the wrapper's tfjs artifacts. */
export const RISK_MODEL_SUBDIR = 'wrapper';
/** Sub-folder holding the user's frozen model (the predictions of post-hoc wrappers). */
export const RISK_MODEL_MODEL_SUBDIR = 'model';

/** A fitted risk model loaded for scoring. */
export interface LoadedRiskModel {
  manifest: RiskModelManifest;
  /** Fingerprint of the folder's files (SHA-256, hex): two folders with equal ids score alike. */
  id: string;
  /** Scores packed RGB images. Reseeds the wrapper for every chunk. */
  scorer: ChunkScorer;
  /** Frees the wrapper. */
  dispose(): void;
}

/**
 * Saves a fitted risk (from `fitRisk` / `fitWrapped`) into `dir` (normally the temporary folder
 * of `writeDirAtomic`): the wrapper's tfjs artifacts under `wrapper/`, the frozen model under
 * `model/` and the manifest.
 */
export async function saveRiskModel(dir: string, fitted: FittedRisk, manifest: Omit<RiskModelManifest, 'format' | 'version' | 'createdAt' | 'predictionSource'>): Promise<void> {
  const { fileSystemIOHandler } = await import('@dbvae/models');
  await fitted.wrapper.save(fileSystemIOHandler(join(dir, RISK_MODEL_SUBDIR)));
  await fitted.model.save(fileSystemIOHandler(join(dir, RISK_MODEL_MODEL_SUBDIR)));
  const full: RiskModelManifest = { format: 'dbvae-risk-model', version: 1, ...manifest, predictionSource: fitted.predictionSource, createdAt: new Date().toISOString() };
  await writeFile(join(dir, RISK_MODEL_MANIFEST), `${JSON.stringify(full, null, 2)}\n`);
}

/** SHA-256 over the wrapper's and the model's files (names and bytes, in name order): the identity a queue job carries. */
export async function riskModelId(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const subdir of [RISK_MODEL_SUBDIR, RISK_MODEL_MODEL_SUBDIR]) {
    const sub = join(dir, subdir);
    let names: string[];
    try {
      names = (await readdir(sub)).sort();
    } catch (cause) {
      throw new InputError(`--risk-model ${dir}: no ${subdir}/ folder; give a folder written by 'dbvae risk --save-risk-model'.`, { cause });
    }
    for (const name of names) {
      hash.update(`${subdir}/${name}\0`);
      hash.update(await readFile(join(sub, name)));
    }
  }
  return hash.digest('hex');
}

/** Reads the manifest of a risk model folder. @throws InputError when it is missing or not a risk model. */
export async function readRiskModelManifest(dir: string): Promise<RiskModelManifest> {
  let manifest: RiskModelManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, RISK_MODEL_MANIFEST), 'utf8')) as RiskModelManifest;
  } catch (cause) {
    throw new InputError(`--risk-model ${dir}: no readable ${RISK_MODEL_MANIFEST}; give a folder written by 'dbvae risk --save-risk-model'.`, { cause });
  }
  if (manifest.format !== 'dbvae-risk-model' || manifest.version !== 1) throw new InputError(`--risk-model ${dir}: ${RISK_MODEL_MANIFEST} is not a dbvae risk model manifest (format ${String(manifest.format)}, version ${String(manifest.version)}).`);
  return manifest;
}

/**
 * Restarts the wrapper's random stream (MC-dropout masks, VAE samples) at `seed`, so that a
 * chunk's scores do not depend on what was scored before it in the same process.
 * ComposedWrapper keeps its stream in `rng` (read at each draw) and ensembles hold ComposedWrappers
 * in `members`; a wrapper with neither has no randomness at prediction time.
 */
async function reseed(wrapper: RiskModel, seed: number): Promise<void> {
  const { createRandom } = await import('@dbvae/backend');
  const w = wrapper as unknown as { rng?: unknown; members?: RiskModel[] };
  if (w.rng !== undefined) (w as { rng: unknown }).rng = createRandom(seed);
  if (Array.isArray(w.members)) for (const [i, m] of w.members.entries()) await reseed(m, seed + i + 1);
}

/**
 * Loads a risk model folder for scoring (after `initBackend`).
 * @throws InputError for a folder that is not a risk model; SerializationError for damaged artifacts.
 */
export async function loadRiskModel(dir: string): Promise<LoadedRiskModel> {
  const manifest = await readRiskModelManifest(dir);
  const id = await riskModelId(dir);
  const [{ tf }, { loadRiskWrapper }, { fileSystemIOHandler }, { scoreRiskChunk }] = await Promise.all([import('@dbvae/backend'), import('@dbvae/risk-wrappers'), import('@dbvae/models'), import('../risk-scoring')]);
  const wrapper = await loadRiskWrapper(fileSystemIOHandler(join(dir, RISK_MODEL_SUBDIR)));
  const model = await tf.loadLayersModel(fileSystemIOHandler(join(dir, RISK_MODEL_MODEL_SUBDIR)));
  const fitted: FittedRisk = {
    kind: manifest.wrapper,
    predictionSource: manifest.predictionSource,
    model,
    wrapper,
    dispose: () => {
      wrapper.dispose();
      model.dispose();
    },
  };
  const [h, w] = manifest.inputShape;
  const scorer: ChunkScorer = async (images, n, height, width, context) => {
    if (height !== h || width !== w) throw new InputError(`images are ${height}x${width} but the risk model takes ${h}x${w}.`);
    await reseed(wrapper, context.seed);
    return scoreRiskChunk(fitted, { images: images.subarray(0, n * height * width * 3), height, width }).map((r) => {
      const s: ScoredImage = { prediction: r.prediction as number };
      if (r.bias !== undefined) s.bias = r.bias;
      if (r.epistemic !== undefined) s.epistemic = r.epistemic;
      if (r.aleatoric !== undefined) s.aleatoric = r.aleatoric;
      if (r.predictionSource !== undefined) s.predictionSource = r.predictionSource;
      return s;
    });
  };
  return { manifest, id, scorer, dispose: () => fitted.dispose() };
}
