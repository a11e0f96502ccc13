import type { tf } from '@dbvae/backend';
import type { NamedRisk } from '../risk-tensor';

/**
 * A named tensor a head can read: the model `input`, the clean (dropout-off) `features`, the
 * `features.stochastic` of a dropout pass, or a latent provided by another head (`latent.vae`).
 */
export type Tap = 'input' | 'features' | 'features.stochastic' | `latent.${string}`;

/** A risk field a head writes, under its own name (`bias.histogram`, `epistemic.vae`, ...). */
export type RiskField = NamedRisk;

/** The taps the composed wrapper's core provides to every head. */
export const CORE_TAPS: readonly Tap[] = ['input', 'features'];

/**
 * One risk component as a declared unit (see the style anchors, "risk heads"): the loop that
 * runs heads knows none of them, it only orders them by `provides`/`reads`, sums their losses,
 * lets them observe clean batches and gathers the fields they write.
 */
export interface RiskHead {
  /** The registry key (`histogram`, `vae`, `mve`, `mcDropout`). */
  readonly kind: string;
  /** Unique within a wrapper. */
  readonly name: string;
  /** The taps this head needs. */
  readonly reads: readonly Tap[];
  /** The taps this head makes for others (the VAE's `latent.vae`). */
  readonly provides?: readonly Tap[];
  /** The named risk fields this head writes; two heads writing one field cannot be composed. */
  readonly writes: readonly RiskField[];
  /** Whether this head's loss replaces the task loss of the first output (MVE's likelihood). */
  readonly replacesTaskLoss?: boolean;
  /** The layer models this head trains (in `joint` mode the model trains too). */
  trainableModels?(joint: boolean): tf.LayersModel[];
  /** The layer models saved as artifact parts, by part name. */
  parts?(): Record<string, tf.LayersModel>;
  /** The taps this head provides for the heads after it (call inside a tidy). */
  provide?(step: HeadStep): Partial<Record<Tap, tf.Tensor>>;
  /** This head's loss on one batch (call inside a tidy). */
  loss?(step: HeadStep): tf.Scalar;
  /** This head's named fields on one batch (call inside a tidy). */
  predict?(step: HeadStep): HeadPrediction;
  /** Frees what the head owns. */
  dispose(): void;
}

/** What a head's `predict` gives: its named fields and, for MC dropout, the mean of its passes. */
export interface HeadPrediction {
  fields: Partial<Record<RiskField, tf.Tensor>>;
  /** A prediction the loop may use instead of the model's (joint MC dropout: Capsa's MC mean). */
  passMean?: tf.Tensor;
}

/** What the composed wrapper knows of the task, for heads whose loss depends on it. */
export interface HeadTask {
  /** Classification (a cross-entropy compiled, or forced by a head's option). */
  classification: boolean;
  /** The compiled loss family, if compiled. */
  kind?: 'binary' | 'categorical' | 'sparse' | 'regression' | 'custom';
  /** Whether the model's first output is probabilities (sigmoid/softmax, or compiled as such). */
  probabilities: boolean;
  /** Class probabilities of an output (a new tensor), or undefined for regression. */
  probabilitiesOf?(output: tf.Tensor): tf.Tensor | undefined;
  /** Whether the classes of an output are exclusive (softmax-like) for the entropy summaries. */
  exclusiveClasses?(output: tf.Tensor): boolean;
}

/** One batch as the loop hands it to a head's `loss`, `observe` or `predict`. */
export interface HeadStep {
  /** The model inputs. */
  xs: tf.Tensor[];
  /** The targets (training only). */
  ys?: tf.Tensor[];
  /** The taps by name (clean features always dropout-off). */
  taps: Partial<Record<Tap, tf.Tensor>>;
  /** The clean first output of the model. */
  output: tf.Tensor;
  /** Its logits, where recoverable. */
  logits?: tf.Tensor;
  /** The first output of this step's stochastic (dropout) pass, when one ran. */
  stochasticOutput?: tf.Tensor;
  /** Whether the head's layers run in training mode. */
  training: boolean;
  /** Joint mode (the model trains with the heads). */
  joint: boolean;
  /** Per-sample 0/1 weights of the VAE loss and histogram (`vae.onlyClass`). */
  mask?: tf.Tensor;
  /** The wrapper's seeded stream. */
  seed(): number;
  /** The VAE's out-of-support penalty per sample, when calibrated (set by the VAE head's `provide`). */
  supportPenalty?(): tf.Tensor | undefined;
  task: HeadTask;
}

/** A per-sample value `[n]` broadcast to the output's shape, the shape of every risk field. */
export function tileLike(perSample: tf.Tensor, output: tf.Tensor): tf.Tensor {
  const n = output.shape[0] as number;
  return perSample.reshape([n, ...output.shape.slice(1).map(() => 1)]).broadcastTo(output.shape);
}

/** `[n, ...]` to `[n, d]`. */
export function flatten2d(t: tf.Tensor): tf.Tensor2D {
  return t.reshape([t.shape[0] as number, -1]) as tf.Tensor2D;
}
