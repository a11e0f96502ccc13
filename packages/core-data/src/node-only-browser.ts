import { NodeOnlyError } from '@dbvae/backend';
import type { readLabH5 as nodeReadLabH5, writeLabH5 as nodeWriteLabH5 } from './hdf5';
import type { loadImageFolder as nodeLoadImageFolder } from './image-folder';
import type { openImageSource as nodeOpenImageSource, iterateImageChunks as nodeIterateImageChunks, parseImageList as nodeParseImageList } from './image-source';
import type { writeSynthFaces as nodeWriteSynthFaces } from './synth-faces-writer';

// The browser build keeps the Node-only names, with the Node signatures, so an app that
// shares code between Node and the browser still type-checks and bundles; only calling one
// fails, with a typed error that says what to use instead. None of these imports reaches
// node:fs, node:path, sharp or h5wasm: the `import type` lines vanish from the output.

const IN_MEMORY = 'In a browser, build datasets in memory (generateSynthFaces, FaceDataset, uint8ToFloatBatch).';

/** Browser stand-in for the Node-only `readLabH5`: throws {@link NodeOnlyError}. */
export const readLabH5: typeof nodeReadLabH5 = () => Promise.reject(new NodeOnlyError('readLabH5', IN_MEMORY));

/** Browser stand-in for the Node-only `writeLabH5`: throws {@link NodeOnlyError}. */
export const writeLabH5: typeof nodeWriteLabH5 = () => Promise.reject(new NodeOnlyError('writeLabH5', IN_MEMORY));

/** Browser stand-in for the Node-only `loadImageFolder`: throws {@link NodeOnlyError}. */
export const loadImageFolder: typeof nodeLoadImageFolder = () => Promise.reject(new NodeOnlyError('loadImageFolder', 'In a browser, decode images with createImageBitmap / canvas and pack them with uint8ToFloatBatch.'));

/** Browser stand-in for the Node-only `writeSynthFaces`: throws {@link NodeOnlyError}. */
export const writeSynthFaces: typeof nodeWriteSynthFaces = () => Promise.reject(new NodeOnlyError('writeSynthFaces', 'In a browser, use generateSynthFaces, which returns the images in memory.'));

/** Browser stand-in for the Node-only `openImageSource`: throws {@link NodeOnlyError}. */
export const openImageSource: typeof nodeOpenImageSource = () => Promise.reject(new NodeOnlyError('openImageSource', IN_MEMORY));

/** Browser stand-in for the Node-only `iterateImageChunks`: throws {@link NodeOnlyError} on first use. */
export const iterateImageChunks: typeof nodeIterateImageChunks = async function* () {
  throw new NodeOnlyError('iterateImageChunks', IN_MEMORY);
};

/** Browser stand-in for the Node-only `parseImageList` (it resolves file paths): throws {@link NodeOnlyError}. */
export const parseImageList: typeof nodeParseImageList = () => {
  throw new NodeOnlyError('parseImageList', IN_MEMORY);
};
