import { InvalidArgumentError, createRandom, tf } from '@dbvae/backend';
import type { CompileOptions, OptimizerSpec } from './compile-options';
import { ComposedWrapper } from './composed-wrapper';
import type { RiskMode } from './risk-options';
import { RESTORED, WRAPPER_KINDS, restoreFromArtifacts, restoredSource } from './wrapper-registry';
import { SerializationError, UnsupportedModelError } from './errors';
import { freshLayerCopy, rebuildGraph } from './graph';
import { RiskModel, toTensorList, type FitOptions, type History, type ModelInput } from './risk-model';
import type { NamedRisk, RiskFields, RiskName, RiskTensor } from './risk-tensor';
import { classificationSummaries } from './uncertainty-summaries';
import { loadArtifacts, saveArtifacts, type WrapperArtifacts } from './serialization';

/** Options of {@link EnsembleWrapper}. */
export interface EnsembleWrapperOptions {
  /** Number of members. Default 3 (Capsa's). */
  numMembers?: number;
  /**
   * Wraps each member model, with the mode that member needs (e.g.
   * `(m, i, mode) => new MVEWrapper(m, { mode })`); default: no wrapper. The wrapper must use
   * the `mode` given: post-hoc for the user's frozen model, joint for the trained copies.
   */
  memberWrapper?: (member: tf.LayersModel, index: number, mode: RiskMode) => ComposedWrapper;
  /**
   * `'post-hoc'` (default with a model): member 0 is the user's model, FROZEN, and its output
   * is `yHat` exactly; the other members are freshly initialised copies that `fit` trains
   * (`retrainsCopies`), and `epistemic` is the spread of all members. `'joint'` (default with
   * a builder function): every member trains, `yHat` is the members' mean.
   */
  mode?: RiskMode;
  /**
   * `spread` (default): epistemic = the members' disagreement, their mutual information for a
   * classifier (`epistemic.mutualInformation`) and the std of their `yHat` for a regressor
   * (`epistemic.ensemble`, always in `named`); `members`: the mean of the members' own epistemic risk.
   */
  epistemic?: 'spread' | 'members';
  /** Seed of the members' initialisers. Default 0. */
  seed?: number;
}

/**
 * Epistemic risk from an ensemble: `numMembers` independently initialised copies of the
 * model trained side by side on the same batches, each with its OWN optimizer instance
 * (names like `'adam'` and instances both work). Member 0 is the user's model itself (shared
 * layers; frozen in post-hoc mode, where `yHat` is its own output); the others are copies of
 * its architecture with freshly seeded initialisers (or models from a builder function).
 * `epistemic` = the members' disagreement: for classifiers their mutual information
 * (`epistemic.mutualInformation`, with the entropies in `named`), for regressors their standard
 * deviation (`epistemic.ensemble`, in `named` for both), joint `yHat` = members' mean,
 * and `bias`/`aleatoric` (from wrapped members) = the members' mean.
 * @throws UnsupportedModelError for a GraphModel or a function.
 */
export class EnsembleWrapper extends RiskModel {
  readonly kind: string = 'EnsembleWrapper';
  /** The members (each a wrapper; plain members are wrappers with no component). */
  readonly members: ComposedWrapper[];
  private readonly epistemicMode: 'spread' | 'members';
  /** `'post-hoc'` (member 0 frozen, its output is `yHat`) or `'joint'`. */
  readonly mode: RiskMode;

