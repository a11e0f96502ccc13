import * as tf from '@tensorflow/tfjs';
import { callKernel, channelsLastConvInfo, release, type KernelArgs } from './kernel-utils';

/**
 * `Conv2DBackpropFilter` for the wasm backend, built from its XNNPACK convolution.
 *
 * The filter gradient dW[kh, kw, ci, co] = sum over (b, oh, ow) of
 * x[b, oh*s + kh - padTop, ow*s + kw - padLeft, ci] * dy[b, oh, ow, co] is itself a
 * convolution: take x with batch and channel axes swapped ([ci, H, W, b]) as the input and dy
 * as the filter ([OH, OW, b, co]), use the forward stride as the dilation, keep the forward
 * padding at the top-left and choose the bottom-right padding so that exactly KH x KW outputs
 * come out. One fast convolution and three transposes, instead of a scalar loop.
 */
export function conv2dBackpropFilterWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const info = channelsLastConvInfo('Conv2DBackpropFilter', x.shape, a.filterShape, a);
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const bottom = Math.max(0, kh + (outHeight - 1) * sh - inHeight - top);
  const right = Math.max(0, kw + (outWidth - 1) * sw - inWidth - left);

  const xT = callKernel('Transpose', backend, { x }, { perm: [3, 1, 2, 0] });
  const dyT = callKernel('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] });
  const conv = callKernel(
    'Conv2D',
    backend,
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dilations: [sh, sw],
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
    },
  );
  release(backend, xT, dyT);
  // conv is [ci, H', W', co] with H' >= kh and W' >= kw; the extra rows are filter taps that
  // do not exist, produced only when the forward padding is smaller than the window needs.
  let cropped = conv;
  if (conv.shape[1] !== kh || conv.shape[2] !== kw) {
    cropped = callKernel('Slice', backend, { x: conv }, { begin: [0, 0, 0, 0], size: [inChannels, kh, kw, outChannels] });
    release(backend, conv);
  }
  const dW = callKernel('Transpose', backend, { x: cropped }, { perm: [1, 2, 0, 3] });
  release(backend, cropped);
  return dW;
}
