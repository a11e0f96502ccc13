import { InvalidArgumentError, tf } from '@dbvae/backend';
import { buildConvClassifier, type StandardClassifierOptions } from './standard-classifier';
import { assertPositiveInt } from './validate';

/**
 * The TensorFlow variant of the lab CNN used in MIT 6.S191 lab 3: five stride-2 convolution
 * blocks of n, 2n, 4n, 6n, 8n filters (kernels 5, 5, 3, 3, 3, `same` padding, ReLU then batch
 * norm), flatten, dense 512 with ReLU and a dense layer of `nOutputs` logits. Input height and
 * width must be multiples of 32. Options and defaults are those of `buildStandardClassifier`
 * (name defaults to 'lab3_classifier').
 *
 * @throws InvalidArgumentError on non-positive sizes or an input not divisible by 32.
 */
export function buildLab3Classifier(options: StandardClassifierOptions = {}): tf.LayersModel {
  const { nOutputs = 1, nFilters = 12, inputShape = [64, 64, 3], denseUnits = 512, seed = 0, name = 'lab3_classifier' } = options;
  assertPositiveInt('buildLab3Classifier', 'nOutputs', nOutputs);
  assertPositiveInt('buildLab3Classifier', 'nFilters', nFilters);
  assertPositiveInt('buildLab3Classifier', 'denseUnits', denseUnits);
  if (inputShape.length !== 3 || inputShape.some((d) => !Number.isInteger(d) || d <= 0) || inputShape[0] % 32 !== 0 || inputShape[1] % 32 !== 0) {
    throw new InvalidArgumentError(`buildLab3Classifier: inputShape must be [height, width, channels] with height and width multiples of 32, got [${inputShape}].`);
  }
  return buildConvClassifier({
    name,
    inputShape,
    blocks: [
      [nFilters, 5],
      [2 * nFilters, 5],
      [4 * nFilters, 3],
      [6 * nFilters, 3],
      [8 * nFilters, 3],
    ],
    // Keras's BatchNormalization defaults (lab 3 is TensorFlow): momentum 0.99, epsilon 1e-3.
    batchNorm: {},
    denseUnits,
    nOutputs,
    seed,
  });
}