  /**
   * @param model - The user's model, or a function building one fresh member per call.
   */
  constructor(model: tf.LayersModel | (() => tf.LayersModel), options: EnsembleWrapperOptions = {}) {
    super();
    if (typeof model === 'object' && model !== null && RESTORED in model) {
      const a = (model as unknown as { artifacts: WrapperArtifacts }).artifacts;
      const memberArts = a.config['members'] as Array<{ kind: string; config: Record<string, unknown> }>;
      this.members = memberArts.map((m, i) => {
        const pre = `m${i}/`;
        const parts = Object.fromEntries(Object.entries(a.parts).filter(([k]) => k.startsWith(pre)).map(([k, v]) => [k.slice(pre.length), v]));
        const arrays = Object.fromEntries(Object.entries(a.arrays).filter(([k]) => k.startsWith(pre)).map(([k, v]) => [k.slice(pre.length), v]));
        return restoreFromArtifacts({ kind: m.kind, config: m.config, parts, arrays }) as ComposedWrapper;
      });
      this.epistemicMode = (a.config['epistemic'] as 'spread' | 'members') ?? 'spread';
      this.mode = (a.config['mode'] as RiskMode | undefined) ?? 'joint';
      return;
    }
    const { numMembers = 3, memberWrapper, epistemic = 'spread', seed = 0 } = options;
    this.mode = options.mode ?? (typeof model === 'function' ? 'joint' : 'post-hoc');
    if (this.mode !== 'post-hoc' && this.mode !== 'joint') throw new InvalidArgumentError(`mode must be 'post-hoc' or 'joint', got ${String(this.mode)}.`);
    if (this.mode === 'post-hoc' && typeof model === 'function') throw new InvalidArgumentError("EnsembleWrapper: mode 'post-hoc' keeps a trained model frozen; with a builder function there is none: use mode 'joint'.");
    if (!Number.isInteger(numMembers) || numMembers < 2) throw new InvalidArgumentError(`numMembers must be an integer >= 2, got ${numMembers}.`);
    if (epistemic !== 'spread' && epistemic !== 'members') throw new InvalidArgumentError(`epistemic must be 'spread' or 'members', got ${String(epistemic)}.`);
    this.epistemicMode = epistemic;
    const rng = createRandom(seed);
    const nextSeed = (): number => rng.int(2147483647);
    const models: tf.LayersModel[] = [];
    for (let i = 0; i < numMembers; i++) {
      if (typeof model === 'function') {
        const m = model();
        if (!(m instanceof tf.LayersModel)) throw new UnsupportedModelError('The ensemble builder must return a tf.LayersModel.');
        models.push(m);
      } else if (!(model instanceof tf.LayersModel)) {
        throw new UnsupportedModelError('EnsembleWrapper needs a trainable tf.LayersModel (or a builder function); GraphModels and functions cannot be retrained.');
      } else if (i === 0) {
        models.push(model);
      } else {
        const g = rebuildGraph(model, { replace: (layer) => freshLayerCopy(layer, nextSeed, `_m${i}`) });
        models.push(tf.model({ inputs: g.inputs, outputs: model.outputs.map(g.map), name: `${model.name}_m${i}` }));
      }
    }
    this.members = models.map((m, i) => {
      const mode: RiskMode = this.mode === 'post-hoc' && i === 0 ? 'post-hoc' : 'joint';
      const w = memberWrapper ? memberWrapper(m, i, mode) : new ComposedWrapper(m, { seed: seed + i, mode });
      if (w.mode !== mode) throw new InvalidArgumentError(`EnsembleWrapper: member ${i} must be wrapped with mode '${mode}' (memberWrapper gets it as its third argument), got '${w.mode}'.`);
      return w;
    });
  }

  /** Whether the risk comes from trained copies of the model (post-hoc: members 1..n-1). */
  get retrainsCopies(): boolean {
    return this.mode === 'post-hoc';
  }

  /** Class probabilities of a `yHat` of this ensemble (see {@link ComposedWrapper.probabilities}). */
  probabilities(yHat: tf.Tensor): tf.Tensor | undefined {
    return (this.members[0] as ComposedWrapper).probabilities(yHat);
  }

  /** Restarts every member's random stream (see {@link ComposedWrapper.reseed}). */
  reseed(seed: number): void {
    this.members.forEach((m, i) => m.reseed(seed + i));
  }

  /** Trains the members (post-hoc: the copies and member 0's risk parts), then refills each member's histogram from x. */
  override async fit(x: ModelInput, y: ModelInput, options: FitOptions = {}): Promise<History> {
    const history = await super.fit(x, y, options);
    const xs = toTensorList(x, `${this.kind}.fit x`);
    const ys = toTensorList(y, `${this.kind}.fit y`);
    for (const m of this.members) m.refillAfterFit(xs, ys, options.batchSize ?? 256);
    return history;
  }

  override compile(options: CompileOptions = {}): void {
    super.compile(options);
    for (const m of this.members) m.compile(options);
  }

  protected setOptimizer(_spec: OptimizerSpec): void {
    // Each member makes its own optimizer in compile().
  }

