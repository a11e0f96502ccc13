import { tf } from '@dbvae/backend';
import { UnsupportedModelError } from '../errors';
import { freshLayerCopy, rebuildGraph } from '../graph';
import { McDropout } from '../mc-dropout';
import type { DropoutSpec } from '../risk-options';
import { classificationSummaries } from '../uncertainty-summaries';
import type { HeadPrediction, HeadStep, RiskField, RiskHead, Tap } from './risk-head';

/** Runs a layers model on a list of inputs and returns its outputs as a list. */
export function layersApply(model: tf.LayersModel, xs: tf.Tensor[], training: boolean): tf.Tensor[] {
  const out = model.apply(xs.length === 1 ? (xs[0] as tf.Tensor) : xs, { training });
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}

/**
 * The MC-dropout head (epistemic): the one head that changes the core. It runs its own model
 * (the user's layers with `McDropout` inserted, or with its own Dropout layers made
 * stochastic; post-hoc `insert`: a trained copy) from the `input`, and writes
 * `epistemic.mcDropout` (the std of the passes) and, for classifiers, the entropy summaries.
 * Its dropout is on only inside its own passes, so every other head sees clean features.
 */
export class McDropoutHead implements RiskHead {
  readonly kind = 'mcDropout';
  readonly name = 'mcDropout';
  readonly reads: readonly Tap[] = ['input'];
  readonly writes: readonly RiskField[] = ['epistemic.mcDropout', 'total.predictiveEntropy', 'aleatoric.expectedEntropy', 'epistemic.mutualInformation'];
  /** The dropout layers of {@link model}. */
  readonly layers: McDropout[];

  /**
   * @param spec - The dropout settings.
   * @param model - The stochastic model (saved as the `mcCore` part when it is a copy).
   * @param isCopy - Whether the model is a trained copy (post-hoc `insert`), owned by this head.
   * @param seed - The stream each dropout mask is drawn from.
   */
  constructor(
    readonly spec: DropoutSpec,
    readonly model: tf.LayersModel,
    readonly isCopy: boolean,
    seed: () => number,
  ) {
    this.layers = model.layers.filter((l): l is McDropout => l instanceof McDropout);
    for (const l of this.layers) l.seedSource = seed;
  }

  /**
   * The MC-dropout model. `copy`: the layers are fresh copies holding the user's current
   * weights (the user's model is never trained); otherwise the user's own layers.
   * @throws UnsupportedModelError when there is nowhere to put dropout.
   */
  static buildModel(model: tf.LayersModel, outputs: tf.SymbolicTensor[], spec: DropoutSpec, copy: boolean, seed: () => number): tf.LayersModel {
    const { rate = 0.1, placement: mode = 'insert' } = spec;
    const outputLayers = new Set(outputs.map((t) => t.sourceLayer as tf.layers.Layer));
    const copies: Array<[tf.layers.Layer, tf.layers.Layer]> = [];
    let count = 0;
    const g = rebuildGraph(model, {
      replace: (layer) => {
        if (mode === 'own' && /Dropout/.test(layer.getClassName())) {
          count++;
          const r = (layer.getConfig() as { rate: number }).rate;
          return new McDropout({ rate: r, spatial: /Spatial/.test(layer.getClassName()), name: `${layer.name}_mc` });
        }
        if (!copy || layer.weights.length === 0) return undefined;
        const c = freshLayerCopy(layer, seed, '_mccopy');
        copies.push([layer, c]);
        return c;
      },
      after: (layer, out) => {
        const cls = layer.getClassName();
        if (mode !== 'insert' || outputLayers.has(layer) || !(cls === 'Dense' || /^Conv/.test(cls))) return out;
        count++;
        return new McDropout({ rate, spatial: /^Conv/.test(cls), name: `${layer.name}_mcdrop${seed() % 100000}` }).apply(out) as tf.SymbolicTensor;
      },
    });
    if (count === 0) {
      throw new UnsupportedModelError(mode === 'own' ? "dropout placement 'own': the model has no Dropout layers; use placement 'insert'." : 'MC dropout found no dense or convolution layer (other than the output) to add dropout after.');
    }
    const mc = tf.model({ inputs: g.inputs, outputs: outputs.map(g.map), name: `${model.name}_mc${copy ? '_copy' : ''}` });
    // getWeights() hands back the variables' own tensors (not clones): never dispose them.
    for (const [orig, c] of copies) c.setWeights(orig.getWeights());
    return mc;
  }

  /** Turns the dropout layers on or off (off everywhere outside this head's own passes). */
  setActive(active: boolean): void {
    for (const l of this.layers) l.active = active;
  }

  /** The outputs of one stochastic pass (dropout on only when `training`), for the task loss. */
  trainingOutputs(xs: tf.Tensor[], training: boolean): tf.Tensor[] {
    this.setActive(training);
    try {
      return layersApply(this.model, xs, training);
    } finally {
      this.setActive(false);
    }
  }

  /**
   * `passes` stochastic passes (call inside a tidy): their mean and the named fields.
   * @param probabilities - Class probabilities of an output, or undefined for regression.
   * @param multiClass - Whether the classes are exclusive (softmax) for the entropy summaries.
   */
  passes(xs: tf.Tensor[], probabilities: (yHat: tf.Tensor) => tf.Tensor | undefined, multiClass: (yHat: tf.Tensor) => boolean): { mean: tf.Tensor; fields: Partial<Record<RiskField, tf.Tensor>> } {
    this.setActive(true);
    const passes: tf.Tensor[] = [];
    try {
      for (let t = 0; t < (this.spec.passes ?? 20); t++) passes.push(layersApply(this.model, xs, false)[0] as tf.Tensor);
    } finally {
      this.setActive(false);
    }
    const { mean, variance } = tf.moments(tf.stack(passes), 0);
    const fields: Partial<Record<RiskField, tf.Tensor>> = { 'epistemic.mcDropout': tf.sqrt(variance) };
    const probs = passes.map((p) => probabilities(p));
    if (probs.every((p): p is tf.Tensor => p !== undefined)) Object.assign(fields, classificationSummaries(probs, multiClass(passes[0] as tf.Tensor)));
    return { mean, fields };
  }

  /** `joint`: the user's layers train through this model; post-hoc: only a copy trains. */
  trainableModels(joint: boolean): tf.LayersModel[] {
    return joint || this.isCopy ? [this.model] : [];
  }

  /** A trained copy is saved as the `mcCore` part (otherwise the model is rebuilt from the core). */
  parts(): Record<string, tf.LayersModel> {
    return this.isCopy ? { mcCore: this.model } : {};
  }

  /** The fields of {@link McDropoutHead.passes} and their mean (call inside a tidy). */
  predict(step: HeadStep): HeadPrediction {
    const { mean, fields } = this.passes(step.xs, (p) => step.task.probabilitiesOf?.(p), (p) => step.task.exclusiveClasses?.(p) ?? false);
    return { fields, passMean: mean };
  }

  dispose(): void {
    if (this.isCopy) this.model.dispose();
  }
}
