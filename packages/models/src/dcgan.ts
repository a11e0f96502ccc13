import { InvalidArgumentError, tf } from '@dbvae/backend';
import { layerSeeds } from './standard-classifier';
import { assertImageShape, assertPositiveInt, assertShape } from './validate';

/** Options of {@link buildDcganGenerator}. */
export interface DcganGeneratorOptions {
  /** Size of the noise vector. Default 64 (the GAN bias notebook's). */
  zDim?: number;
  /** Base width h: the blocks have 8h, 4h, 2h, h channels. Default 64. */
  hiddenDim?: number;
  /** Channels of the generated images. Default 3. */
  imageChannels?: number;
  /** Seed of the weight initialisers. Default 0. */
  seed?: number;
  /** Model name. Default 'dcgan_generator'. */
  name?: string;
}

/**
 * The DCGAN generator of the GAN-bias notebook: the noise z (zDim) seen as a 1x1 map, four
 * stride-2 `valid` transposed convolutions (kernel 3; 8h, 4h, 2h, h channels; batch norm and
 * ReLU) growing it 1 -> 3 -> 7 -> 15 -> 31, then a kernel-4 stride-2 transposed convolution to
 * 64x64xC with tanh: images in (-1, 1).
 *
 * @throws InvalidArgumentError on non-positive sizes.
 */
export function buildDcganGenerator(options: DcganGeneratorOptions = {}): tf.LayersModel {
  const { zDim = 64, hiddenDim = 64, imageChannels = 3, seed = 0, name = 'dcgan_generator' } = options;
  assertPositiveInt('buildDcganGenerator', 'zDim', zDim);
  assertPositiveInt('buildDcganGenerator', 'hiddenDim', hiddenDim);
  assertPositiveInt('buildDcganGenerator', 'imageChannels', imageChannels);
  const nextSeed = layerSeeds(seed + 2_000_003);
  const input = tf.input({ shape: [zDim], name: `${name}_input` });
  let x = tf.layers.reshape({ targetShape: [1, 1, zDim], name: `${name}_reshape` }).apply(input) as tf.SymbolicTensor;
  [8, 4, 2, 1].forEach((mult, i) => {
    x = tf.layers
      .conv2dTranspose({ filters: mult * hiddenDim, kernelSize: 3, strides: 2, padding: 'valid', kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }), name: `${name}_deconv${i + 1}` })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: `${name}_bn${i + 1}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: `${name}_relu${i + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  const out = tf.layers
    .conv2dTranspose({ filters: imageChannels, kernelSize: 4, strides: 2, padding: 'valid', activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }), name: `${name}_deconv5` })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name });
}

/** Options of {@link buildDcganDiscriminator} and {@link buildAttributeClassifier}. */
export interface DcganCriticOptions {
  /** Base width h: the blocks have h, 2h, 4h channels. Default 64. */
  hiddenDim?: number;
  /** Input shape; the notebook's is [64, 64, 3]. Default [64, 64, 3]. */
  inputShape?: [number, number, number];
  /** Outputs (logits). Default 1 for the discriminator, 40 for the attribute classifier. */
  nOutputs?: number;
  /** Seed of the weight initialisers. Default 0. */
  seed?: number;
  /** Model name. */
  name?: string;
  /**
   * Where the convolution blocks have batch norm: `'all'` (default, the notebook's classifier
   * body), `'skip-first'` (the DCGAN paper's discriminator, Radford et al. 2016: none on the
   * input block) or `'none'`. With real and fake images normalised in separate batches, as
   * {@link ganTrainStep} does, batch norm removes each batch's mean colour and contrast, so a
   * discriminator with it cannot tell the generator that its colours are off.
   */
  batchNorm?: 'all' | 'skip-first' | 'none';
}