  trainOnBatch(x: ModelInput, y: ModelInput): number {
    this.requireLoss();
    let sum = 0;
    for (const m of this.members) sum += m.trainOnBatch(x, y);
    return sum / this.members.length;
  }

  protected lossOnBatch(xs: tf.Tensor[], ys: tf.Tensor[]): number {
    const n = xs[0]?.shape[0] as number;
    let sum = 0;
    for (const m of this.members) sum += m.evaluate(xs, ys, { batchSize: n });
    return sum / this.members.length;
  }

  protected predictBatch(xs: tf.Tensor[]): RiskFields {
    const n = xs[0]?.shape[0] as number;
    const outs: RiskTensor[] = this.members.map((m) => m.predict(xs, { batchSize: n }));
    try {
      return tf.tidy(() => {
        const { mean, variance } = tf.moments(tf.stack(outs.map((o) => o.yHat)), 0);
        const named: Partial<Record<NamedRisk, tf.Tensor>> = { 'epistemic.ensemble': tf.sqrt(variance) };
        const fields: Partial<RiskFields> = { yHat: this.mode === 'post-hoc' ? (outs[0] as RiskTensor).yHat.clone() : mean, named, outputs: (outs[0] as RiskTensor).outputs };
        const member0 = this.members[0] as ComposedWrapper;
        const probs = outs.map((o) => member0.probabilities(o.yHat));
        if (probs.every((p): p is tf.Tensor => p !== undefined)) {
          const exclusive = member0.outputActivation === 'softmax' || (member0.task?.kind !== 'binary' && mean.shape[mean.rank - 1] !== 1);
          Object.assign(named, classificationSummaries(probs, exclusive));
        }
        const avg = (r: RiskName): tf.Tensor | undefined => {
          const ts = outs.map((o) => o[r]);
          return ts.every((t) => t !== undefined) ? tf.mean(tf.stack(ts as tf.Tensor[]), 0) : undefined;
        };
        const bias = avg('bias');
        const aleatoric = avg('aleatoric');
        // The members' disagreement: mutual information for classifiers (the std of the logits
        // grows with confidence and flags mistakes worse than chance), std for regressors.
        const epi = this.epistemicMode === 'members' ? avg('epistemic') : (named['epistemic.mutualInformation'] ?? named['epistemic.ensemble']);
        if (this.epistemicMode === 'members' && epi === undefined) throw new InvalidArgumentError("epistemic: 'members' needs members that report epistemic risk.");
        if (bias) fields.bias = bias;
        if (aleatoric) fields.aleatoric = aleatoric;
        if (epi) fields.epistemic = epi;
        return fields as unknown as tf.TensorContainer;
      }) as unknown as RiskFields;
    } finally {
      for (const o of outs) o.dispose();
    }
  }

  async save(handlerOrUrl: string | tf.io.IOHandler): Promise<tf.io.SaveResult> {
    const parts: WrapperArtifacts['parts'] = {};
    const arrays: WrapperArtifacts['arrays'] = {};
    const members = this.members.map((m, i) => {
      const a = m.toArtifacts();
      for (const [k, v] of Object.entries(a.parts)) parts[`m${i}/${k}`] = v;
      for (const [k, v] of Object.entries(a.arrays)) arrays[`m${i}/${k}`] = v;
      return { kind: a.kind, config: a.config };
    });
    return saveArtifacts({ kind: this.kind, config: { members, epistemic: this.epistemicMode, mode: this.mode }, parts, arrays }, handlerOrUrl);
  }

  /**
   * Loads an EnsembleWrapper saved with `save`.
   * @throws SerializationError for artifacts of another kind.
   */
  static async load(handlerOrUrl: string | tf.io.IOHandler): Promise<EnsembleWrapper> {
    const a = await loadArtifacts(handlerOrUrl);
    if (a.kind !== 'EnsembleWrapper') throw new SerializationError(`The saved wrapper is a ${a.kind}, not an EnsembleWrapper.`);
    return restoreFromArtifacts(a) as EnsembleWrapper;
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}
WRAPPER_KINDS.set('EnsembleWrapper', (a) => new EnsembleWrapper(restoredSource(a) as unknown as tf.LayersModel));
