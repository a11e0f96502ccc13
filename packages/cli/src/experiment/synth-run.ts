import type { tf as TF } from '@dbvae/backend';
import type { FaceDataset, SynthFacesData } from '@dbvae/core-data';
import type { DBVAE, EpochRecord, TrainingHistory } from '@dbvae/models';
import { groupMetrics, type GroupMetricsResult } from '../group-metrics';

/** The four test groups, light/dark skin x female/male. */
export const SYNTH_GROUPS = ['LF', 'LM', 'DF', 'DM'] as const;

/** How a SynthFaces experiment's data is made. */
export interface SynthDataSettings {
  /** Training images (half faces). */
  n: number;
  /** Balanced test faces per group. */
  testPerGroup: number;
  /** P(dark skin) among training faces: how rare the rare group is. */
  darkSkin: number;
  /** Share of non-faces drawn with dark-skin colours (the decoys that teach "dark means not a face"). */
  spuriousFraction: number;
}

/** Which classifier a run trains. */
export type VariantKind = 'standard' | 'vae' | 'dbvae';

/** One model's training settings. `vae` is the DB-VAE's network trained without resampling. */
export interface VariantSettings {
  /** Which classifier to train. */
  kind: VariantKind;
  /** Training epochs. */
  epochs: number;
  /** Images per training step. */
  batchSize: number;
  /** Latent size (VAE networks only). */
  latentDim: number;
  /** Debiasing strength alpha (smoothing of the latent histograms; DB-VAE only). */
  alpha: number;
  /** How latent dimensions combine into resampling weights: 'max' (the lab's) or 'product' (the paper's). */
  combine: 'max' | 'product';
  /** Tempering of the resampling weights (1 = none). */
  temperature: number;
  /** Uniform share mixed into the resampling weights. */
  uniformMix: number;
  /** Weight of the KL term. */
  klWeight: number;
  /** Weight of the reconstruction term (1 = the lab's loss). Default 1. */
  reconstructionWeight?: number;
  /** Steps at the end of the last epoch whose weights are averaged into the final model (0 = the last step's, the lab's). Default 0. */
  averageLastSteps?: number;
  /** Training steps per epoch (the DB-VAE recomputes its sampling weights at every epoch's start). Default: training images / batch size. */
  stepsPerEpoch?: number;
}

/** A seed's generated data, shared by the models trained on it. */
export interface PreparedSynthData {
  /** The generated training images with their attributes. */
  train: SynthFacesData;
  /** The balanced test faces (`testPerGroup` per group). */
  test: SynthFacesData;
  /** `train` as a dataset the trainers draw batches from. */
  dataset: FaceDataset;
  /** Group of each test face. */
  testGroups: string[];
  /** Group of each training face, in `dataset.faceIndices` order. */
  faceGroups: string[];
}

/** What training and testing one variant measured. */
export interface VariantOutcome {
  /** Accuracy per group of the test faces and their summaries. */
  metrics: GroupMetricsResult;
  /** Face probability of each test face. */
  probabilities: Float32Array;
  /** Per epoch: expected share of drawn faces per group and the effective sample size (DB-VAE network only). */
  sampling: {
    /** The epoch (0-based). */
    epoch: number;
    /** Each group's expected share of the faces drawn that epoch. */
    groupShare: Record<string, number>;
    /** Effective sample size of the epoch's resampling probabilities (NaN when not recorded). */
    effectiveSampleSize: number;
  }[];
  /** Wall-clock seconds of training. */
  seconds: number;
}

/** Seed of the test set of a run with seed `seed` (disjoint from every training seed's images). */
export function testSeedOf(seed: number): number {
  return seed + 1000003;
}

/** Generates a seed's training set and balanced test faces. */
export async function prepareSynthData(settings: SynthDataSettings, seed: number): Promise<PreparedSynthData> {
  const { generateSynthFaces, FaceDataset } = await import('@dbvae/core-data');
  const train = generateSynthFaces({ n: settings.n, seed, skew: { darkSkin: settings.darkSkin }, spuriousFraction: settings.spuriousFraction });
  const test = generateSynthFaces({ n: 4 * settings.testPerGroup, seed: testSeedOf(seed), faceFraction: 1, groups: [...SYNTH_GROUPS] });
  const dataset = FaceDataset.fromArrays({ images: train.images, labels: train.labels, height: train.height, width: train.width, seed });
  const faceGroups = Array.from(dataset.faceIndices, (i) => train.attributes[i]?.group ?? '?');
  return { train, test, dataset, testGroups: test.attributes.map((a) => a.group ?? '?'), faceGroups };
}

