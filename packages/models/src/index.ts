/**
 * `@dbvae/models`: the MIT 6.S191 lab networks and the debiasing variational autoencoder.
 *
 * @packageDocumentation
 */
export { buildStandardClassifier, classifierTrainStep, layerSeeds, type StandardClassifierOptions } from './standard-classifier';
