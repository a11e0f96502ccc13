import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterWasm } from './conv2d-backprop-filter';
import { depthwiseBackpropFilterWasm, depthwiseBackpropInputWasm } from './depthwise-backprop';
import { isNaNWasm, unsortedSegmentSumWasm } from './segment-and-nan';

/** The kernels dbvae adds to the wasm backend, by tfjs kernel name. */
export const WASM_GAP_KERNELS: Readonly<Record<string, tf.KernelFunc>> = {
  Conv2DBackpropFilter: conv2dBackpropFilterWasm as unknown as tf.KernelFunc,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilterWasm as unknown as tf.KernelFunc,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInputWasm as unknown as tf.KernelFunc,
  UnsortedSegmentSum: unsortedSegmentSumWasm as unknown as tf.KernelFunc,
  IsNaN: isNaNWasm as unknown as tf.KernelFunc,
};

/**
 * Registers the kernels the wasm backend lacks (the filter gradient of conv2d, both depthwise
 * gradients, the gather gradient and `isNaN`), so that CNNs train on wasm. Idempotent; a
 * kernel that tfjs itself already provides is left alone.
 *
 * @returns The names of the kernels this call registered.
 */
export function registerWasmGapKernels(): string[] {
  const added: string[] = [];
  for (const [kernelName, kernelFunc] of Object.entries(WASM_GAP_KERNELS)) {
    if (tf.getKernel(kernelName, 'wasm') !== undefined) continue;
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
    added.push(kernelName);
  }
  return added;
}
