import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterWasm } from './conv2d-backprop-filter';
import { conv2dBackpropInputWasm } from './conv2d-backprop-input';
import { depthwiseBackpropFilterWasm, depthwiseBackpropInputWasm } from './depthwise-backprop';
import { batchMatMulWithExplicitTransposes, batchNormAsDepthwiseConv, identitySharingData, sliceWithContiguousFastPath, tileWithRepeatFastPath } from './faster-kernels';
import { isNaNWasm, unsortedSegmentSumWasm } from './segment-and-nan';

/** Kernels the wasm backend lacks, which dbvae adds, by tfjs kernel name. */
export const WASM_GAP_KERNELS: Readonly<Record<string, tf.KernelFunc>> = {
  Conv2DBackpropFilter: conv2dBackpropFilterWasm as unknown as tf.KernelFunc,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilterWasm as unknown as tf.KernelFunc,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInputWasm as unknown as tf.KernelFunc,
  UnsortedSegmentSum: unsortedSegmentSumWasm as unknown as tf.KernelFunc,
  IsNaN: isNaNWasm as unknown as tf.KernelFunc,
};

/**
 * Kernels the wasm backend has but runs slowly on the paths training takes; dbvae replaces or
 * wraps them (each replacement gets the original kernel, to fall back on or build from).
 */
export const WASM_FASTER_KERNELS: Readonly<Record<string, (original: tf.KernelFunc) => tf.KernelFunc>> = {
  Conv2DBackpropInput: () => conv2dBackpropInputWasm as unknown as tf.KernelFunc,
  BatchMatMul: batchMatMulWithExplicitTransposes,
  Tile: tileWithRepeatFastPath,
  Slice: sliceWithContiguousFastPath,
  FusedBatchNorm: batchNormAsDepthwiseConv,
  Identity: identitySharingData,
};

/** What {@link registerWasmKernels} changed. */
export interface WasmKernelRegistration {
  /** Kernels wasm lacked and now has. */
  added: string[];
  /** Wasm kernels replaced by faster dbvae versions. */
  replaced: string[];
}

const replacedOriginals = new Map<string, tf.KernelConfig>();

/**
 * Registers the kernels the wasm backend lacks (the filter gradient of conv2d, both depthwise
 * gradients, the gather gradient and `isNaN`), so that CNNs train on wasm, and, unless
 * `faster` is false, replaces the wasm kernels that training runs slowly (the input gradient of
 * conv2d, transposed matmuls, broadcast tiles, contiguous slices, batch norm). Idempotent.
 */
export function registerWasmKernels(options: { faster?: boolean } = {}): WasmKernelRegistration {
  const added: string[] = [];
  const replaced: string[] = [];
  for (const [kernelName, kernelFunc] of Object.entries(WASM_GAP_KERNELS)) {
    if (tf.getKernel(kernelName, 'wasm') !== undefined) continue;
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
    added.push(kernelName);
  }
  const faster = options.faster ?? true;
  for (const [kernelName, makeFaster] of Object.entries(WASM_FASTER_KERNELS)) {
    const isReplaced = replacedOriginals.has(kernelName);
    if (faster === isReplaced) continue;
    const current = tf.getKernel(kernelName, 'wasm');
    if (current === undefined) continue;
    tf.unregisterKernel(kernelName, 'wasm');
    if (faster) {
      replacedOriginals.set(kernelName, current);
      tf.registerKernel({ ...current, kernelFunc: makeFaster(current.kernelFunc) });
      replaced.push(kernelName);
    } else {
      tf.registerKernel(replacedOriginals.get(kernelName) as tf.KernelConfig);
      replacedOriginals.delete(kernelName);
    }
  }
  return { added, replaced };
}

/** The wasm kernels currently replaced by dbvae's faster versions. */
export function replacedWasmKernels(): string[] {
  return [...replacedOriginals.keys()];
}
