import { tf, InvalidArgumentError } from '@dbvae/backend';

/**
 * A network given either as a tfjs `LayersModel` (called with `apply(x, { training: false })`,
 * so batch-norm and dropout run in inference mode and gradients flow) or as a plain function
 * from a latent batch to an output tensor. Functions must be differentiable with tfjs ops when
 * used by the latent walk, and must not dispose their input.
 */
export type LatentModel = tf.LayersModel | ((z: tf.Tensor2D) => tf.Tensor);

/** A network from images to outputs, given like {@link LatentModel}. */
export type ImageModel = tf.LayersModel | ((x: tf.Tensor) => tf.Tensor);

/** @internal Normalises a model or function to a function. */
export function asFunction<I extends tf.Tensor>(model: tf.LayersModel | ((x: I) => tf.Tensor), name: string): (x: I) => tf.Tensor {
  if (typeof model === 'function') return model;
  if (model instanceof tf.LayersModel) {
    return (x: I) => {
      const out = model.apply(x, { training: false });
      if (Array.isArray(out)) {
        throw new InvalidArgumentError(`${name}: the model has ${out.length} outputs; pass a model (or function) with a single output.`);
      }
      return out as tf.Tensor;
    };
  }
  throw new InvalidArgumentError(`${name}: expected a tf.LayersModel or a function (tensor) => tensor.`);
}
