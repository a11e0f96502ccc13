import * as tf from '@tensorflow/tfjs';
import { readFloat32, type KernelArgs, type WasmBackendLike } from './kernel-utils';

type DepthwiseAttrs = {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function depthwiseInfo(xShape: number[], filterShape: number[], attrs: DepthwiseAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

/**
 * Visits every (output position, filter tap) pair of a depthwise convolution that lands inside
 * the input, handing the flat offsets of x, dy and the filter tap to `visit`. Both gradients are
 * sums over exactly these pairs, so they share this one traversal.
 */
function forEachTap(
  info: tf.backend_util.Conv2DInfo,
  visit: (xOffset: number, dyOffset: number, filterOffset: number) => void,
): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let fh = 0; fh < filterHeight; fh++) {
        const ih = oh * strideHeight + fh * dilationHeight - top;
        if (ih < 0 || ih >= inHeight) continue;
        for (let ow = 0; ow < outWidth; ow++) {
          const dyOffset = ((b * outHeight + oh) * outWidth + ow) * outChannels;
          for (let fw = 0; fw < filterWidth; fw++) {
            const iw = ow * strideWidth + fw * dilationWidth - left;
            if (iw < 0 || iw >= inWidth) continue;
            const xOffset = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const filterOffset = (fh * filterWidth + fw) * outChannels;
            visit(xOffset, dyOffset, filterOffset);
          }
        }
      }
    }
  }
}

/**
 * `DepthwiseConv2dNativeBackpropFilter` for wasm. Depthwise convolutions are cheap (one
 * multiply per tap and channel), so a direct loop over the taps is within a small factor of
 * the forward kernel and exact.
 */
export function depthwiseBackpropFilterWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const a = attrs as unknown as DepthwiseAttrs & { filterShape: [number, number, number, number] };
  const info = depthwiseInfo(x.shape, a.filterShape, a);
  const multiplier = info.outChannels / info.inChannels;
  const inChannels = info.inChannels;
  // Allocate before taking heap views: an allocation may grow (and so detach) the wasm heap.
  const out = (backend as WasmBackendLike).makeOutput(a.filterShape, 'float32');
  const xs = readFloat32(backend, x);
  const dys = readFloat32(backend, dy);
  const dw = readFloat32(backend, out);
  dw.fill(0);
  forEachTap(info, (xo, dyo, fo) => {
    for (let c = 0; c < inChannels; c++) {
      const xv = xs[xo + c] as number;
      const base = c * multiplier;
      for (let q = 0; q < multiplier; q++) {
        (dw[fo + base + q] as number) += xv * (dys[dyo + base + q] as number);
      }
    }
  });
  return out;
}

/** `DepthwiseConv2dNativeBackpropInput` for wasm: the input gradient, by the same traversal. */
export function depthwiseBackpropInputWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const dy = inputs.dy as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  const a = attrs as unknown as DepthwiseAttrs & { inputShape: [number, number, number, number] };
  const info = depthwiseInfo(a.inputShape, filter.shape, a);
  const multiplier = info.outChannels / info.inChannels;
  const inChannels = info.inChannels;
  const out = (backend as WasmBackendLike).makeOutput(a.inputShape, 'float32');
  const dys = readFloat32(backend, dy);
  const ws = readFloat32(backend, filter);
  const dx = readFloat32(backend, out);
  dx.fill(0);
  forEachTap(info, (xo, dyo, fo) => {
    for (let c = 0; c < inChannels; c++) {
      const base = c * multiplier;
      let sum = 0;
      for (let q = 0; q < multiplier; q++) {
        sum += (dys[dyo + base + q] as number) * (ws[fo + base + q] as number);
      }
      (dx[xo + c] as number) += sum;
    }
  });
  return out;
}
