import * as tf from '@tensorflow/tfjs';
import { callKernel, readFloat32, release, shareData, type KernelArgs, type WasmBackendLike } from './kernel-utils';

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
    const size = (t: tf.TensorInfo): number => t.shape.reduce((p, d) => p * d, 1);
    const a0 = inputs.a as tf.TensorInfo;
    const b0 = inputs.b as tf.TensorInfo;
    const plain = { ...attrs, transposeA: false, transposeB: false } as tf.NamedAttrMap;
    // A·Bᵀ with a large B (a dense layer's weights, in its input gradient) is cheaper as
    // (B·Aᵀ)ᵀ: that transposes A and the product instead of the big operand.
    if (!transposeA && transposeB && size(b0) > 2 * size(a0)) {
      const aT = swapLast(a0);
      const productT = original({ inputs: { a: b0, b: aT }, backend, attrs: plain }) as tf.TensorInfo;
      release(backend, aT);
      const out = swapLast(productT);
      release(backend, productT);
      return out;
    }
    const a = transposeA ? swapLast(a0) : a0;
    const b = transposeB ? swapLast(b0) : b0;
    const out = original({ inputs: { a, b }, backend, attrs: plain });
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

/**
 * Wraps wasm's `Slice` with a fast path for slices that are one contiguous block of memory
 * (a run of whole rows along the leading axes, as when a batch is cut from a dataset or
 * `predict` splits its input): one block copy instead of a per-element strided loop.
 */
export function sliceWithContiguousFastPath(original: tf.KernelFunc): tf.KernelFunc {
  return (({ inputs, backend, attrs }: KernelArgs) => {
    const x = inputs.x as tf.TensorInfo;
    const raw = attrs as unknown as tf.SliceAttrs;
    // `begin`/`size` may be numbers, short arrays or contain -1; tfjs's own parser resolves them.
    const [begin, fullSize] = tf.slice_util.parseSliceParams(x as tf.Tensor, raw.begin, raw.size) as [number[], number[]];
    const shape = x.shape;
    const partial = fullSize.findIndex((s, i) => s !== shape[i]);
    const contiguous =
      x.dtype === 'float32' &&
      partial !== -1 &&
      fullSize.every((s, i) => (i < partial ? s === 1 : i > partial ? s === shape[i] : true));
    // The whole tensor (a single batch cut by `predict`): share the data, as reshape does.
    if (x.dtype === 'float32' && partial === -1) return shareData(backend, x, fullSize);
    if (!contiguous) return original({ inputs, backend, attrs: attrs as tf.NamedAttrMap });
    let offset = 0;
    let stride = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      offset += (begin[i] as number) * stride;
      stride *= shape[i] as number;
    }
    const length = fullSize.reduce((p, d) => p * d, 1);
    const out = (backend as WasmBackendLike).makeOutput(fullSize, 'float32');
    const dst = readFloat32(backend, out);
    dst.set(readFloat32(backend, x).subarray(offset, offset + length));
    return out;
  }) as unknown as tf.KernelFunc;
}

/**
 * Wraps wasm's `FusedBatchNorm` (batch norm with given statistics: every batch-norm layer at
 * inference, and the normalisation step in training) as a 1x1 depthwise convolution with bias,
 * `x * a_c + (offset_c - mean_c * a_c)` with `a_c = scale_c / sqrt(var_c + eps)` computed once
 * per channel in float64. XNNPACK runs that in SIMD: 0.9 ms against 14 ms for tfjs's
 * per-element kernel on the lab CNN's first batch-norm layer at batch 256 here (11% of
 * inference). Statistics of any shape other than one value per channel (or one in all), and
 * means so large against the standard deviation that folding them into the bias would lose
 * float32 digits, use tfjs's kernel.
 */
