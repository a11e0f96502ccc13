import { createRandom, tf } from '@dbvae/backend';

/** A small dense regressor/classifier with seeded initialisers. */
export function denseModel(inputDim: number, hidden: number[], outputs: number, seed = 1, activation: 'relu' | 'tanh' = 'relu'): tf.LayersModel {
  const input = tf.input({ shape: [inputDim] });
  let h: tf.SymbolicTensor = input;
  hidden.forEach((units, i) => {
    h = tf.layers.dense({ units, activation, kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + i }) }).apply(h) as tf.SymbolicTensor;
  });
  const out = tf.layers.dense({ units: outputs, kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + 99 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** n points uniform in [lo, hi) from a seeded stream, as a column tensor. */
export function uniformColumn(n: number, lo: number, hi: number, seed: number): Float32Array {
  const rng = createRandom(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
}
