import * as tf from '@tensorflow/tfjs';
import { callKernel, readFloat32, release, type KernelArgs, type WasmBackendLike } from './kernel-utils';

/**
 * `Conv2DBackpropInput` (the input gradient of conv2d, and the forward pass of
 * conv2dTranspose) for wasm as one matrix product plus a scatter-add ("col2im"):
 *
 *   cols[b·oh·ow, (kh, kw, ci)] = Σ_co dy[b, oh, ow, co] · W[kh, kw, ci, co]
 *   dx[b, oh·s + kh − padTop, ow·s + kw − padLeft, ci] += cols[b·oh·ow, (kh, kw, ci)]
 *
 * The product runs on wasm's matmul; tfjs's own wasm kernel is a direct loop that ran the lab
 * CNN's largest input gradient at under 3 GFLOP/s here.
 */
export function conv2dBackpropInputWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const dy = inputs.dy as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  if (format !== 'channelsLast') {
    throw new Error(`wasm Conv2DBackpropInput supports channelsLast (NHWC) only, got ${dataFormat}`);
  }
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, format);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const K = KH * KW * CI;
  const M = B * OH * OW;

  const wT = callKernel('Transpose', backend, { x: { ...filter, shape: [K, CO] } }, { perm: [1, 0] });
  const cols = callKernel('BatchMatMul', backend, { a: { ...dy, shape: [1, M, CO] }, b: { ...wT, shape: [1, CO, K] } }, { transposeA: false, transposeB: false });
  release(backend, wT);
  // Allocate before taking heap views: an allocation may grow (and so detach) the wasm heap.
  const out = (backend as WasmBackendLike).makeOutput([B, H, W, CI], 'float32');
  const dx = readFloat32(backend, out);
  const src = readFloat32(backend, cols);
  dx.fill(0);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const row = ((b * OH + oh) * OW + ow) * K;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * sh + kh - top;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * sw + kw - left;
            if (iw < 0 || iw >= W) continue;
            const d = ((b * H + ih) * W + iw) * CI;
            const s = row + (kh * KW + kw) * CI;
            for (let c = 0; c < CI; c++) dx[d + c] = (dx[d + c] as number) + (src[s + c] as number);
          }
        }
      }
    }
  }
  release(backend, cols);
  return out;
}