function buildCritic(where: string, options: DcganCriticOptions, defaults: { nOutputs: number; name: string }): tf.LayersModel {
  const { hiddenDim = 64, inputShape = [64, 64, 3], nOutputs = defaults.nOutputs, seed = 0, name = defaults.name, batchNorm = 'all' } = options;
  assertPositiveInt(where, 'hiddenDim', hiddenDim);
  assertPositiveInt(where, 'nOutputs', nOutputs);
  if (batchNorm !== 'all' && batchNorm !== 'skip-first' && batchNorm !== 'none') {
    throw new InvalidArgumentError(`${where}: batchNorm must be 'all', 'skip-first' or 'none', got ${String(batchNorm)}.`);
  }
  assertImageShape(where, inputShape);
  // Spatial sizes through kernel 4 with strides 2, 2, 3, 2 ('valid'): 64 -> 31 -> 14 -> 4 -> 1.
  let side = Math.min(inputShape[0], inputShape[1]);
  for (const s of [2, 2, 3, 2]) {
    side = Math.floor((side - 4) / s) + 1;
    if (side < 1) throw new InvalidArgumentError(`${where}: input ${inputShape[0]}x${inputShape[1]} is too small for four kernel-4 convolutions (use 64x64).`);
  }
  const nextSeed = layerSeeds(seed + 3_000_017);
  const input = tf.input({ shape: inputShape, name: `${name}_input` });
  let x: tf.SymbolicTensor = input;
  const blocks: Array<[number, number]> = [
    [hiddenDim, 2],
    [2 * hiddenDim, 2],
    [4 * hiddenDim, 3],
  ];
  blocks.forEach(([filters, strides], i) => {
    x = tf.layers
      .conv2d({ filters, kernelSize: 4, strides, padding: 'valid', kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }), name: `${name}_conv${i + 1}` })
      .apply(x) as tf.SymbolicTensor;
    if (batchNorm === 'all' || (batchNorm === 'skip-first' && i > 0)) x = tf.layers.batchNormalization({ name: `${name}_bn${i + 1}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.leakyReLU({ alpha: 0.2, name: `${name}_lrelu${i + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.conv2d({ filters: nOutputs, kernelSize: 4, strides: 2, padding: 'valid', kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }), name: `${name}_conv4` }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.flatten({ name: `${name}_flatten` }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name });
}

/**
 * The DCGAN discriminator: the notebook's classifier body (kernel-4 `valid` convolutions with
 * strides 2, 2, 3 and h, 2h, 4h channels, batch norm, LeakyReLU 0.2) and a last kernel-4
 * stride-2 convolution to one logit per image (64x64 input). Images are expected in [-1, 1].
 * Pass `batchNorm: 'skip-first'` for the DCGAN paper's discriminator (no batch norm on the
 * input block) or `'none'`; see {@link DcganCriticOptions.batchNorm}.
 *
 * @throws InvalidArgumentError on bad sizes or an unknown `batchNorm`.
 */
export function buildDcganDiscriminator(options: DcganCriticOptions = {}): tf.LayersModel {
  return buildCritic('buildDcganDiscriminator', options, { nOutputs: 1, name: 'dcgan_discriminator' });
}

/**
 * The 40-attribute CelebA classifier of the GAN-bias notebook: the same body as
 * {@link buildDcganDiscriminator} with `nOutputs` (default 40) logits, one per attribute
 * (multi-label: train with {@link attributeClassifierTrainStep}). Images in [-1, 1].
 */
export function buildAttributeClassifier(options: DcganCriticOptions = {}): tf.LayersModel {
  return buildCritic('buildAttributeClassifier', options, { nOutputs: 40, name: 'attribute_classifier' });
}

/** BCE with logits against a constant target, mean over all entries (stable form). */
function bceWithLogits(logits: tf.Tensor, target: tf.Tensor | number): tf.Scalar {
  return tf.tidy(() => {
    const y = typeof target === 'number' ? tf.fill(logits.shape, target) : target;
    return tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, y)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))))) as tf.Scalar;
  });
}

