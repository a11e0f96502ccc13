import { InvalidArgumentError, tf } from '@dbvae/backend';
import { ModelError } from './errors';
import type { DBVAE } from './dbvae';
import { dbvaeLoss, type ReconstructionOptions } from './losses';
import { assertShape } from './validate';

/** Options of {@link dbvaeTrainStep}. */
export interface DbvaeStepOptions {
  /** Weight of the KL term. Default 5e-4. */
  klWeight?: number;
  /** Reconstruction term. Default L1, mean over pixels. */
  reconstruction?: ReconstructionOptions;
  /** Seed of the reparameterisation noise of this step. Default 0. */
  seed?: number;
}

/** The loss terms of one step, as numbers. */
export interface StepLosses {
  /** The minimised loss. */
  total: number;
  /** Mean classification BCE. */
  classification: number;
  /** Mean KL over the faces of the batch. */
  kl: number;
  /** Mean reconstruction error over the faces of the batch. */
  reconstruction: number;
  /** Number of faces in the batch. */
  faces: number;
}

/**
 * One optimisation step of a DB-VAE on a batch (x, y): forward pass in training mode, the
 * DB-VAE loss, gradients of all trainable variables, update. Variables are handed to the
 * optimizer always in the same order (Adam's slots are positional). When the batch holds no
 * face, the decoder receives no gradient at all, so neither its weights nor its Adam moments
 * move. Allocates nothing that outlives the call (the optimizer's slots excepted).
 *
 * @throws ShapeError on a wrong image or label shape; InvalidArgumentError on labels other than 0/1; ModelError when the loss is NaN or infinite (the weights are then left unchanged).
 */
export function dbvaeTrainStep(model: DBVAE, optimizer: tf.Optimizer, x: tf.Tensor, y: tf.Tensor, options: DbvaeStepOptions = {}): StepLosses {
  const { klWeight = 5e-4, reconstruction, seed = 0 } = options;
  assertShape('dbvaeTrainStep', 'x', x, 4, model.config.inputShape);
  assertShape('dbvaeTrainStep', 'y', y, 2, [1]);
  if (y.shape[0] !== x.shape[0]) throw new InvalidArgumentError(`dbvaeTrainStep: x has ${x.shape[0]} images but y has ${y.shape[0]} labels.`);
  const labels = y.dataSync();
  let faces = 0;
  for (const v of labels) {
    if (v === 1) faces++;
    else if (v !== 0) throw new InvalidArgumentError(`dbvaeTrainStep: labels must be 0 (non-face) or 1 (face), got ${v}.`);
  }
  const variables = model.trainableVariables;
  const decoderNames = new Set(model.decoderVariables.map((v) => v.name));
  let parts: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const pass = model.forward(x, { training: true, seed });
    const terms = dbvaeLoss({ x, y, reconstruction: pass.reconstruction, logit: pass.logit, mean: pass.mean, logVar: pass.logVar }, { klWeight, reconstruction });
    parts = tf.keep(tf.stack([terms.classification, terms.kl, terms.reconstruction]));
    return terms.total;
  }, variables);
  const named = variables.map((v) => ({
    name: v.name,
    tensor: (faces === 0 && decoderNames.has(v.name) ? null : grads[v.name] ?? null) as unknown as tf.Tensor,
  }));
  const total = value.dataSync()[0] as number;
  const [classification = NaN, kl = NaN, rec = NaN] = Array.from(parts!.dataSync());
  try {
    if (!Number.isFinite(total)) {
      throw new ModelError(`dbvaeTrainStep: the loss is ${total}; the weights were left unchanged. Lower the learning rate, check the inputs for NaN/Infinity, or use a sigmoid decoder output.`);
    }
    optimizer.applyGradients(named);
  } finally {
    tf.dispose([value, parts!, ...Object.values(grads)]);
  }
  return { total, classification, kl, reconstruction: rec, faces };
}
