import * as tf from '@tensorflow/tfjs';
import { callKernel, channelsLastConvInfo, readFloat32, release, type KernelArgs, type WasmBackendLike } from './kernel-utils';

/**
 * `Conv2DBackpropInput` (the input gradient of conv2d, and the forward pass of
 * conv2dTranspose) for wasm. Preferred: {@link subPixelBackpropInput}, stride² small
 * convolutions on wasm's XNNPACK kernel. Fallback, for paddings the sub-pixel split cannot
 * express: one matrix product plus a scatter-add ("col2im"):
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
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const info = channelsLastConvInfo('Conv2DBackpropInput', a.inputShape, filter.shape, a);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const subPixel = subPixelBackpropInput(dy, filter, info, backend);
  if (subPixel !== undefined) return subPixel;
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

interface Phase {
  /** The phase's convolution output [B, rows, cols, CI]. */
  out: tf.TensorInfo;
  /** First output row / column index q of the phase, and how many there are. */
  qh: number;
  qw: number;
  rows: number;
  cols: number;
  rh: number;
  rw: number;
}

/**
 * The input gradient split by output phase ("sub-pixel"): the rows ih with
 * (ih + padTop) mod s = r receive only the filter taps kh ≡ r (mod s), so for each of the s²
 * phases dx is a stride-1 convolution of dy with the phase's taps, flipped and with input and
 * output channels swapped. Those convolutions run on XNNPACK and skip the zeros a strided
 * transposed convolution would multiply. Returns undefined when a phase would need negative
 * padding (explicit paddings larger than the filter), for the caller to fall back.
 */
function subPixelBackpropInput(
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  backend: tf.KernelBackend,
): tf.TensorInfo | undefined {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  type Axis = { r: number; taps: number; q: number; count: number; padBefore: number; padAfter: number };
  const axisPlan = (r: number, K: number, s: number, size: number, pad: number, dySize: number): Axis => {
    const taps = Math.max(0, Math.ceil((K - r) / s));
    const q = Math.ceil((pad - r) / s);
    const count = Math.floor((size - 1 + pad - r) / s) - q + 1;
    const padBefore = taps - 1 - q;
    const padAfter = Math.max(0, count + taps - 1 - dySize - padBefore);
    return { r, taps, q, count, padBefore, padAfter };
  };
  const plans: Array<[Axis, Axis]> = [];
  for (let rh = 0; rh < sh; rh++) {
    for (let rw = 0; rw < sw; rw++) {
      const ph = axisPlan(rh, KH, sh, H, top, OH);
      const pw = axisPlan(rw, KW, sw, W, left, OW);
      if (ph.taps === 0 || pw.taps === 0 || ph.count <= 0 || pw.count <= 0) continue;
      if (ph.padBefore < 0 || pw.padBefore < 0) return undefined;
      plans.push([ph, pw]);
    }
  }
  const wasm = backend as WasmBackendLike;
  const phases: Phase[] = [];
  for (const [ph, pw] of plans) {
    // Phase filter [taps_h, taps_w, CO, CI]: W[rh + sh·(Jh−1−th), rw + sw·(Jw−1−tw), ci, co].
    const sub = wasm.makeOutput([ph.taps, pw.taps, CO, CI], 'float32');
    const dst = readFloat32(backend, sub);
    const src = readFloat32(backend, filter);
    for (let th = 0; th < ph.taps; th++) {
      const kh = ph.r + sh * (ph.taps - 1 - th);
      for (let tw = 0; tw < pw.taps; tw++) {
        const kw = pw.r + sw * (pw.taps - 1 - tw);
        const from = (kh * KW + kw) * CI * CO;
        const to = (th * pw.taps + tw) * CO * CI;
        for (let ci = 0; ci < CI; ci++) {
          for (let co = 0; co < CO; co++) dst[to + co * CI + ci] = src[from + ci * CO + co] as number;
        }
      }
    }
    const out = callKernel(
      'Conv2D',
      backend,
      { x: dy, filter: sub },
      { strides: [1, 1], pad: [[0, 0], [ph.padBefore, ph.padAfter], [pw.padBefore, pw.padAfter], [0, 0]], dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: undefined },
    );
    release(backend, sub);
    phases.push({ out, qh: ph.q, qw: pw.q, rows: ph.count, cols: pw.count, rh: ph.r, rw: pw.r });
  }
  const result = wasm.makeOutput([B, H, W, CI], 'float32');
  const dx = readFloat32(backend, result);
  if (phases.length < sh * sw) dx.fill(0);
  for (const phase of phases) {
    const [, convRows, convCols] = phase.out.shape as [number, number, number, number];
    const src = readFloat32(backend, phase.out);
    for (let b = 0; b < B; b++) {
      for (let u = 0; u < phase.rows; u++) {
        const ih = (phase.qh + u) * sh + phase.rh - top;
        for (let v = 0; v < phase.cols; v++) {
          const iw = (phase.qw + v) * sw + phase.rw - left;
          const from = ((b * convRows + u) * convCols + v) * CI;
          const to = ((b * H + ih) * W + iw) * CI;
          // A plain loop: for the few channels of early layers it beats subarray() + set().
          for (let c = 0; c < CI; c++) dx[to + c] = src[from + c] as number;
        }
      }
    }
    release(backend, phase.out);
  }
  return result;
}
