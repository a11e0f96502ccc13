import * as tf from '@tensorflow/tfjs';
import { FileSystemIOError, InvalidArgumentError } from './errors';

interface FsPromises {
  mkdir(path: string, options: { recursive: boolean }): Promise<unknown>;
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
}

const isNode = (): boolean => typeof process !== 'undefined' && process.versions?.node !== undefined;

// node:fs is loaded on first use, by a specifier in a variable: a browser bundle neither
// includes nor fails on it (bundlers leave such an import alone).
async function nodeFs(): Promise<FsPromises> {
  try {
    const specifier = 'node:fs/promises';
    return (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as FsPromises;
  } catch (cause) {
    throw new FileSystemIOError('file:// paths need Node.js (node:fs); in a browser use indexeddb:// or downloads://.', { cause });
  }
}

function bytesPerElement(dtype: string): number {
  if (dtype === 'bool' || dtype === 'uint8' || dtype === 'int8') return 1;
  if (dtype === 'float16' || dtype === 'int16' || dtype === 'uint16') return 2;
  return 4;
}

function joinPath(dir: string, file: string): string {
  return dir.endsWith('/') ? `${dir}${file}` : `${dir}/${file}`;
}

/**
 * A tfjs IOHandler that saves to and loads from a directory with Node's fs: `model.json`
 * (topology, weight manifest, metadata) and `weights.bin`, the layout of tfjs-node's own
 * `file://` handler, without tfjs-node. Works for any model artifacts:
 * `model.save(fileSystemIOHandler('out/model'))`, `tf.loadLayersModel(fileSystemIOHandler('out/model'))`,
 * a risk wrapper's `save`/`load`.
 *
 * @param path A directory, with or without a leading `file://`; to load, the path of its `model.json` also works.
 * @returns The handler; nothing is read or written until tfjs calls `save` or `load`.
 * @throws InvalidArgumentError for an empty path; FileSystemIOError (on save/load) when the files cannot be written or read.
 */
export function fileSystemIOHandler(path: string): tf.io.IOHandler {
  if (typeof path !== 'string' || path.length === 0) throw new InvalidArgumentError('fileSystemIOHandler: path must be a non-empty string.');
  const given = path.startsWith('file://') ? path.slice('file://'.length) : path;
  const jsonFile = given.endsWith('.json') ? given : joinPath(given, 'model.json');
  const dir = given.endsWith('.json') ? given.slice(0, Math.max(0, given.lastIndexOf('/'))) || '.' : given;
  return {
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      const fs = await nodeFs();
      const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
      };
      try {
        await fs.mkdir(dir, { recursive: true });
        await fs.writeFile(jsonFile, JSON.stringify(modelJson));
        await fs.writeFile(joinPath(dir, 'weights.bin'), new Uint8Array(weightData));
      } catch (cause) {
        throw new FileSystemIOError(`fileSystemIOHandler: cannot write to ${dir}; check that the directory is writable.`, { cause });
      }
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    load: async (): Promise<tf.io.ModelArtifacts> => {
      const fs = await nodeFs();
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(await fs.readFile(jsonFile, 'utf8')) as tf.io.ModelJSON;
      } catch (cause) {
        throw new FileSystemIOError(`fileSystemIOHandler: cannot read ${jsonFile}; is it a saved model directory?`, { cause });
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      if (!Array.isArray(json.weightsManifest)) throw new FileSystemIOError(`fileSystemIOHandler: ${jsonFile} has no weights manifest; is it a saved model directory?`);
      for (const group of json.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const file of group.paths) {
          try {
            const bytes = await fs.readFile(joinPath(dir, file));
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          } catch (cause) {
            throw new FileSystemIOError(`fileSystemIOHandler: cannot read weights file ${joinPath(dir, file)}.`, { cause });
          }
        }
      }
      // A truncated weights.bin (an interrupted copy or save) would otherwise load as garbage or fail deep in tfjs.
      const expected = specs.reduce((total, s) => total + s.shape.reduce((a, b) => a * b, 1) * bytesPerElement(s.quantization?.dtype ?? s.dtype), 0);
      const found = buffers.reduce((total, b) => total + b.byteLength, 0);
      if (found !== expected) {
        throw new FileSystemIOError(`fileSystemIOHandler: the weights in ${dir} are ${found} bytes but ${jsonFile} describes ${expected}; ${found < expected ? 'weights.bin is truncated (an interrupted copy or save?)' : 'weights.bin does not belong to this model.json'}. Save or copy the model again.`);
      }
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: specs,
        weightData: tf.io.CompositeArrayBuffer.join(buffers),
        ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
        ...(json.trainingConfig ? { trainingConfig: json.trainingConfig } : {}),
      };
    },
  };
}

let registered = false;

/**
 * Lets plain tfjs APIs take `file://` URLs in Node without tfjs-node: after this,
 * `model.save('file://out/model')` and `tf.loadLayersModel('file://out/model/model.json')` use
 * {@link fileSystemIOHandler}. The routers step aside when tfjs-node is loaded (its own
 * `file://` handler then serves), so the two never compete. {@link initBackend} calls this in
 * Node; call it yourself if you skip `initBackend`. Idempotent; does nothing outside Node.
 *
 * @returns Whether the routers are registered (false outside Node).
 */
export function registerFileSystemIO(): boolean {
  if (!isNode()) return false;
  if (registered) return true;
  registered = true;
  const route = (url: string | string[]): tf.io.IOHandler | null => {
    if (typeof url !== 'string' || !url.startsWith('file://')) return null;
    // tfjs-node registers its own file:// routers and the 'tensorflow' backend together.
    if (tf.findBackendFactory('tensorflow') != null) return null;
    return fileSystemIOHandler(url);
  };
  // tfjs's routers return null for URLs they do not serve; its IORouter type omits that.
  const router = route as unknown as Parameters<typeof tf.io.registerSaveRouter>[0];
  tf.io.registerSaveRouter(router);
  tf.io.registerLoadRouter(router);
  return true;
}
