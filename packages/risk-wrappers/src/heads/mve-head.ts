import { tf } from '@dbvae/backend';
import { logitNll } from '../task-loss';
import type { MveSpec } from '../risk-options';
import type { HeadPrediction, HeadStep, RiskField, RiskHead, Tap } from './risk-head';

/**
 * The MVE head (aleatoric): a dense layer from the clean features to a log-variance per
 * output. Reads `features`, writes `aleatoric.mve`; its loss is the Gaussian NLL (regression)
 * or the sampled-logit likelihood (classification), which replaces the task loss of the first
 * output in joint mode.
 */
export class MveHead implements RiskHead {
  readonly kind = 'mve';
  readonly name = 'mve';
  readonly reads: readonly Tap[] = ['features'];
  readonly writes: readonly RiskField[] = ['aleatoric.mve'];
  readonly replacesTaskLoss = true;

  /**
   * @param spec - The MVE settings.
   * @param model - features -> logVariance (saved as the `mveHead` part).
   */
  constructor(
    readonly spec: MveSpec,
    readonly model: tf.LayersModel,
  ) {}

  /** Builds the head for features of `featShape` and outputs of `yShape`, seeding its initialiser from `seed`. */
  static build(spec: MveSpec, featShape: number[], yShape: number[], seed: () => number): MveHead {
    const inp = tf.input({ shape: featShape, name: 'rw_mve_features' });
    let h: tf.SymbolicTensor = featShape.length > 1 ? (tf.layers.flatten().apply(inp) as tf.SymbolicTensor) : inp;
    const units = yShape.reduce((a, b) => a * b, 1);
    h = tf.layers.dense({ units, kernelInitializer: tf.initializers.glorotUniform({ seed: seed() }), name: 'rw_mve_logvar' }).apply(h) as tf.SymbolicTensor;
    if (yShape.length !== 1) h = tf.layers.reshape({ targetShape: yShape }).apply(h) as tf.SymbolicTensor;
    return new MveHead(spec, tf.model({ inputs: inp, outputs: h, name: 'rw_mve_head' }));
  }

  /** The layer models this head trains. */
  trainableModels(): tf.LayersModel[] {
    return [this.model];
  }

  /** Saved as the `mveHead` part. */
  parts(): Record<string, tf.LayersModel> {
    return { mveHead: this.model };
  }

  /** The mean the variance is around: logits for a classifier (recovered, or logit of clipped probabilities), else the output. */
  private mean(output: tf.Tensor, logits: tf.Tensor | undefined, step: HeadStep, classification: boolean): tf.Tensor {
    if (!classification) return output;
    if (logits) return logits;
    if (step.task.probabilities) {
      const p = tf.clipByValue(output, 1e-7, 1 - 1e-7);
      return tf.sub(tf.log(p), tf.log(tf.sub(1, p)));
    }
    return output;
  }

  /** The MVE loss of one batch (call inside a tidy). */
  loss(step: HeadStep): tf.Scalar {
    const y0 = (step.ys as tf.Tensor[])[0] as tf.Tensor;
    const classification = this.spec.classification ?? step.task.classification;
    const logvar = (this.model.apply(step.taps.features as tf.Tensor, { training: step.training }) as tf.Tensor).reshape(step.output.shape);
    // Joint with dropout: the mean is the stochastic pass; otherwise the clean one (post-hoc: the frozen model's).
    const mean = step.joint && step.stochasticOutput ? this.mean(step.stochasticOutput, undefined, step, classification) : this.mean(step.output, step.logits, step, classification);
    if (!classification) return tf.mean(tf.mul(0.5, tf.add(logvar, tf.mul(tf.square(tf.sub(y0, mean)), tf.exp(tf.neg(logvar))))));
    // Kendall & Gal (2017, eq. 12): the NLL of the likelihood AVERAGED over logit samples,
    // -log(1/T sum_t p(y | mean + std eps_t)). (Averaging the loss instead, as Capsa does,
    // makes any noise cost loss by Jensen's inequality, so the variance learns nothing.)
    const s = this.spec.samples ?? 10;
    const std = tf.exp(tf.mul(logvar, 0.5));
    const kind = step.task.kind ?? 'binary';
    // All samples in one draw: z has shape [samples, ...mean.shape].
    const eps = tf.randomNormal([s, ...mean.shape], 0, 1, 'float32', step.seed());
    const z = tf.add(mean, tf.mul(std, eps));
    const yRep = tf.broadcastTo(y0, [s, ...y0.shape]);
    const nllKind = kind === 'custom' || kind === 'regression' ? 'binary' : kind;
    const nll = logitNll(nllKind, yRep.reshape([s * (y0.shape[0] as number), ...y0.shape.slice(1)]), z.reshape([s * (mean.shape[0] as number), ...mean.shape.slice(1)]));
    const lme = tf.sub(tf.logSumExp(tf.neg(nll).reshape([s, -1]), 0), Math.log(s));
    return tf.neg(tf.mean(lme)) as tf.Scalar;
  }

  /** `aleatoric.mve`: the predicted variance, shaped like the output (call inside a tidy). */
  predict(step: HeadStep): HeadPrediction {
    return { fields: { 'aleatoric.mve': tf.exp(this.model.apply(step.taps.features as tf.Tensor) as tf.Tensor).reshape(step.output.shape) } };
  }

  /** Config (the spec) and parts for saving. */
  getConfig(): MveSpec {
    return { ...this.spec };
  }

  dispose(): void {
    this.model.dispose();
  }
}
