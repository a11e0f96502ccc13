/**
 * `@dbvae/risk-wrappers`: wrap any tfjs classifier or regressor and get representation bias,
 * epistemic and aleatoric risk with every prediction (a TypeScript counterpart of Capsa).
 *
 * @packageDocumentation
 */
export { RiskTensor, type RiskFields, type RiskName, type NamedRisk } from './risk-tensor';
export {
  RiskModel,
  type ModelInput,
  type FitOptions,
  type FitCallbacks,
  type EpochLogs,
  type History,
  type BatchOptions,
} from './risk-model';
export { ComposedWrapper } from './composed-wrapper';
export { loadRiskWrapper } from './wrapper-registry';
export type {
  ComposedWrapperOptions,
  ModelSource,
  RiskMode,
  HistogramSpec,
  VaeSpec,
  MveSpec,
  DropoutSpec,
} from './risk-options';
export { HistogramWrapper, type HistogramWrapperOptions } from './histogram-wrapper';
export { VAEWrapper, HistogramVAEWrapper, type VAEWrapperOptions, type HistogramVAEWrapperOptions } from './vae-wrapper';
export { MVEWrapper, type MVEWrapperOptions } from './mve-wrapper';
export { DropoutWrapper, type DropoutWrapperOptions } from './dropout-wrapper';
export { EnsembleWrapper, type EnsembleWrapperOptions } from './ensemble-wrapper';
export { wrap, type WrapOptions } from './wrap';
export { scoreBatch, type ScoreBatchOptions, type ScoredBatch, type RiskRow, type PlainBatch } from './score-batch';
export { classificationSummaries } from './uncertainty-summaries';
export { detectOutputHead, type OutputActivation, type OutputHead } from './output-activation';
export type { TaskPlan } from './task-loss';
export { FeatureHistogram, type FeatureDensity, type FeatureHistogramOptions } from './feature-histogram';
export { McDropout, type McDropoutArgs } from './mc-dropout';
export { buildMirrorDecoder } from './decoder';
export type { FeatureLayer } from './graph';
export {
  freshOptimizer,
  resolveLoss,
  type CompileOptions,
  type OptimizerSpec,
  type OptimizerName,
  type LossSpec,
  type LossName,
  type LossFn,
} from './compile-options';
export { accuracyVsRisk, correctPredictions, mostAndLeastRepresented, type RiskChunk, type AccuracyVsRiskOptions } from './accuracy-vs-risk';
export {
  expectedCalibrationError,
  regressionCalibrationError,
  normalCdf,
  type CalibrationNorm,
  type EceOptions,
  type RegressionCalibrationOptions,
} from './calibration';
export { auroc, errorDetectionAuroc } from './auroc';
export { RiskWrapperError, UnsupportedModelError, NotReadyError, SerializationError, HeadCompositionError } from './errors';
