/**
 * `@dbvae/gan-debias`: find a generator's biases by walking its latent space along a
 * classifier's gradient, and de-bias attribute classifiers by latent-space augmentation
 * (Ramaswamy, Kim and Russakovsky, CVPR 2021), with the fairness metrics to check the result.
 *
 * @packageDocumentation
 */
export { GanDebiasError } from './errors';
export type { Matrix, MatrixLike } from './matrix';
export type { LatentModel, ImageModel } from './model-fn';
export { covarianceMatrix, correlationFromCovariance, linearRegression, percentile, type SquareMatrix, type LinearFit } from './stats';
export { imageGrid, type ImageGrid, type ImageGridOptions } from './image-grid';
export { latentWalk, type LatentWalkOptions, type LatentWalkResult } from './latent-walk';
export {
  covarianceBootstrap,
  type CovarianceBootstrap,
  type CovarianceBootstrapOptions,
  type RankedCovariate,
  type Interval,
} from './covariance-bootstrap';
export { biasReport, topCovarying, type BiasReport, type BiasReportOptions, type CovaryingAttribute } from './bias-report';
export {
  fitLinearSvm,
  fitLogisticRegression,
  normalizeLinear,
  linearScores,
  linearAccuracy,
  type LinearClassifier,
  type LinearFitResult,
  type LinearFitOptions,
  type LinearSvmOptions,
  type SvmLoss,
} from './linear-classifier';
export { complementLatents, type ComplementMode, type ComplementOptions } from './complement';
export {
  buildAugmentedSet,
  trainDebiasedClassifier,
  type AugmentOptions,
  type AugmentedSet,
  type RealData,
  type TrainDebiasedOptions,
} from './augment';
export {
  averagePrecision,
  calibrateThreshold,
  equalOpportunityDifference,
  biasAmplification,
  histogramKl,
  scoreHistogramKl,
  type HistogramKlOptions,
  type KlDefinition,
  type ClassKl,
} from './metrics';
export { bootstrap, type BootstrapOptions, type BootstrapSummary } from './bootstrap';
export { fairnessReport, type FairnessReport, type FairnessReportInput, type FairnessReportOptions } from './fairness-report';
export {
  makeToyLatents,
  toyReproduction,
  type ToyLatentOptions,
  type ToyLatents,
  type ToyReproductionOptions,
  type ToyReproductionResult,
} from './toy';