export function batchNormAsDepthwiseConv(original: tf.KernelFunc): tf.KernelFunc {
  return (({ inputs, backend, attrs }: KernelArgs) => {
    const { x, mean, variance, offset, scale } = inputs as Record<string, tf.TensorInfo | undefined> & { x: tf.TensorInfo };
    const fallback = (): tf.TensorInfo | tf.TensorInfo[] => original({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs: attrs as tf.NamedAttrMap });
    const channels = x.shape[x.shape.length - 1] ?? 1;
    const size = x.shape.reduce((p, d) => p * d, 1);
    const perChannel = (t: tf.TensorInfo | undefined): boolean => {
      if (t === undefined) return true;
      const n = t.shape.reduce((p, d) => p * d, 1);
      return t.dtype === 'float32' && (n === 1 || (n === channels && t.shape[t.shape.length - 1] === channels));
    };
    if (x.dtype !== 'float32' || x.shape.length === 0 || size === 0 || ![mean, variance, offset, scale].every(perChannel)) return fallback();
    const epsilon = (attrs as { varianceEpsilon?: number } | undefined)?.varianceEpsilon ?? 0.001;
    const read = (t: tf.TensorInfo | undefined, absent: number): Float64Array => {
      const out = new Float64Array(channels).fill(absent);
      if (t === undefined) return out;
      const v = readFloat32(backend, t);
      for (let c = 0; c < channels; c++) out[c] = v.length === 1 ? (v[0] as number) : (v[c] as number);
      return out;
    };
    const m = read(mean, 0);
    const factor = read(scale, 1);
    const shift = read(offset, 0);
    const vars = read(variance, 1);
    for (let c = 0; c < channels; c++) {
      factor[c] = (factor[c] as number) / Math.sqrt((vars[c] as number) + epsilon);
      const folded = (m[c] as number) * (factor[c] as number);
      // x*a - mean*a cancels: beyond ~1e3 standard deviations float32 would lose digits.
      if (!(Math.abs(folded) <= 1e3)) return fallback();
      shift[c] = (shift[c] as number) - folded;
    }
    return channelAffine(backend, x, factor, shift);
  }) as unknown as tf.KernelFunc;
}

/**
 * `x * a_c + b_c` along the last axis of a float32 tensor of any rank, as one 1x1 depthwise
 * convolution with bias on XNNPACK (SIMD); the data is seen as one image of [rows, channels]
 * pixels, without a copy.
 */
function channelAffine(backend: tf.KernelBackend, x: tf.TensorInfo, a: ArrayLike<number>, b: ArrayLike<number>): tf.TensorInfo {
  const channels = a.length;
  const size = x.shape.reduce((p, d) => p * d, 1);
  const wasm = backend as WasmBackendLike;
  const filter = wasm.makeOutput([1, 1, channels, 1], 'float32');
  const bias = wasm.makeOutput([channels], 'float32');
  readFloat32(backend, filter).set(a);
  readFloat32(backend, bias).set(b);
  const image = { dataId: x.dataId, shape: [1, 1, size / channels, channels], dtype: x.dtype };
  const out = callKernel('FusedDepthwiseConv2D', backend, { x: image, filter, bias }, {
    strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], activation: 'linear',
  });
  release(backend, filter, bias);
  return { dataId: out.dataId, shape: [...x.shape], dtype: out.dtype };
}

/**
 * Wraps wasm's `Identity` so that numeric tensors share their data, as the cpu backend's does
 * (tensors are immutable; a variable's `assign` swaps its data rather than writing into it).
 * tfjs's wasm kernel copies, and training calls it about twenty times a step on activations
 * (gradient pass-through, `tf.tidy` keeps): 2.5 ms of the lab CNN's step at batch 32.
 */
export function identitySharingData(original: tf.KernelFunc): tf.KernelFunc {
  return (({ inputs, backend, attrs }: KernelArgs) => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original({ inputs, backend, attrs: attrs as tf.NamedAttrMap });
    return shareData(backend, x);
  }) as unknown as tf.KernelFunc;
}
