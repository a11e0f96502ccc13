import { tf } from '@dbvae/backend';
import { UnsupportedModelError } from './errors';

function glorot(seed: () => number): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform({ seed: seed() });
}

/**
 * Builds a decoder from a latent vector to the model's (first) input shape by mirroring the
 * feature extractor.
 * - Dense extractors (no convolution among `extractor`): dense layers with the extractor's
 *   units in reverse order (ReLU), then a linear dense layer to the input size, reshaped.
 * - Convolutional extractors: only with `auto` true: dense -> reshape to the input size
 *   divided by 2^k (k = stride-2 convolutions that divide the size) -> k stride-2
 *   `conv2dTranspose` layers (ReLU, the extractor's filters reversed, linear last) to the
 *   input shape.
 * @throws UnsupportedModelError for a convolutional extractor without `auto`.
 */
export function buildMirrorDecoder(
  latentDim: number,
  inputShape: number[],
  extractor: tf.layers.Layer[],
  auto: boolean,
  seed: () => number,
  name: string,
): tf.LayersModel {
  const convs = extractor.filter((l) => /^Conv/.test(l.getClassName()));
  const z = tf.input({ shape: [latentDim], name: `${name}_z` });
  const size = inputShape.reduce((a, b) => a * b, 1);
  if (convs.length === 0) {
    let h: tf.SymbolicTensor = z;
    const units = extractor.filter((l) => l.getClassName() === 'Dense').map((l) => (l.getConfig() as { units: number }).units);
    units.reverse().forEach((u, i) => {
      h = tf.layers.dense({ units: u, activation: 'relu', kernelInitializer: glorot(seed), name: `${name}_dense${i + 1}` }).apply(h) as tf.SymbolicTensor;
    });
    h = tf.layers.dense({ units: size, kernelInitializer: glorot(seed), name: `${name}_out` }).apply(h) as tf.SymbolicTensor;
    if (inputShape.length > 1) h = tf.layers.reshape({ targetShape: inputShape, name: `${name}_reshape` }).apply(h) as tf.SymbolicTensor;
    return tf.model({ inputs: z, outputs: h, name });
  }
  if (!auto) {
    throw new UnsupportedModelError("The feature extractor has convolutions: pass a decoder model (latent -> input shape) or decoder: 'auto'.");
  }
  if (inputShape.length !== 3) throw new UnsupportedModelError(`decoder 'auto' needs an image input [height, width, channels], got [${inputShape}].`);
  const [H, W, C] = inputShape as [number, number, number];
  const filters = convs.map((l) => (l.getConfig() as { filters: number }).filters);
  const strided = convs.filter((l) => {
    const s = (l.getConfig() as { strides?: number | number[] }).strides;
    return (Array.isArray(s) ? s[0] : s) === 2;
  }).length;
  let k = Math.max(strided, 0);
  while (k > 0 && (H % 2 ** k !== 0 || W % 2 ** k !== 0)) k--;
  const h0 = H / 2 ** k;
  const w0 = W / 2 ** k;
  const deepest = filters[filters.length - 1] ?? 16;
  let h: tf.SymbolicTensor = tf.layers.dense({ units: h0 * w0 * deepest, activation: 'relu', kernelInitializer: glorot(seed), name: `${name}_dense` }).apply(z) as tf.SymbolicTensor;
  h = tf.layers.reshape({ targetShape: [h0, w0, deepest], name: `${name}_reshape` }).apply(h) as tf.SymbolicTensor;
  const mirrored = filters.slice().reverse();
  for (let i = 0; i < k; i++) {
    const last = i === k - 1;
    h = tf.layers
      .conv2dTranspose({
        filters: last ? C : (mirrored[i + 1] ?? deepest),
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: last ? 'linear' : 'relu',
        kernelInitializer: glorot(seed),
        name: `${name}_deconv${i + 1}`,
      })
      .apply(h) as tf.SymbolicTensor;
  }
  if (k === 0) {
    h = tf.layers.conv2d({ filters: C, kernelSize: 3, padding: 'same', kernelInitializer: glorot(seed), name: `${name}_conv_out` }).apply(h) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: z, outputs: h, name });
}
