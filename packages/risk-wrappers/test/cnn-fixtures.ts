import { createRandom, tf } from '@dbvae/backend';

/**
 * A lab-CNN-like classifier on 16x16x3 images: two stride-2 convolutions (ReLU, batch norm),
 * flatten, dense 512 ReLU (the feature layer), dense 1 with the given activation.
 */
export function labLikeCnn(seed = 1, activation: 'linear' | 'sigmoid' = 'linear', width = 512): tf.LayersModel {
  const g = (k: number) => tf.initializers.glorotUniform({ seed: seed * 100 + k });
  const input = tf.input({ shape: [16, 16, 3] });
  let h = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: g(1) }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: g(2) }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ units: width, activation: 'relu', kernelInitializer: g(3), name: 'features512' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 1, activation, kernelInitializer: g(4), name: 'logit' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/**
 * Synthetic "faces" of two skin tones on a random background: a bright or a dark disc whose
 * position jitters. Returns images in [0, 1] and the group of each (1 = dark, the rare one).
 */
export function toneFaces(n: number, darkFraction: number, seed: number): { x: tf.Tensor4D; dark: number[] } {
  const rng = createRandom(seed);
  const data = new Float32Array(n * 16 * 16 * 3);
  const dark: number[] = [];
  for (let i = 0; i < n; i++) {
    const isDark = rng.next() < darkFraction ? 1 : 0;
    dark.push(isDark);
    const tone = isDark ? [0.35, 0.22, 0.15] : [0.95, 0.8, 0.7];
    const cx = 7.5 + (rng.next() - 0.5) * 3;
    const cy = 7.5 + (rng.next() - 0.5) * 3;
    for (let r = 0; r < 16; r++) {
      for (let c = 0; c < 16; c++) {
        const inside = (r - cy) ** 2 + (c - cx) ** 2 < 25;
        for (let k = 0; k < 3; k++) data[((i * 16 + r) * 16 + c) * 3 + k] = inside ? (tone[k] as number) + 0.05 * rng.normal() : 0.5 + 0.1 * rng.normal();
      }
    }
  }
  return { x: tf.tensor4d(data, [n, 16, 16, 3]), dark };
}

/** Uniform noise images in [0, 1]. */
export function noiseImages(n: number, seed: number): tf.Tensor4D {
  return tf.randomUniform([n, 16, 16, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}
