import { InvalidArgumentError, tf } from '@dbvae/backend';

/**
 * @internal Messages between a {@link DataParallelTrainer} and its replica workers. Tensors
 * travel as float32 buffers (transferred, not copied, where the sender no longer needs them).
 */
export interface WireTensor {
  shape: number[];
  values: Float32Array;
}

/** @internal Main thread to replica. */
export type ToReplica =
  | { type: 'init'; backend: string; modelJson: string; weights: WireTensor[] }
  | { type: 'step'; id: number; x: WireTensor; y: WireTensor; weight: number }
  | { type: 'weights'; weights: WireTensor[] };

/** @internal Replica to main thread. */
export type FromReplica =
  | { type: 'ready' }
  | { type: 'gradients'; id: number; loss: number; gradients: WireTensor[]; state: WireTensor[] }
  | { type: 'error'; id?: number; message: string };

/** @internal A tensor's values as a wire tensor (a fresh copy, safe to transfer). */
export function toWire(t: tf.Tensor): WireTensor {
  if (t.dtype !== 'float32') throw new InvalidArgumentError(`data parallel training needs float32 tensors, got ${t.dtype}.`);
  return { shape: t.shape.slice(), values: t.dataSync() as Float32Array };
}

/** @internal The buffers of wire tensors, for `postMessage`'s transfer list. */
export function buffersOf(tensors: WireTensor[]): ArrayBuffer[] {
  return tensors.map((w) => w.values.buffer as ArrayBuffer);
}

/**
 * @internal Every weight of a model in the one order both sides of the wire use: trainable
 * weights, then the rest (batch-norm moving statistics).
 */
export function replicatedWeights(model: tf.LayersModel): tf.LayerVariable[] {
  return [...model.trainableWeights, ...model.nonTrainableWeights];
}

/**
 * @internal The classifier loss both the main thread and replicas minimise: sigmoid
 * cross-entropy on logits, as {@link classifierTrainStep}.
 */
export function classifierLoss(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const logits = model.apply(x, { training: true }) as tf.Tensor;
  return tf.losses.sigmoidCrossEntropy(y, logits) as tf.Scalar;
}

/**
 * @internal Loss and gradients of {@link classifierLoss} for the model's trainable weights, in
 * their order, with the gradients scaled by `weight` (a replica's share of the batch: scaling
 * the loss scales backpropagation's seed, so the shares' gradients then just add up to the
 * batch's). The returned loss is unscaled. Batch-norm layers update their moving statistics as
 * a side effect, as in any training-mode call.
 */
export function classifierGradients(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, weight = 1): { loss: number; gradients: tf.Tensor[] } {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let loss = NaN;
  const { value, grads } = tf.variableGrads(() => {
    const unscaled = classifierLoss(model, x, y);
    loss = unscaled.dataSync()[0] as number;
    return tf.mul(unscaled, weight) as tf.Scalar;
  }, variables);
  value.dispose();
  return { loss, gradients: variables.map((v) => grads[v.name] as tf.Tensor) };
}
