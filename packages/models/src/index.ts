/**
 * `@dbvae/models`: the MIT 6.S191 lab networks and the debiasing variational autoencoder.
 *
 * Node-only export: `createDataParallelTrainer` (worker threads); in a browser it throws
 * `NodeOnlyError`. It loads Node's modules only when called, so this entry imports no Node
 * module and browser bundlers (Vite, webpack, esbuild) need no aliases.
 *
 * @packageDocumentation
 */
export { buildStandardClassifier, classifierTrainStep, layerSeeds, type StandardClassifierOptions } from './standard-classifier';
export { buildLab3Classifier } from './lab3-classifier';
export { buildFaceDecoder, type FaceDecoderOptions } from './face-decoder';
export { DBVAE, DEFAULT_DBVAE_CONFIG, type DBVAEConfig, type Encoding, type ForwardPass, type LatentMeansOptions } from './dbvae';
export {
  klDivergence,
  reconstructionLoss,
  sigmoidCrossEntropyWithLogits,
  dbvaeLoss,
  type ReconstructionNorm,
  type ReconstructionReduction,
  type ReconstructionOptions,
  type DbvaeLossInputs,
  type DbvaeLossOptions,
  type DbvaeLossTerms,
} from './losses';
export { dbvaeTrainStep, type DbvaeStepOptions, type StepLosses } from './dbvae-train-step';
export { detectPosteriorCollapse, type CollapseOptions, type CollapseReport } from './collapse';
export {
  trainDBVAE,
  trainClassifier,
  type CommonTrainOptions,
  type TrainDBVAEOptions,
  type TrainClassifierOptions,
  type TrainingHistory,
  type StepRecord,
  type EpochRecord,
  type TrainingWarning,
  type TrainingPosition,
} from './train';
export type { TrainingData } from './training-data';
export { ProgressBar, formatDuration, type ProgressStream } from './progress';
export { fileSystemIOHandler, saveDBVAE, loadDBVAE, type ModelDestination, type SaveDBVAEOptions, type LoadedDBVAE } from './io';
export {
  buildDcganGenerator,
  buildDcganDiscriminator,
  buildAttributeClassifier,
  ganTrainStep,
  attributeClassifierTrainStep,
  type DcganGeneratorOptions,
  type DcganCriticOptions,
  type GanStepOptions,
  type GanStepLosses,
} from './dcgan';
export { createDataParallelTrainer, type DataParallelOptions, type DataParallelTrainer } from './data-parallel';
export { ModelError, CheckpointError } from './errors';
