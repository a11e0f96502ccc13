/**
 * `@dbvae/core-data`: the data layer of dbvae. HDF5 files in the MIT 6.S191 lab layout,
 * uint8-in-memory face datasets served as float batches, weighted sampling without
 * replacement, image folders, CelebA attribute lists, and SynthFaces, a seeded synthetic
 * face / non-face set with a known, controllable bias.
 *
 * Node-only exports: `readLabH5`, `writeLabH5`, `loadImageFolder`, `writeSynthFaces`,
 * `openImageSource`, `iterateImageChunks` and `parseImageList` read or write files (node:fs,
 * sharp, h5wasm). Bundlers that honour the `browser` export condition (Vite, webpack,
 * esbuild with `platform: 'browser'`) get `dist/browser.js` instead: the same code, but these
 * names are stand-ins (same signatures) that throw `NodeOnlyError`, and nothing imports a
 * Node module, so browser apps need no aliases.
 *
 * @packageDocumentation
 */
export { DatasetError, Hdf5LayoutError, Hdf5ReadError, ParseError, type Hdf5LayoutProblem } from './errors';
export { sampleWithoutReplacement, type SampleWithoutReplacementOptions } from './weighted-sampling';
export { sampleUniformWithoutReplacement } from './uniform-sampling';
export { normalizeProbabilities } from './weight-validation';
export { uint8ToFloatBatch, swapRedBlueInPlace, imagesToTensor, type ChannelOrder, type DataFormat, type Uint8ToFloatOptions } from './image-tensor';
export { readLabH5, writeLabH5, type LabH5Data, type ReadLabH5Options, type WriteLabH5Data } from './hdf5';
export {
  FaceDataset,
  type FaceDatasetOptions,
  type FaceDatasetArrays,
  type GetBatchOptions,
  type FaceBatch,
} from './face-dataset';
export {
  generateSynthFaces,
  DEFAULT_SYNTH_SKEW,
  type SynthFacesOptions,
  type SynthFacesData,
  type SynthAttributes,
  type SynthSkew,
  type SynthGroup,
  type HairColor,
  type BackgroundKind,
  type NonFaceKind,
} from './synth-faces';
export { IMAGE_EXTENSIONS } from './image-extensions';
export { loadImageFolder, type LoadImageFolderOptions, type ImageFolderData } from './image-folder';
export { parseCelebaAttributes, parseCelebaPartition, type CelebaAttributes, type CelebaPartition } from './celeba';
export { writeSynthFaces, type WriteSynthFacesOptions, type WriteSynthFacesResult } from './synth-faces-writer';
export {
  openImageSource,
  iterateImageChunks,
  parseImageList,
  type ImageSource,
  type ImageSourceKind,
  type ImageChunk,
  type ImageFailure,
  type OpenImageSourceOptions,
  type IterateImageChunksOptions,
} from './image-source';
