import * as tf from '@tensorflow/tfjs';

/** What a kernel function receives: the engine's tensor handles, the backend and attributes. */
export type KernelArgs = {
  inputs: Record<string, tf.TensorInfo>;
  backend: tf.KernelBackend;
  attrs?: Record<string, unknown>;
};

/** The subset of the wasm backend's class that our kernels use. */
export interface WasmBackendLike extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  readSync(dataId: object): tf.backend_util.BackendValues;
  disposeData(dataId: object, force?: boolean): boolean;
}

/**
 * Calls another kernel of the same backend directly, at the level of tensor handles, so that
 * composite kernels never go through the engine (no tape, no tracking, no extra copies).
 */
export function callKernel(
  name: string,
  backend: tf.KernelBackend,
  inputs: Record<string, tf.TensorInfo>,
  attrs: Record<string, unknown> = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel === undefined) {
    throw new Error(`wasm backend has no '${name}' kernel to build on`);
  }
  const out = kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap });
  return Array.isArray(out) ? (out[0] as tf.TensorInfo) : out;
}

/** Releases an intermediate handle made by {@link callKernel}. */
export function release(backend: tf.KernelBackend, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) (backend as WasmBackendLike).disposeData(info.dataId, true);
}

/**
 * A handle on the same data as `x`, under `shape` (same size): what reshape does, and what a
 * whole-tensor slice or an identity can do too, since tensors are immutable.
 */
export function shareData(backend: tf.KernelBackend, x: tf.TensorInfo, shape: number[] = x.shape): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...shape], dtype: x.dtype };
}

/** Reads a float32 handle's values as a `Float32Array` view or copy. */
export function readFloat32(backend: tf.KernelBackend, info: tf.TensorInfo): Float32Array {
  return (backend as WasmBackendLike).typedArrayFromHeap(info) as Float32Array;
}

/** The attributes both conv2d gradient kernels receive. */
type ConvGradientAttrs = {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/**
 * The geometry of the forward conv2d whose gradient a kernel computes, from the forward input
 * and filter shapes. Wasm kernels work in channels-last only, so other layouts are refused.
 */
export function channelsLastConvInfo(
  kernelName: string,
  xShape: number[],
  filterShape: number[],
  attrs: ConvGradientAttrs,
): tf.backend_util.Conv2DInfo {
  const format = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (format !== 'channelsLast') {
    throw new Error(`wasm ${kernelName} supports channelsLast (NHWC) only, got ${attrs.dataFormat}`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    format,
  );
}
