import { InvalidArgumentError, ShapeError, tf } from '@dbvae/backend';

/** Channel order of a packed uint8 image buffer. */
export type ChannelOrder = 'rgb' | 'bgr';

/** Layout of image tensors: `'channelsLast'` (N, H, W, 3) or `'channelsFirst'` (N, 3, H, W). */
export type DataFormat = 'channelsLast' | 'channelsFirst';

/** Options of {@link uint8ToFloatBatch}. */
export interface Uint8ToFloatOptions {
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** Channel order of the source bytes. Default `'rgb'`. The output is always RGB. */
  channelOrder?: ChannelOrder;
  /** Layout of the output. Default `'channelsLast'`. */
  dataFormat?: DataFormat;
  /** Rows (images) to take, in this order; default all rows. */
  indices?: ArrayLike<number>;
}

/**
 * Converts packed uint8 images (N x H x W x 3, channels last, RGB or BGR) into a float32
 * Tensor4D of RGB values in [0, 1]. Only the selected rows are converted, so a large uint8
 * store can feed batches without ever holding the whole set as float32.
 *
 * @param images - Packed bytes, `N * height * width * 3` long.
 * @param options - Size, source channel order, output layout and the rows to take.
 * @returns A new tensor (the caller disposes it) of shape (b, H, W, 3) or (b, 3, H, W).
 * @throws ShapeError if the buffer length is not a multiple of one image; InvalidArgumentError
 *   for an index out of range or a bad option.
 */
export function uint8ToFloatBatch(images: Uint8Array, options: Uint8ToFloatOptions): tf.Tensor4D {
  const { height, width, channelOrder = 'rgb', dataFormat = 'channelsLast', indices } = options;
  if (!Number.isInteger(height) || height <= 0 || !Number.isInteger(width) || width <= 0) {
    throw new InvalidArgumentError(`uint8ToFloatBatch: height and width must be positive integers, got ${height} x ${width}.`);
  }
  if (channelOrder !== 'rgb' && channelOrder !== 'bgr') {
    throw new InvalidArgumentError(`uint8ToFloatBatch: channelOrder must be 'rgb' or 'bgr', got ${String(channelOrder)}.`);
  }
  if (dataFormat !== 'channelsLast' && dataFormat !== 'channelsFirst') {
    throw new InvalidArgumentError(`uint8ToFloatBatch: dataFormat must be 'channelsLast' or 'channelsFirst', got ${String(dataFormat)}.`);
  }
  const pixels = height * width;
  const imageSize = pixels * 3;
  if (images.length % imageSize !== 0) {
    throw new ShapeError(`uint8ToFloatBatch: buffer of ${images.length} bytes is not a whole number of ${height}x${width}x3 images.`);
  }
  const n = images.length / imageSize;
  const rows = indices ?? Int32Array.from({ length: n }, (_, i) => i);
  const b = rows.length;
  const out = new Float32Array(b * imageSize);
  const scale = 1 / 255;
  const flip = channelOrder === 'bgr';
  for (let r = 0; r < b; r++) {
    const row = rows[r] as number;
    if (!Number.isInteger(row) || row < 0 || row >= n) {
      throw new InvalidArgumentError(`uint8ToFloatBatch: index ${row} is outside 0..${n - 1}.`);
    }
    const src = row * imageSize;
    const dst = r * imageSize;
    if (dataFormat === 'channelsLast') {
      if (flip) {
        for (let p = 0; p < imageSize; p += 3) {
          out[dst + p] = (images[src + p + 2] as number) * scale;
          out[dst + p + 1] = (images[src + p + 1] as number) * scale;
          out[dst + p + 2] = (images[src + p] as number) * scale;
        }
      } else {
        for (let p = 0; p < imageSize; p++) out[dst + p] = (images[src + p] as number) * scale;
      }
    } else {
      const c0 = flip ? 2 : 0;
      const c2 = flip ? 0 : 2;
      for (let p = 0; p < pixels; p++) {
        out[dst + p] = (images[src + 3 * p + c0] as number) * scale;
        out[dst + pixels + p] = (images[src + 3 * p + 1] as number) * scale;
        out[dst + 2 * pixels + p] = (images[src + 3 * p + c2] as number) * scale;
      }
    }
  }
  const shape: [number, number, number, number] = dataFormat === 'channelsLast' ? [b, height, width, 3] : [b, 3, height, width];
  return tf.tensor4d(out, shape, 'float32');
}

/** Swaps the first and third channel of packed 3-channel bytes in place (RGB <-> BGR). */
export function swapRedBlueInPlace(bytes: Uint8Array): Uint8Array {
  if (bytes.length % 3 !== 0) throw new ShapeError(`swapRedBlueInPlace: length ${bytes.length} is not a multiple of 3.`);
  for (let p = 0; p < bytes.length; p += 3) {
    const t = bytes[p] as number;
    bytes[p] = bytes[p + 2] as number;
    bytes[p + 2] = t;
  }
  return bytes;
}

/**
 * Converts loaded folder images (or any packed RGB uint8 set) into a float32 Tensor4D of RGB
 * values in [0, 1]; optionally only some rows. The caller disposes the tensor.
 */
export function imagesToTensor(data: { images: Uint8Array; height: number; width: number }, options: { indices?: ArrayLike<number>; dataFormat?: DataFormat } = {}): tf.Tensor4D {
  return uint8ToFloatBatch(data.images, { height: data.height, width: data.width, channelOrder: 'rgb', ...options });
}
