/**
 * Helpers shared by the dbvae example apps (private, never published).
 *
 * @packageDocumentation
 */
export { ATTRIBUTES, makeFaces, parseSexCue, pearson, trainFaceVae, trainOn, vaeGenerator, type Faces, type VaeOptions } from './synth-face-vae';
