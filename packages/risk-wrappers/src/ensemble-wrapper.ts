import { InvalidArgumentError, createRandom, tf } from '@dbvae/backend';
import type { CompileOptions, OptimizerSpec } from './compile-options';
import { ComposedWrapper, RESTORED, WRAPPER_KINDS, restoreFromArtifacts, restoredSource } from './composed-wrapper';
import { SerializationError, UnsupportedModelError } from './errors';
import { freshLayerCopy, rebuildGraph } from './graph';
import { RiskModel, type ModelInput } from './risk-model';
import type { RiskFields, RiskName, RiskTensor } from './risk-tensor';
import { loadArtifacts, saveArtifacts, type WrapperArtifacts } from './serialization';

/** Options of {@link EnsembleWrapper}. */
export interface EnsembleWrapperOptions {
  /** Number of members. Default 3 (Capsa's). */
  numMembers?: number;
  /** Wraps each member model (e.g. `(m) => new MVEWrapper(m)`); default: no wrapper. */
  memberWrapper?: (member: tf.LayersModel, index: number) => ComposedWrapper;
  /** `spread` (default): epistemic = std of the members' `yHat`; `members`: the mean of the members' own epistemic risk. */
  epistemic?: 'spread' | 'members';
  /** Seed of the members' initialisers. Default 0. */
  seed?: number;
}

/**
 * Epistemic risk from an ensemble: `numMembers` independently initialised copies of the
 * model trained side by side on the same batches, each with its OWN optimizer instance
 * (names like `'adam'` and instances both work). Member 0 is the user's model itself (shared
 * layers); the others are copies of its architecture with freshly seeded initialisers (or
 * models from a builder function). `yHat` = members' mean, `epistemic` = their standard
 * deviation, and `bias`/`aleatoric` (from wrapped members) = the members' mean.
 * @throws UnsupportedModelError for a GraphModel or a function.
 */
export class EnsembleWrapper extends RiskModel {
  readonly kind: string = 'EnsembleWrapper';
  /** The members (each a wrapper; plain members are wrappers with no component). */
  readonly members: ComposedWrapper[];
  private readonly epistemicMode: 'spread' | 'members';

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
      return;
    }
    const { numMembers = 3, memberWrapper, epistemic = 'spread', seed = 0 } = options;
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
    this.members = models.map((m, i) => (memberWrapper ? memberWrapper(m, i) : new ComposedWrapper(m, { seed: seed + i })));
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
        const fields: Partial<RiskFields> = { yHat: mean };
        const avg = (r: RiskName): tf.Tensor | undefined => {
          const ts = outs.map((o) => o[r]);
          return ts.every((t) => t !== undefined) ? tf.mean(tf.stack(ts as tf.Tensor[]), 0) : undefined;
        };
        const bias = avg('bias');
        const aleatoric = avg('aleatoric');
        const epi = this.epistemicMode === 'members' ? avg('epistemic') : tf.sqrt(variance);
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
    return saveArtifacts({ kind: this.kind, config: { members, epistemic: this.epistemicMode }, parts, arrays }, handlerOrUrl);
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
