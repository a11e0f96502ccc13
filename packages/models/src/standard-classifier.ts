import { tf } from '@dbvae/backend';
import { classifierLoss } from './replica-protocol';
import { assertImageShape, assertPositiveInt } from './validate';

/** Options of {@link buildStandardClassifier}. */
export interface StandardClassifierOptions {
  /** Number of outputs of the last dense layer (logits, no activation). Default 1. */
  nOutputs?: number;
  /** Base number of convolution filters; the blocks use n, 2n, 4n, 6n. Default 12 (the lab's). */
  nFilters?: number;
  /** Input shape, channels last. Default [64, 64, 3]. */
  inputShape?: [number, number, number];
  /** Units of the hidden dense layer. Default 512. */
  denseUnits?: number;
  /** Seed of the weight initialisers; the same seed gives the same initial weights. Default 0. */
  seed?: number;
  /** Model name. Default 'standard_classifier'. */
  name?: string;
}

/**
 * Seeds for the layers of one model: each layer's initialiser gets its own seed derived from
 * the model's, so reordering nothing changes nothing and two models with one seed are equal.
 */
export function layerSeeds(seed: number): () => number {
  let i = 0;
  return () => (seed * 7919 + 104729 * ++i) % 2147483647;
}

/**
 * The MIT 6.S191 lab 2 standard CNN: four stride-2 convolution blocks of n, 2n, 4n, 6n filters
 * (5x5, 5x5, 3x3, 3x3, `same` padding), each convolution followed by ReLU then batch norm (the
 * lab's order), then flatten, dense 512 with ReLU, and a dense layer of `nOutputs` logits.
 */
export function buildStandardClassifier(options: StandardClassifierOptions = {}): tf.LayersModel {
  const { nOutputs = 1, nFilters = 12, inputShape = [64, 64, 3], denseUnits = 512, seed = 0, name = 'standard_classifier' } = options;
  for (const [key, value] of Object.entries({ nOutputs, nFilters, denseUnits })) assertPositiveInt('buildStandardClassifier', key, value);
  assertImageShape('buildStandardClassifier', inputShape);
  return buildConvClassifier({
    name,
    inputShape,
    blocks: [
      [nFilters, 5],
      [2 * nFilters, 5],
      [4 * nFilters, 3],
      [6 * nFilters, 3],
    ],
    // PyTorch's BatchNorm2d defaults (the lab's): momentum 0.1 of the new batch, epsilon 1e-5.
    batchNorm: { momentum: 0.9, epsilon: 1e-5 },
    denseUnits,
    nOutputs,
    seed,
  });
}

/** @internal The body shared by the lab classifiers (see {@link buildConvClassifier}). */
export interface ConvClassifierSpec {
  name: string;
  inputShape: [number, number, number];
  /** [filters, kernel size] of each stride-2 block. */
  blocks: Array<[number, number]>;
  /** Batch-norm settings (the framework defaults of the lab the variant comes from). */
  batchNorm: { momentum?: number; epsilon?: number };
  denseUnits: number;
  nOutputs: number;
  seed: number;
}

/**
 * @internal Stride-2 `same` convolution blocks (convolution with ReLU, then batch norm), flatten,
 * dense with ReLU, dense logits; each layer's initialiser seeded from `seed` in layer order.
 */
export function buildConvClassifier(spec: ConvClassifierSpec): tf.LayersModel {
  const { name, inputShape, blocks, batchNorm, denseUnits, nOutputs, seed } = spec;
  const nextSeed = layerSeeds(seed);
  const input = tf.input({ shape: inputShape, name: `${name}_input` });
  let x: tf.SymbolicTensor = input;
  blocks.forEach(([filters, kernelSize], i) => {
    x = tf.layers
      .conv2d({ filters, kernelSize, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }), name: `${name}_conv${i + 1}` })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ ...batchNorm, name: `${name}_bn${i + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.flatten({ name: `${name}_flatten` }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: denseUnits, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }), name: `${name}_dense1` }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: nOutputs, kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }), name: `${name}_logits` }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name });
}

/**
 * One training step of a binary classifier on logits: sigmoid cross-entropy, gradients, update.
 * Returns the loss as a number; allocates nothing that outlives the call.
 */
export function classifierTrainStep(model: tf.LayersModel, optimizer: tf.Optimizer, x: tf.Tensor, y: tf.Tensor): number {
  const loss = optimizer.minimize(() => classifierLoss(model, x, y), true);
  const value = loss!.dataSync()[0] as number;
  loss!.dispose();
  return value;
}
