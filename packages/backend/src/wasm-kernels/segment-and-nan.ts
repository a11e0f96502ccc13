import * as tf from '@tensorflow/tfjs';
import { readFloat32, type KernelArgs, type WasmBackendLike } from './kernel-utils';

/**
 * `UnsortedSegmentSum` for wasm: out[id] += x[i] for each row i with segment id `id`. It is the
 * gradient of `tf.gather`, so without it no model with a gather (embeddings, custom losses)
 * trains on wasm. Ids outside [0, numSegments) are dropped, as in TensorFlow.
 */
export function unsortedSegmentSumWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  const segmentIds = inputs.segmentIds as tf.TensorInfo;
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const wasm = backend as WasmBackendLike;
  const idsRank = segmentIds.shape.length;
  const rows = segmentIds.shape.reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(idsRank).reduce((p, d) => p * d, 1);
  const outShape = [numSegments, ...x.shape.slice(idsRank)];
  // Allocate before taking heap views: an allocation may grow (and so detach) the wasm heap.
  const out = wasm.makeOutput(outShape, x.dtype);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  const dst = wasm.typedArrayFromHeap(out);
  const src = wasm.typedArrayFromHeap(x);
  dst.fill(0);
  for (let r = 0; r < rows; r++) {
    const id = ids[r] as number;
    if (id < 0 || id >= numSegments) continue;
    const s = r * inner;
    const d = id * inner;
    for (let j = 0; j < inner; j++) (dst[d + j] as number) += src[s + j] as number;
  }
  return out;
}

/** `IsNaN` for wasm (used by `tf.isNaN`, and by input validation across dbvae). */
export function isNaNWasm({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  const wasm = backend as WasmBackendLike;
  const out = wasm.makeOutput(x.shape, 'bool');
  const src = readFloat32(backend, x);
  const dst = wasm.typedArrayFromHeap(out);
  for (let i = 0; i < src.length; i++) dst[i] = Number.isNaN(src[i]) ? 1 : 0;
  return out;
}
