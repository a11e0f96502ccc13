import { InvalidArgumentError, tf } from '@dbvae/backend';
import { assertFiniteAtLeast, assertSameShape } from './validate';

/** Norm of the reconstruction error: `'l1'` absolute (the lab's), `'l2'` squared (the paper's). */
export type ReconstructionNorm = 'l1' | 'l2';
/** How per-pixel errors are combined per image: `'mean'` (the lab's) or `'sum'` (the reproduction's fix for collapse). */
export type ReconstructionReduction = 'mean' | 'sum';

/** Options of the reconstruction term. */
export interface ReconstructionOptions {
  /** Default `'l1'`. */
  norm?: ReconstructionNorm;
  /** Default `'mean'`. */
  reduction?: ReconstructionReduction;
  /**
   * Weight of the reconstruction term in the DB-VAE loss (`dbvaeLoss`; `reconstructionLoss`
   * itself ignores it). Default 1 (the lab's). Larger values make the shared encoder spend more
   * of its capacity on appearance than on the face/non-face decision, so that rare appearances
   * (such as a rare skin tone) become rare in the latent space the resampling reads.
   */
  weight?: number;
}

/**
 * Per-example KL divergence of N(mean, exp(logVar)) from N(0, I):
 * 0.5 * sum_j (exp(logVar_j) + mean_j^2 - 1 - logVar_j). The second head is the log-VARIANCE,
 * consistently with the sampler (z = mean + exp(logVar / 2) * eps).
 *
 * @param mean - [n, k] latent means.
 * @param logVar - [n, k] latent log-variances.
 * @returns [n] KL per example (caller disposes).
 * @throws ShapeError when the shapes differ.
 */
export function klDivergence(mean: tf.Tensor, logVar: tf.Tensor): tf.Tensor1D {
  assertSameShape('klDivergence', mean, logVar, ['mean', 'logVar']);
  return tf.tidy(() => tf.sum(tf.sub(tf.add(tf.exp(logVar), tf.square(mean)), tf.add(logVar, 1)), -1).mul(0.5) as tf.Tensor1D);
}

/**
 * Per-example reconstruction error: L1 (|x - x̂|) or L2 (squared error), averaged or summed
 * over all of an image's values.
 *
 * @param x - [n, ...] inputs.
 * @param reconstruction - same shape as `x`.
 * @returns [n] error per example (caller disposes).
 * @throws ShapeError when the shapes differ; InvalidArgumentError on an unknown norm or reduction.
 */
export function reconstructionLoss(x: tf.Tensor, reconstruction: tf.Tensor, options: ReconstructionOptions = {}): tf.Tensor1D {
  const { norm = 'l1', reduction = 'mean' } = options;
  assertSameShape('reconstructionLoss', x, reconstruction, ['x', 'reconstruction']);
  if (norm !== 'l1' && norm !== 'l2') throw new InvalidArgumentError(`reconstructionLoss: norm must be 'l1' or 'l2', got '${String(norm)}'.`);
  if (reduction !== 'mean' && reduction !== 'sum') throw new InvalidArgumentError(`reconstructionLoss: reduction must be 'mean' or 'sum', got '${String(reduction)}'.`);
  return tf.tidy(() => {
    const diff = tf.sub(x, reconstruction);
    const err = norm === 'l1' ? tf.abs(diff) : tf.square(diff);
    const flat = tf.reshape(err, [x.shape[0] as number, -1]);
    return (reduction === 'mean' ? tf.mean(flat, 1) : tf.sum(flat, 1)) as tf.Tensor1D;
  });
}

/**
 * Per-example binary cross-entropy on logits in the stable form
 * max(l, 0) - l * y + log(1 + exp(-|l|)), averaged over the last axis.
 *
 * @param labels - [n, d] targets in [0, 1].
 * @param logits - [n, d] logits.
 * @returns [n] loss per example (caller disposes).
 */
