import { InvalidArgumentError, tf } from '@dbvae/backend';
import { layerSeeds } from './standard-classifier';
import { assertPositiveInt } from './validate';

/** Options of {@link buildFaceDecoder}. */
export interface FaceDecoderOptions {
  /** Size k of the latent code fed to the decoder. Default 100 (the lab's). */
  latentDim?: number;
  /** Base number of filters, as in the encoder: the map starts at 6n channels. Default 12. */
  nFilters?: number;
  /** Shape of the reconstructed image, channels last; height and width must be multiples of 16. Default [64, 64, 3]. */
  outputShape?: [number, number, number];
  /** `'sigmoid'` squashes the output into (0, 1) (as the reproduction did); `'linear'` is the lab's raw output. Default `'linear'`. */
  outputActivation?: 'linear' | 'sigmoid';
  /** Seed of the weight initialisers. Default 0. */
  seed?: number;
  /** Model name (prefix of its layer names). Default 'face_decoder'. */
  name?: string;
}

/**
 * The lab 2 face decoder: a dense layer with ReLU onto a (H/16)x(W/16)x(6n) map (4x4x72 for
 * the lab's 64x64 images and n = 12), then four stride-2 transposed convolutions with 4n, 2n, n
 * and C filters and kernel sizes 3, 3, 5, 5 (`same` padding, ReLU between them), which double
 * the map four times back to HxWxC. The last layer has no activation unless
 * `outputActivation: 'sigmoid'`.
 *
 * @throws InvalidArgumentError on non-positive sizes or a height/width not divisible by 16.
 * @example
 * const decoder = buildFaceDecoder({ latentDim: 100 });
 * const images = decoder.predict(tf.randomNormal([2, 100])) as tf.Tensor4D; // [2, 64, 64, 3]
 */
export function buildFaceDecoder(options: FaceDecoderOptions = {}): tf.LayersModel {
  const { latentDim = 100, nFilters = 12, outputShape = [64, 64, 3], outputActivation = 'linear', seed = 0, name = 'face_decoder' } = options;
  assertPositiveInt('buildFaceDecoder', 'latentDim', latentDim);
  assertPositiveInt('buildFaceDecoder', 'nFilters', nFilters);
  if (outputShape.length !== 3 || outputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new InvalidArgumentError(`buildFaceDecoder: outputShape must be [height, width, channels] of positive integers, got [${outputShape}].`);
  }
  const [height, width, channels] = outputShape;
  if (height % 16 !== 0 || width % 16 !== 0) {
    throw new InvalidArgumentError(`buildFaceDecoder: height and width must be multiples of 16 (four stride-2 upsamplings), got ${height}x${width}.`);
  }
  if (outputActivation !== 'linear' && outputActivation !== 'sigmoid') {
    throw new InvalidArgumentError(`buildFaceDecoder: outputActivation must be 'linear' or 'sigmoid', got '${String(outputActivation)}'.`);
  }
  const nextSeed = layerSeeds(seed + 1_000_003);
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: nextSeed() });
  const input = tf.input({ shape: [latentDim], name: `${name}_input` });
  const h0 = height / 16;
  const w0 = width / 16;
  let x = tf.layers.dense({ units: h0 * w0 * 6 * nFilters, activation: 'relu', kernelInitializer: init(), name: `${name}_dense` }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.reshape({ targetShape: [h0, w0, 6 * nFilters], name: `${name}_reshape` }).apply(x) as tf.SymbolicTensor;
  const blocks: Array<[number, number, 'relu' | 'linear' | 'sigmoid']> = [
    [4 * nFilters, 3, 'relu'],
    [2 * nFilters, 3, 'relu'],
    [nFilters, 5, 'relu'],
    [channels, 5, outputActivation],
  ];
  blocks.forEach(([filters, kernelSize, activation], i) => {
    x = tf.layers
      .conv2dTranspose({ filters, kernelSize, strides: 2, padding: 'same', activation, kernelInitializer: init(), name: `${name}_deconv${i + 1}` })
      .apply(x) as tf.SymbolicTensor;
  });
  return tf.model({ inputs: input, outputs: x, name });
}
