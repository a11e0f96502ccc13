import { InvalidArgumentError, tf } from '@dbvae/backend';

/** Optimizer names accepted by `compile` (tfjs's `tf.train.*` factories with their default settings). */
export type OptimizerName = 'sgd' | 'adam' | 'adamax' | 'adagrad' | 'adadelta' | 'rmsprop';

/** An optimizer: a name (a fresh instance is made for each model that needs one) or an instance. */
export type OptimizerSpec = OptimizerName | tf.Optimizer;

/**
 * Loss names accepted by `compile`, with tfjs/Keras meaning. A model ending in sigmoid/softmax
 * outputs probabilities and the cross-entropies take them (computed stably from the recovered
 * logits); a model ending in a linear layer outputs logits (`fromLogits` defaults to true
 * there; pass `fromLogits: false` if its outputs are already probabilities).
 * `binaryCrossentropy` and `sigmoidCrossEntropy` are sigmoid cross-entropy with 0/1 targets;
 * `categoricalCrossentropy`/`softmaxCrossEntropy` take one-hot targets;
 * `sparseCategoricalCrossentropy` takes integer class targets of shape `[n]` or `[n, 1]`.
 */
export type LossName =
  | 'meanSquaredError'
  | 'mse'
  | 'meanAbsoluteError'
  | 'binaryCrossentropy'
  | 'sigmoidCrossEntropy'
  | 'categoricalCrossentropy'
  | 'softmaxCrossEntropy'
  | 'sparseCategoricalCrossentropy';

/** A loss: a name or a function `(yTrue, yPred) => scalar` (mean over the batch). */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;
/** See {@link LossName} and {@link LossFn}. */
export type LossSpec = LossName | LossFn;

/** Options of every wrapper's `compile`. */
export interface CompileOptions {
  /** Optimizer name or instance. Default `'adam'`. */
  optimizer?: OptimizerSpec;
  /** The task loss, applied to each model output (summed). Default `'meanSquaredError'`. */
  loss?: LossSpec;
  /**
   * Whether the model's first output is logits (Keras's `from_logits`). Default: inferred
   * from the final activation (sigmoid/softmax: probabilities; linear: logits). `true` on a
   * sigmoid/softmax model is a contradiction and throws.
   */
  fromLogits?: boolean;
}

const OPTIMIZERS: Record<OptimizerName, () => tf.Optimizer> = {
  sgd: () => tf.train.sgd(0.01),
  adam: () => tf.train.adam(),
  adamax: () => tf.train.adamax(),
  adagrad: () => tf.train.adagrad(0.01),
  adadelta: () => tf.train.adadelta(),
  rmsprop: () => tf.train.rmsprop(0.001),
};

/**
 * Makes a NEW optimizer from a spec: a name gives tfjs's default instance; an instance is
 * copied through its config (same class and hyper-parameters, fresh slots), so that models
 * that train separately never share optimizer state.
 * @throws InvalidArgumentError for an unknown name or an object that is not an optimizer.
 */
export function freshOptimizer(spec: OptimizerSpec): tf.Optimizer {
  if (typeof spec === 'string') {
    const make = OPTIMIZERS[spec.toLowerCase() as OptimizerName];
    if (make === undefined) throw new InvalidArgumentError(`Unknown optimizer '${spec}'; use one of ${Object.keys(OPTIMIZERS).join(', ')} or a tf.Optimizer instance.`);
    return make();
  }
  if (!(spec instanceof tf.Optimizer)) throw new InvalidArgumentError('optimizer must be a name or a tf.Optimizer instance.');
  const cls = spec.constructor as unknown as tf.serialization.SerializableConstructor<tf.Optimizer> & {
    fromConfig: (cls: unknown, config: tf.serialization.ConfigDict) => tf.Optimizer;
  };
  return cls.fromConfig(cls, spec.getConfig());
}

const CLASSIFICATION_LOSSES: ReadonlySet<string> = new Set([
  'binaryCrossentropy',
  'sigmoidCrossEntropy',
  'categoricalCrossentropy',
  'softmaxCrossEntropy',
  'sparseCategoricalCrossentropy',
]);

/** Whether a loss name is a classification loss on logits (as opposed to a regression loss). */
export function isClassificationLoss(name: string): boolean {
  return CLASSIFICATION_LOSSES.has(name);
}

/**
 * Resolves a loss spec to a function `(yTrue, yPred) => scalar` (batch mean).
 * @throws InvalidArgumentError for an unknown name.
 */
export function resolveLoss(spec: LossSpec): LossFn {
  if (typeof spec === 'function') return spec;
  switch (spec) {
    case 'meanSquaredError':
    case 'mse':
      return (y, p) => tf.losses.meanSquaredError(y, p) as tf.Scalar;
    case 'meanAbsoluteError':
      return (y, p) => tf.losses.absoluteDifference(y, p) as tf.Scalar;
    case 'binaryCrossentropy':
    case 'sigmoidCrossEntropy':
      return (y, p) => tf.losses.sigmoidCrossEntropy(y, p) as tf.Scalar;
    case 'categoricalCrossentropy':
    case 'softmaxCrossEntropy':
      return (y, p) => tf.losses.softmaxCrossEntropy(y, p) as tf.Scalar;
    case 'sparseCategoricalCrossentropy':
      return (y, p) =>
        tf.tidy(() => {
          const k = p.shape[p.rank - 1] as number;
          const oneHot = tf.oneHot(tf.cast(y.reshape([-1]), 'int32'), k);
          return tf.losses.softmaxCrossEntropy(oneHot, p.reshape([-1, k])) as tf.Scalar;
        });
    default:
      throw new InvalidArgumentError(`Unknown loss '${String(spec)}'; use a LossName or a function (yTrue, yPred) => scalar.`);
  }
}
