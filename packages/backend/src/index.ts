/**
 * `@dbvae/backend`: the single tfjs engine shared by every dbvae package, and the choice of
 * the fastest backend available.
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
export { DbvaeError, BackendError, WasmBinaryError, CpuFallbackError, FileSystemIOError, InvalidArgumentError, ShapeError } from './errors';
export { checkTrainingBackend, setCpuFallbackPolicy, getCpuFallbackPolicy, type CpuFallbackPolicy } from './cpu-fallback';
export { fileSystemIOHandler, registerFileSystemIO } from './file-system-io';
export { createRandom, type Random } from './random';