/** Face probabilities of every test image under `predict` (logits in, batches of 64). */
export async function predictTestFaces(test: SynthFacesData, predict: (x: TF.Tensor4D) => TF.Tensor): Promise<Float32Array> {
  const { tf } = await import('@dbvae/backend');
  const { imagesToTensor } = await import('@dbvae/core-data');
  const n = test.attributes.length;
  const out = new Float32Array(n);
  for (let start = 0; start < n; start += 64) {
    const idx = Array.from({ length: Math.min(64, n - start) }, (_, i) => start + i);
    const x = imagesToTensor(test, { indices: idx });
    try {
      out.set(tf.tidy(() => tf.sigmoid(predict(x)).dataSync() as Float32Array), start);
    } finally {
      x.dispose();
    }
  }
  return out;
}

/** The per-epoch sampling record of a DB-VAE history. */
export function samplingOf(epochs: readonly EpochRecord[]): VariantOutcome['sampling'] {
  return epochs.filter((e) => e.groupShare).map((e) => ({ epoch: e.epoch, groupShare: e.groupShare!, effectiveSampleSize: e.effectiveSampleSize ?? Number.NaN }));
}

/** A trained model handed to `runVariant`'s `keep` hook, with its training history. */
export interface KeptModel {
  /** The trained standard classifier (`kind: 'standard'`). */
  classifier?: TF.LayersModel;
  /** The trained VAE classifier (`kind: 'vae'` or `'dbvae'`). */
  dbvae?: DBVAE;
  /** Its training history. */
  history: TrainingHistory;
}

/**
 * Trains one variant on a seed's data and tests it on the balanced faces. The model is handed to
 * `keep` (which then owns it) or disposed.
 */
export async function runVariant(
  variant: VariantSettings,
  data: PreparedSynthData,
  seed: number,
  hooks: { onStep?: (r: { epoch: number; total: number }) => void; keep?: (model: KeptModel) => void } = {},
): Promise<VariantOutcome> {
  const models = await import('@dbvae/models');
  const t0 = Date.now();
  const common = {
    epochs: variant.epochs,
    batchSize: variant.batchSize,
    seed,
    progressBar: false as const,
    ...(variant.averageLastSteps ? { averageLastSteps: variant.averageLastSteps } : {}),
    ...(variant.stepsPerEpoch ? { stepsPerEpoch: variant.stepsPerEpoch } : {}),
    ...(hooks.onStep ? { onStep: hooks.onStep } : {}),
  };
  if (variant.kind === 'standard') {
    const classifier = models.buildStandardClassifier({ seed });
    let kept = false;
    try {
      const history = await models.trainClassifier(classifier, data.dataset, common);
      const seconds = (Date.now() - t0) / 1000;
      const probabilities = await predictTestFaces(data.test, (x) => classifier.predict(x) as TF.Tensor);
      if (hooks.keep) {
        hooks.keep({ classifier, history });
        kept = true;
      } else history.optimizer.dispose();
      return { metrics: groupMetrics(probabilities, data.testGroups), probabilities, sampling: [], seconds };
    } finally {
      if (!kept) classifier.dispose();
    }
  }
  const dbvae = new models.DBVAE({ latentDim: variant.latentDim, seed });
  let kept = false;
  try {
    const history = await models.trainDBVAE(dbvae, data.dataset, {
      ...common,
      debias: variant.kind === 'dbvae',
      alpha: variant.alpha,
      combine: variant.combine,
      temperature: variant.temperature,
      uniformMix: variant.uniformMix,
      klWeight: variant.klWeight,
      ...(variant.reconstructionWeight !== undefined && variant.reconstructionWeight !== 1 ? { reconstruction: { weight: variant.reconstructionWeight } } : {}),
      faceGroups: data.faceGroups,
    });
    const seconds = (Date.now() - t0) / 1000;
    const probabilities = await predictTestFaces(data.test, (x) => dbvae.predictLogits(x));
    const sampling = samplingOf(history.epochs);
    if (hooks.keep) {
      hooks.keep({ dbvae, history });
      kept = true;
    } else history.optimizer.dispose();
    return { metrics: groupMetrics(probabilities, data.testGroups), probabilities, sampling, seconds };
  } finally {
    if (!kept) dbvae.dispose();
  }
}
