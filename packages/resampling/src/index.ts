/**
 * `@dbvae/resampling`: adaptive resampling weights from learned latent structure (the DB-VAE
 * histogram rule, lab and paper variants) and from risk scores (inverse bias, epistemic
 * uncertainty), with temperature and uniform mixing and statistics of how hard they debias.
 *
 * @packageDocumentation
 */
export { samplingWeights, weightsFromHistograms, type CombineRule, type SamplingWeightOptions, type WeightShaping } from './sampling-weights';
export { latentHistograms, type LatentHistograms, type LatentHistogramOptions, type BinIndexArray } from './latent-histograms';
export { type LatentInput } from './latent-input';
export { inverseBiasWeights, epistemicWeights, type InverseBiasOptions } from './risk-weights';
export { mixWithUniform, temperWeights } from './weight-transforms';
export { weightStats, type WeightStats } from './weight-stats';
export { Resampler, type ResamplerOptions } from './resampler';
export { type ScoreInput } from './weight-vector';
