import { InvalidArgumentError, tf } from '@dbvae/backend';
import { resolveLoss, type LossFn, type LossSpec } from './compile-options';
import { UnsupportedModelError } from './errors';
import type { OutputActivation } from './output-activation';

/** What the compiled task is: which loss family, and whether it is computed on logits or on probabilities. */
export interface TaskPlan {
  /** `regression` (any non-classification loss), the three cross-entropy families, or a user's loss function (`custom`). */
  kind: 'regression' | 'binary' | 'categorical' | 'sparse' | 'custom';
  /** Where the cross-entropy is computed: on logits (stable) or on clipped probabilities. */
  space: 'logits' | 'probabilities';
  /** The loss name compiled (undefined for a function). */
  lossName?: string;
  /** `fromLogits` as given to `compile` (undefined: inferred). */
  fromLogits?: boolean;
}

const BINARY = new Set(['binaryCrossentropy', 'sigmoidCrossEntropy']);
const CATEGORICAL = new Set(['categoricalCrossentropy', 'softmaxCrossEntropy']);

/** Probabilities are clipped to [EPS, 1 - EPS] before the log, as Keras does (`backend.epsilon()`). */
const EPS = 1e-7;

/**
 * Decides how the compiled loss meets the model's output, following tfjs/Keras conventions:
 * a model ending in sigmoid/softmax outputs probabilities (the loss uses the recovered
 * logits when it can, else clipped probabilities); a model ending in a linear layer outputs
 * logits unless `fromLogits: false` says its outputs are already probabilities.
 * @throws InvalidArgumentError for `fromLogits: true` on a sigmoid/softmax output, or a loss
 *   family that does not fit the output activation (sigmoid with categorical cross-entropy,
 *   softmax with binary cross-entropy).
 * @throws UnsupportedModelError for a classification loss on an output that is neither
 *   linear, sigmoid nor softmax (e.g. `relu`) when `fromLogits` is not given.
 */
export function planTask(loss: LossSpec, fromLogits: boolean | undefined, activation: OutputActivation, logitsRecoverable: boolean): TaskPlan {
  if (typeof loss === 'function') return { kind: 'custom', space: 'logits', fromLogits };
  const kind = BINARY.has(loss) ? 'binary' : CATEGORICAL.has(loss) ? 'categorical' : loss === 'sparseCategoricalCrossentropy' ? 'sparse' : 'regression';
  if (kind === 'regression') return { kind, space: 'logits', lossName: loss, fromLogits };
  if (activation === 'sigmoid' || activation === 'softmax') {
    if (fromLogits === true) throw new InvalidArgumentError(`compile: fromLogits is true but the model ends in ${activation}, so it outputs probabilities; drop fromLogits (or set it to false).`);
    if (activation === 'sigmoid' && kind !== 'binary') throw new InvalidArgumentError(`compile: the model ends in sigmoid (independent probabilities) but the loss is '${loss}'; use 'binaryCrossentropy'.`);
    if (activation === 'softmax' && kind === 'binary') throw new InvalidArgumentError(`compile: the model ends in softmax but the loss is '${loss}'; use 'categoricalCrossentropy' (one-hot targets) or 'sparseCategoricalCrossentropy' (class indices).`);
    return { kind, space: logitsRecoverable ? 'logits' : 'probabilities', lossName: loss, fromLogits };
  }
  if (activation === 'other' && fromLogits === undefined) {
    throw new UnsupportedModelError(`compile: '${loss}' needs logits or probabilities, but the model's last activation is neither linear, sigmoid nor softmax; pass fromLogits: true or false to say which its outputs are.`);
  }
  return { kind, space: fromLogits === false ? 'probabilities' : 'logits', lossName: loss, fromLogits };
}

function probabilityLoss(kind: TaskPlan['kind']): LossFn {
  return (y, p) =>
    tf.tidy(() => {
      const q = tf.clipByValue(p, EPS, 1 - EPS);
      if (kind === 'binary') return tf.neg(tf.mean(tf.add(tf.mul(y, tf.log(q)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, q)))))) as tf.Scalar;
      const k = p.shape[p.rank - 1] as number;
      const target = kind === 'sparse' ? tf.oneHot(tf.cast(y.reshape([-1]), 'int32'), k) : y.reshape([-1, k]);
      const norm = tf.div(q.reshape([-1, k]), tf.sum(q.reshape([-1, k]), 1, true));
      return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.log(norm)), 1))) as tf.Scalar;
    });
}

/**
 * The task loss of the first output: `(yTrue, output, logits?) => scalar`. `logits` is the
 * recovered pre-activation of a sigmoid/softmax output (undefined otherwise).
 */
export function taskLossFn(plan: TaskPlan, loss: LossSpec): (y: tf.Tensor, output: tf.Tensor, logits?: tf.Tensor) => tf.Scalar {
  if (plan.kind === 'custom' || plan.kind === 'regression') {
    const fn = resolveLoss(loss);
    return (y, out) => fn(y, out);
  }
  const onLogits = resolveLoss(loss);
  const onProbs = probabilityLoss(plan.kind);
  return (y, out, logits) => {
    if (plan.space === 'probabilities') return onProbs(y, out);
    return onLogits(y, logits ?? out);
  };
}

/**
 * Class probabilities from the first output, or undefined for a regression task: the output
 * itself for a sigmoid/softmax model or `fromLogits: false`, else sigmoid (binary) or softmax
 * (categorical) of the logits.
 */
export function outputProbabilities(plan: TaskPlan | undefined, activation: OutputActivation, output: tf.Tensor): tf.Tensor | undefined {
  if (activation === 'sigmoid' || activation === 'softmax') return tf.clone(output);
  if (plan === undefined || plan.kind === 'regression' || plan.kind === 'custom') return undefined;
  if (plan.space === 'probabilities') return tf.clone(output);
  return plan.kind === 'binary' ? tf.sigmoid(output) : tf.softmax(output);
}

/**
 * Per-sample negative log-likelihood of logits for a cross-entropy family: elementwise
 * `softplus(z) - y z` for binary outputs (shape of `z`), `-sum(y * logSoftmax(z))` over the
 * last axis for categorical/sparse ones (shape `[n]`).
 */
export function logitNll(kind: TaskPlan['kind'], y: tf.Tensor, z: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    if (kind === 'binary') return tf.sub(tf.softplus(z), tf.mul(y, z));
    const k = z.shape[z.rank - 1] as number;
    const target = kind === 'sparse' ? tf.oneHot(tf.cast(y.reshape([-1]), 'int32'), k) : y.reshape([-1, k]);
    return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(z.reshape([-1, k]))), 1));
  });
}
