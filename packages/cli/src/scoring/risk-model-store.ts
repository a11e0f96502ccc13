import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import type { FittedRisk } from '../risk-scoring';
import type { ChunkScorer, ScoredImage } from './chunk-scorer';

/**
 * Contents of `dbvae-risk-model.json`, written beside a fitted risk (`saveFittedRisk`'s
 * `wrapper/` and `dbvae-risk.json`) by `--save-risk-model`: what the CLI needs to score with it.
 */
export interface RiskModelManifest {
  /** Format tag, so other JSON files are not mistaken for a risk model. */
  format: 'dbvae-risk-model';
  /** Format version; only 1 is read. */
  version: 1;
  /** Version of `@dbvae/cli` that fitted it. */
  cliVersion: string;
  /** Wrapper kind (`histogram-vae`, `mve`, `dropout`, `ensemble`). */
  wrapper: string;
  /** Input shape `[height, width, channels]`. */
  inputShape: [number, number, number];
  /** Where predictions come from (`model`: the frozen model's own output). */
  predictionSource: FittedRisk['predictionSource'];
  /** Where the risk comes from (`frozen-model` or `retrained-copy`). */
  riskSource: FittedRisk['riskSource'];
  /** How it was fitted (model folder, fit file, epochs, seed). */
  settings: Record<string, unknown>;
  /** When it was written (ISO). */
  createdAt: string;
}

/** File name of the CLI's manifest inside a risk model folder (written last: its presence means the folder is complete). */
export const RISK_MODEL_MANIFEST = 'dbvae-risk-model.json';

/** A fitted risk model loaded for scoring. */
export interface LoadedRiskModel {
  /** The folder's `dbvae-risk-model.json`. */
  manifest: RiskModelManifest;
  /** Fingerprint of the folder's files (SHA-256, hex): two folders with equal ids score alike. */
  id: string;
  /** Scores packed RGB images through `scoreRiskChunk` (each chunk reseeded from its offset). */
  scorer: ChunkScorer;
  /** Frees the wrapper. */
  dispose(): void;
}

/**
 * Saves a fitted risk (from `fitRisk` / `fitWrapped`) into `dir` with `saveFittedRisk` (the
 * wrapper, frozen model included, under `wrapper/`, and `dbvae-risk.json`, atomically), then
 * the CLI's manifest.
 */
export async function saveRiskModel(dir: string, fitted: FittedRisk, manifest: Omit<RiskModelManifest, 'format' | 'version' | 'createdAt' | 'predictionSource' | 'riskSource'>): Promise<void> {
  const { saveFittedRisk } = await import('../risk-scoring');
  await saveFittedRisk(fitted, dir);
  const full: RiskModelManifest = { format: 'dbvae-risk-model', version: 1, ...manifest, predictionSource: fitted.predictionSource, riskSource: fitted.riskSource, createdAt: new Date().toISOString() };
  await writeFileAtomic(join(dir, RISK_MODEL_MANIFEST), `${JSON.stringify(full, null, 2)}\n`);
}

/** SHA-256 over the fitted risk's files (`dbvae-risk.json` and `wrapper/`, names and bytes, in name order): the identity a queue job carries. */
export async function riskModelId(dir: string): Promise<string> {
  const { FITTED_RISK_MANIFEST } = await import('../risk-scoring');
  const hash = createHash('sha256');
  try {
    hash.update(`${FITTED_RISK_MANIFEST}\0`);
    hash.update(await readFile(join(dir, FITTED_RISK_MANIFEST)));
    for (const name of (await readdir(join(dir, 'wrapper'))).sort()) {
      hash.update(`wrapper/${name}\0`);
      hash.update(await readFile(join(dir, 'wrapper', name)));
    }
  } catch (cause) {
    throw new InputError(`--risk-model ${dir}: no fitted risk (${FITTED_RISK_MANIFEST} and wrapper/); give a folder written by 'dbvae risk --save-risk-model'.`, { cause });
  }
  return hash.digest('hex');
}

/** Reads the CLI manifest of a risk model folder. @throws InputError when it is missing or not a risk model. */
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
 * Loads a risk model folder for scoring (after `initBackend`).
 * @throws InputError for a folder that is not a risk model; SerializationError for damaged artifacts.
 */
export async function loadRiskModel(dir: string): Promise<LoadedRiskModel> {
  const manifest = await readRiskModelManifest(dir);
  const id = await riskModelId(dir);
  const { loadFittedRisk, scoreRiskChunk } = await import('../risk-scoring');
  const fitted = await loadFittedRisk(dir);
  const [h, w] = manifest.inputShape;
  const scorer: ChunkScorer = async (images, n, height, width, context) => {
    if (height !== h || width !== w) throw new InputError(`images are ${height}x${width} but the risk model takes ${h}x${w}.`);
    return scoreRiskChunk(fitted, { images: images.subarray(0, n * height * width * 3), height, width, offset: context.offset }).map((r) => {
      const s: ScoredImage = { prediction: r.prediction as number };
      if (r.bias !== undefined) s.bias = r.bias;
      if (r.epistemic !== undefined) s.epistemic = r.epistemic;
      if (r.aleatoric !== undefined) s.aleatoric = r.aleatoric;
      if (r.predictionSource !== undefined) s.predictionSource = r.predictionSource;
      if (r.riskSource !== undefined) s.riskSource = r.riskSource;
      return s;
    });
  };
  return { manifest, id, scorer, dispose: () => fitted.dispose() };
}