function variablesOf(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Options of {@link ganTrainStep}. */
export interface GanStepOptions {
  /** Seed of this step's noise (the generator step uses seed + 1). Default 0. */
  seed?: number;
  /**
   * Target of the discriminator for real images, in (0, 1]. Default 1 (plain BCE). A value
   * such as 0.9 is one-sided label smoothing (Salimans et al., 2016): the discriminator is
   * never pushed to full confidence on real images, which keeps its gradients to the
   * generator useful; fakes keep the target 0 and the generator's loss is unchanged.
   */
  realLabel?: number;
}

/** Losses of one {@link ganTrainStep}. */
export interface GanStepLosses {
  /** (BCE(D(x), realLabel) + BCE(D(G(z)), 0)) / 2 before the discriminator update. */
  discriminator: number;
  /** Non-saturating generator loss BCE(D(G(z')), 1) = mean softplus(-D(G(z'))). */
  generator: number;
}

/**
 * One DCGAN step with the non-saturating loss: update the discriminator on a real batch and a
 * batch of fakes (generator frozen), then update the generator through the discriminator
 * (discriminator frozen) on fresh noise. Each optimizer only ever sees its own network's
 * variables, in a fixed order.
 *
 * @param real - [n, H, W, C] real images in [-1, 1].
 * @param options - Noise seed and the real-image target (`realLabel`, for label smoothing).
 * @throws ShapeError when `real` does not match the discriminator's input.
 * @throws InvalidArgumentError when `realLabel` is not in (0, 1].
 */
export function ganTrainStep(
  generator: tf.LayersModel,
  discriminator: tf.LayersModel,
  generatorOptimizer: tf.Optimizer,
  discriminatorOptimizer: tf.Optimizer,
  real: tf.Tensor4D,
  options: GanStepOptions = {},
): GanStepLosses {
  const { seed = 0, realLabel = 1 } = options;
  if (!(Number.isFinite(realLabel) && realLabel > 0 && realLabel <= 1)) {
    throw new InvalidArgumentError(`ganTrainStep: realLabel must be in (0, 1] (e.g. 0.9 for one-sided label smoothing), got ${realLabel}.`);
  }
  const inShape = (discriminator.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
  assertShape('ganTrainStep', 'real', real, 4, inShape);
  const zDim = (generator.inputs[0] as tf.SymbolicTensor).shape[1] as number;
  const n = real.shape[0];
  const dCost = discriminatorOptimizer.minimize(
    () => {
      const z = tf.randomNormal([n, zDim], 0, 1, 'float32', seed);
      const fake = generator.apply(z, { training: true }) as tf.Tensor;
      const realLoss = bceWithLogits(discriminator.apply(real, { training: true }) as tf.Tensor, realLabel);
      const fakeLoss = bceWithLogits(discriminator.apply(fake, { training: true }) as tf.Tensor, 0);
      return tf.div(tf.add(realLoss, fakeLoss), 2) as tf.Scalar;
    },
    true,
    variablesOf(discriminator),
  );
  const gCost = generatorOptimizer.minimize(
    () => {
      const z = tf.randomNormal([n, zDim], 0, 1, 'float32', seed + 1);
      const fake = generator.apply(z, { training: true }) as tf.Tensor;
      return bceWithLogits(discriminator.apply(fake, { training: true }) as tf.Tensor, 1);
    },
    true,
    variablesOf(generator),
  );
  const out = { discriminator: dCost!.dataSync()[0] as number, generator: gCost!.dataSync()[0] as number };
  tf.dispose([dCost!, gCost!]);
  return out;
}

/**
 * One step of a multi-label attribute classifier: mean BCE on logits over all attributes,
 * then the update. Returns the loss.
 *
 * @param y - [n, nAttributes] targets in {0, 1}.
 * @throws ShapeError when y does not match the model's outputs.
 */
export function attributeClassifierTrainStep(model: tf.LayersModel, optimizer: tf.Optimizer, x: tf.Tensor4D, y: tf.Tensor2D): number {
  const nOut = (model.outputs[0] as tf.SymbolicTensor).shape[1] as number;
  assertShape('attributeClassifierTrainStep', 'y', y, 2, [nOut]);
  if (y.shape[0] !== x.shape[0]) throw new InvalidArgumentError(`attributeClassifierTrainStep: x has ${x.shape[0]} images but y has ${y.shape[0]} rows.`);
  const cost = optimizer.minimize(() => bceWithLogits(model.apply(x, { training: true }) as tf.Tensor, y), true, variablesOf(model));
  const value = cost!.dataSync()[0] as number;
  cost!.dispose();
  return value;
}
