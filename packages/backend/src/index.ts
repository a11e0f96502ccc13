/**
 * `@dbvae/backend`: the single tfjs engine shared by every dbvae package, and the choice of
 * the fastest backend available.
 *
 * It also exports `tf`, the `@tensorflow/tfjs` namespace itself (the same module your app
 * imports), documented in the [TensorFlow.js API reference](https://js.tensorflow.org/api/latest/);
 * tfjs types in these pages link there.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs';

/** The tfjs namespace every dbvae package uses: one engine, shared with the user's models. */
export { tf };
export {
  initBackend,
  describeBackend,
  formatBackendDescription,
  type BackendName,
  type BackendAttempt,
  type BackendDescription,
  type InitBackendOptions,
} from './init-backend';
export { registerWasmKernels, replacedWasmKernels, WASM_GAP_KERNELS, WASM_FASTER_KERNELS, type WasmKernelRegistration } from './wasm-kernels/register';
export { DbvaeError, BackendError, WasmBinaryError, CpuFallbackError, FileSystemIOError, NodeOnlyError, InvalidArgumentError, ShapeError } from './errors';
export { checkTrainingBackend, setCpuFallbackPolicy, getCpuFallbackPolicy, type CpuFallbackPolicy } from './cpu-fallback';
export { fileSystemIOHandler, registerFileSystemIO } from './file-system-io';
export { createRandom, type Random } from './random';
