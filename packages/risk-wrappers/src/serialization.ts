import { fileSystemIOHandler, tf } from '@dbvae/backend';
import { SerializationError } from './errors';
import './mc-dropout';

/** @internal Everything a wrapper needs to be rebuilt: JSON config, layer models and raw arrays. */
export interface WrapperArtifacts {
  kind: string;
  config: Record<string, unknown>;
  parts: Record<string, tf.LayersModel>;
  arrays: Record<string, { data: Float32Array; shape: number[] }>;
}

const FORMAT = 'dbvae-risk-wrapper';

function saveHandler(handlerOrUrl: string | tf.io.IOHandler): tf.io.IOHandler {
  if (typeof handlerOrUrl !== 'string') return handlerOrUrl;
  const h = tf.io.getSaveHandlers(handlerOrUrl)[0];
  if (h !== undefined) return h;
  // Plain Node without tfjs-node: dbvae's own file:// handler (model.json + weights.bin).
  if (handlerOrUrl.startsWith('file://')) return fileSystemIOHandler(handlerOrUrl);
  throw new SerializationError(`No tfjs save handler for '${handlerOrUrl}': use file://<dir> in Node, indexeddb://, localstorage:// or downloads:// in a browser, or pass an IOHandler (tf.io.withSaveHandler(...)).`);
}

function loadHandler(handlerOrUrl: string | tf.io.IOHandler): tf.io.IOHandler {
  if (typeof handlerOrUrl !== 'string') return handlerOrUrl;
  const h = tf.io.getLoadHandlers(handlerOrUrl)[0];
  if (h !== undefined) return h;
  if (handlerOrUrl.startsWith('file://')) return fileSystemIOHandler(handlerOrUrl);
  throw new SerializationError(`No tfjs load handler for '${handlerOrUrl}': use file://<dir> in Node, indexeddb://, localstorage:// or an http(s) URL in a browser, or pass an IOHandler.`);
}

/** @internal Writes artifacts through a tfjs IO handler. */
export async function saveArtifacts(a: WrapperArtifacts, handlerOrUrl: string | tf.io.IOHandler): Promise<tf.io.SaveResult> {
  const handler = saveHandler(handlerOrUrl);
  if (handler.save === undefined) throw new SerializationError('The IO handler cannot save.');
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Float32Array[] = [];
  const partJson: Record<string, unknown> = {};
  const partWeights: Record<string, number> = {};
  for (const [name, model] of Object.entries(a.parts)) {
    partJson[name] = model.toJSON(null, false);
    const weights = model.getWeights();
    partWeights[name] = weights.length;
    for (const [i, w] of weights.entries()) {
      specs.push({ name: `${name}/${i}`, shape: w.shape, dtype: 'float32' });
      buffers.push(Float32Array.from(await w.data()));
    }
  }
  for (const [name, arr] of Object.entries(a.arrays)) {
    specs.push({ name: `__array/${name}`, shape: arr.shape, dtype: 'float32' });
    buffers.push(arr.data);
  }
  const total = buffers.reduce((s, b) => s + b.length, 0);
  const joined = new Float32Array(total);
  let off = 0;
  for (const b of buffers) {
    joined.set(b, off);
    off += b.length;
  }
  return handler.save({
    modelTopology: { format: FORMAT, kind: a.kind, config: a.config, parts: partJson, partWeights } as unknown as tf.io.ModelJSON['modelTopology'],
    format: FORMAT,
    generatedBy: '@dbvae/risk-wrappers',
    weightSpecs: specs,
    weightData: joined.buffer,
  });
}

/** @internal Reads artifacts written by {@link saveArtifacts}. */
export async function loadArtifacts(handlerOrUrl: string | tf.io.IOHandler): Promise<WrapperArtifacts> {
  const handler = loadHandler(handlerOrUrl);
  if (handler.load === undefined) throw new SerializationError('The IO handler cannot load.');
  const art = await handler.load();
  const topo = art.modelTopology as unknown as {
    format?: string;
    kind: string;
    config: Record<string, unknown>;
    parts: Record<string, unknown>;
    partWeights: Record<string, number>;
  };
  if (topo?.format !== FORMAT) throw new SerializationError('These artifacts were not saved by a @dbvae/risk-wrappers wrapper.');
  if (art.weightData === undefined || art.weightSpecs === undefined) throw new SerializationError('The saved wrapper has no weights.');
  const named = tf.io.decodeWeights(art.weightData, art.weightSpecs);
  try {
    const parts: Record<string, tf.LayersModel> = {};
    for (const [name, json] of Object.entries(topo.parts)) {
      const model = await tf.models.modelFromJSON({ modelTopology: json as tf.io.ModelJSON['modelTopology'] });
      const count = topo.partWeights[name] ?? 0;
      const ws: tf.Tensor[] = [];
      for (let i = 0; i < count; i++) {
        const w = named[`${name}/${i}`];
        if (w === undefined) throw new SerializationError(`Missing weight ${name}/${i}.`);
        ws.push(w);
      }
      model.setWeights(ws);
      parts[name] = model;
    }
    const arrays: WrapperArtifacts['arrays'] = {};
    for (const [key, t] of Object.entries(named)) {
      if (key.startsWith('__array/')) arrays[key.slice(8)] = { data: t.dataSync() as Float32Array, shape: t.shape };
    }
    return { kind: topo.kind, config: topo.config, parts, arrays };
  } finally {
    tf.dispose(Object.values(named));
  }
}
