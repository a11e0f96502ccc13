import * as tf from '@tensorflow/tfjs';
import { callKernel, readFloat32, release, type KernelArgs, type WasmBackendLike } from './kernel-utils';

/**
 * Wraps wasm's `BatchMatMul` so that transposed operands are transposed once, explicitly,
 * before a plain product. tfjs's wasm matmul reads transposed operands with strided access
 * and ran 6-7x slower that way here (x^T·dy of the lab CNN's dense layer: 20 ms against 2.7 ms),
 * and every dense layer's gradient takes that path.
 */
export function batchMatMulWithExplicitTransposes(original: tf.KernelFunc): tf.KernelFunc {
  return (({ inputs, backend, attrs }: KernelArgs) => {
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    if (!transposeA && !transposeB) return original({ inputs, backend, attrs: attrs as tf.NamedAttrMap });
    const swapLast = (t: tf.TensorInfo): tf.TensorInfo => {
      const perm = t.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1] as number, perm[r - 2] as number];
      return callKernel('Transpose', backend, { x: t }, { perm });
    };
    const a = transposeA ? swapLast(inputs.a as tf.TensorInfo) : (inputs.a as tf.TensorInfo);
    const b = transposeB ? swapLast(inputs.b as tf.TensorInfo) : (inputs.b as tf.TensorInfo);
    const out = original({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } as tf.NamedAttrMap });
    if (transposeA) release(backend, a);
    if (transposeB) release(backend, b);
    return out;
  }) as unknown as tf.KernelFunc;
}

/**
 * Wraps wasm's `Tile` with a fast path for the common case where the result is the input's
 * data repeated whole (every tiled axis precedes every non-unit axis of the input, as when a
 * per-channel vector is broadcast over a batch in batch norm's gradient): a block copy that
 * doubles itself, instead of a per-element index computation (19 ms against well under 1 ms
 * for the lab CNN's first batch-norm layer here).
 */
export function tileWithRepeatFastPath(original: tf.KernelFunc): tf.KernelFunc {
  return (({ inputs, backend, attrs }: KernelArgs) => {
    const x = inputs.x as tf.TensorInfo;
    const { reps } = attrs as unknown as tf.TileAttrs;
    const firstNonUnit = x.shape.findIndex((d) => d !== 1);
    const k = firstNonUnit === -1 ? x.shape.length : firstNonUnit;
    const repeatsWhole = x.dtype === 'float32' && reps.every((r, i) => i < k || r === 1);
    if (!repeatsWhole) return original({ inputs, backend, attrs: attrs as tf.NamedAttrMap });
    const outShape = x.shape.map((d, i) => d * (reps[i] as number));
    const out = (backend as WasmBackendLike).makeOutput(outShape, 'float32');
    const dst = readFloat32(backend, out);
    const src = readFloat32(backend, x);
    const block = src.length;
    if (block === 0) return out;
    dst.set(src, 0);
    let filled = block;
    while (filled < dst.length) {
      const n = Math.min(filled, dst.length - filled);
      dst.copyWithin(filled, 0, n);
      filled += n;
    }
    return out;
  }) as unknown as tf.KernelFunc;
}