export function sigmoidCrossEntropyWithLogits(labels: tf.Tensor, logits: tf.Tensor): tf.Tensor1D {
  assertSameShape('sigmoidCrossEntropyWithLogits', labels, logits, ['labels', 'logits']);
  return tf.tidy(() => {
    const loss = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    return tf.mean(tf.reshape(loss, [logits.shape[0] as number, -1]), 1) as tf.Tensor1D;
  });
}

/** Inputs of {@link dbvaeLoss}: what one forward pass of the DB-VAE produced. */
export interface DbvaeLossInputs {
  /** [n, H, W, C] input images. */
  x: tf.Tensor;
  /** [n, H, W, C] reconstructions. */
  reconstruction: tf.Tensor;
  /** [n, 1] labels, 1 = face. */
  y: tf.Tensor;
  /** [n, 1] class logits. */
  logit: tf.Tensor;
  /** [n, k] latent means. */
  mean: tf.Tensor;
  /** [n, k] latent log-variances. */
  logVar: tf.Tensor;
}

/** Options of {@link dbvaeLoss}. */
export interface DbvaeLossOptions {
  /** Weight c of the KL term. Default 5e-4 (the lab's). */
  klWeight?: number;
  /** Reconstruction term. Default L1, mean over pixels (the lab's). */
  reconstruction?: ReconstructionOptions;
}

/** The terms of the DB-VAE loss as scalars (caller disposes). */
export interface DbvaeLossTerms {
  /** mean_i [ BCE_i + 1[y_i = 1] (c KL_i + R_i) ]: what is minimised. */
  total: tf.Scalar;
  /** Mean BCE over the batch. */
  classification: tf.Scalar;
  /** Mean KL over the faces of the batch (0 when there are none). */
  kl: tf.Scalar;
  /** Mean reconstruction error over the faces of the batch (0 when there are none). */
  reconstruction: tf.Scalar;
}

/**
 * The DB-VAE loss of the paper and the lab: classification for every example, plus the VAE
 * loss (klWeight x KL + reconstruction) for faces only, so non-faces train only the classifier
 * (their VAE terms are multiplied by the face indicator 1[y = 1] and give zero gradient).
 *
 * @throws ShapeError on mismatched shapes; InvalidArgumentError on a negative or non-finite klWeight.
 */
export function dbvaeLoss(inputs: DbvaeLossInputs, options: DbvaeLossOptions = {}): DbvaeLossTerms {
  const { klWeight = 5e-4, reconstruction: reconOptions = {} } = options;
  assertFiniteAtLeast('dbvaeLoss', 'klWeight', klWeight, 0);
  const recWeight = reconOptions.weight ?? 1;
  assertFiniteAtLeast('dbvaeLoss', 'reconstruction.weight', recWeight, 0);
  const { x, reconstruction, y, logit, mean, logVar } = inputs;
  const n = x.shape[0] as number;
  if (y.shape[0] !== n || logit.shape[0] !== n || mean.shape[0] !== n) {
    throw new InvalidArgumentError(`dbvaeLoss: x, y, logit and mean must share the batch size, got ${n}, ${y.shape[0]}, ${logit.shape[0]}, ${mean.shape[0]}.`);
  }
  return tf.tidy(() => {
    const ce = sigmoidCrossEntropyWithLogits(y, logit);
    const kl = klDivergence(mean, logVar);
    const rec = reconstructionLoss(x, reconstruction, reconOptions);
    const face = tf.cast(tf.equal(tf.reshape(y, [n]), 1), 'float32');
    const nFaces = tf.maximum(tf.sum(face), 1);
    const vae = tf.add(tf.mul(kl, klWeight), recWeight === 1 ? rec : tf.mul(rec, recWeight));
    const total = tf.mean(tf.add(ce, tf.mul(face, vae))) as tf.Scalar;
    return {
      total,
      classification: tf.mean(ce) as tf.Scalar,
      kl: tf.div(tf.sum(tf.mul(face, kl)), nFaces) as tf.Scalar,
      reconstruction: tf.div(tf.sum(tf.mul(face, rec)), nFaces) as tf.Scalar,
    };
  });
}
