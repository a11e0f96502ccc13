import { InvalidArgumentError, ShapeError, createRandom, tf, type Random } from '@dbvae/backend';
import { freshOptimizer, type CompileOptions, type OptimizerSpec } from './compile-options';
import { RiskWrapperError, SerializationError, UnsupportedModelError } from './errors';
import type { FeatureHistogram } from './feature-histogram';
import { ancestorLayers, featureTensor, type FeatureLayer } from './graph';
import { detectOutputHead, type OutputActivation, type OutputHead } from './output-activation';
import { RiskModel, assertFinite, sliceRows, toTensorList, type BatchOptions, type FitOptions, type History, type ModelInput } from './risk-model';
import type { NamedRisk, RiskFields } from './risk-tensor';
import { saveArtifacts, type WrapperArtifacts } from './serialization';
import type { ComposedWrapperOptions, ModelSource, RiskMode } from './risk-options';
import { WRAPPER_KINDS, isRestored, loadRiskWrapper, restoredSource } from './wrapper-registry';
import { outputProbabilities, planTask, taskLossFn, type TaskPlan } from './task-loss';
import { MveHead } from './heads/mve-head';
import { VaeHead, type VaeSupport } from './heads/vae-head';
import { HistogramHead, defaultDensity } from './heads/histogram-head';
import { McDropoutHead, layersApply } from './heads/mc-dropout-head';
import { orderHeads } from './heads/compose-heads';
import { REGISTERED_HEADS, type HeadKind } from './heads/register-heads';
import type { HeadStep, HeadTask, RiskHead } from './heads/risk-head';

export type { ComposedWrapperOptions, DropoutSpec, HistogramSpec, ModelSource, MveSpec, RiskMode, VaeSpec } from './risk-options';
export { RESTORED, WRAPPER_KINDS, loadRiskWrapper, restoreFromArtifacts, restoredSource } from './wrapper-registry';

interface Core {
  apply(xs: tf.Tensor[], training: boolean): tf.Tensor[];
  model?: tf.LayersModel;
  nOutputs: number;
  /** Index of the features among the outputs of `apply`. */
  featIndex: number;
  /** Index of the final layer's input (for recovering logits), if recoverable. */
  logitsIndex?: number;
}


function flatten2d(t: tf.Tensor): tf.Tensor2D {
  return t.reshape([t.shape[0] as number, -1]) as tf.Tensor2D;
}

/**
 * A risk-aware model built around a user's model: any combination of a feature histogram
 * (bias), a VAE (epistemic + latent histogram), an MVE head (aleatoric) and MC dropout
 * (epistemic), on ONE feature extractor: the user's own layers. In the default
 * `'post-hoc'` mode the user's model is frozen and only the risk parts are fitted; in
 * `'joint'` mode the user's layers train with them (see {@link RiskMode}). The named wrappers
 * ({@link HistogramWrapper}, {@link VAEWrapper}, ...) are configurations of this class and
 * {@link wrap} builds it from risk names.
 *
 * Every estimate is reported under its own name in `RiskTensor.named` (`bias.histogram`,
 * `epistemic.vae`, `epistemic.mcDropout`, `aleatoric.mve`, and for classifiers with MC
 * dropout `total.predictiveEntropy`, `aleatoric.expectedEntropy`,
 * `epistemic.mutualInformation`); `bias`, `epistemic`, `aleatoric` pick among them. The
 * histogram always sees clean (dropout-off) features.
 *
 * Joint training loss = task loss (the compiled loss, counted once; for MVE the Gaussian NLL
 * or the sampled-logit loss replaces it) + VAE weight x (reconstruction + KL weight x KL).
 * Post-hoc loss = the VAE loss + the MVE loss (with the frozen model's output as the mean) +
 * the task loss of the dropout copy.
 */
export class ComposedWrapper extends RiskModel {
  readonly kind: string = 'ComposedWrapper';
  /** The options the wrapper was built with (decoder models excluded). */
  readonly options: ComposedWrapperOptions;
  /** `'post-hoc'` (model frozen) or `'joint'`. */
  readonly mode: RiskMode;
  /** The histogram of the bias score (undefined without one). */
  get histogram(): FeatureHistogram | undefined {
    return this.histogramHead?.histogram;
  }
  /** The histogram head (bias), if any. */
  protected readonly histogramHead?: HistogramHead;
  /** The activation of the model's first output (`linear`, `sigmoid`, `softmax` or `other`). */
  readonly outputActivation: OutputActivation;
  protected readonly core: Core;
  /** The MC-dropout model: the user's layers with dropout (joint, or post-hoc `own`), or a trained copy (post-hoc `insert`). */
  protected get mcCore(): tf.LayersModel | undefined {
    return this.dropout?.model;
  }
  /** The MC-dropout head (epistemic), if any. */
  protected readonly dropout?: McDropoutHead;
  /** Every head, providers before readers: the loop runs these and knows none of them. */
  protected readonly heads: readonly RiskHead[];
  /** The VAE head (epistemic, and the latent of a latent histogram), if any. */
  protected readonly vae?: VaeHead;
  /** The MVE head (aleatoric), if any. */
  protected readonly mve?: MveHead;
  protected rng: Random;
  protected optimizer?: tf.Optimizer;
  private readonly inputShapes: Array<Array<number | null>>;
  private readonly head: OutputHead;
  private plan?: TaskPlan;
  private firstLoss?: (y: tf.Tensor, output: tf.Tensor, logits?: tf.Tensor) => tf.Scalar;
  /**
   * @param model - The user's model (its layers are used, not copied) or an inference-only model.
   * @param options - Which components to build; see {@link ComposedWrapperOptions}.
   * @throws UnsupportedModelError when a component needs a trainable layers model, or the feature layer is invalid.
   * @throws InvalidArgumentError for out-of-range options.
   */
  constructor(model: ModelSource, options: ComposedWrapperOptions = {}) {
    super();
    const restored = isRestored(model) ? model.artifacts : undefined;
    const given: ComposedWrapperOptions = restored ? (restored.config['options'] as ComposedWrapperOptions) : options;
    // The density is recorded explicitly, so a saved wrapper scores the same if the default
    // changes; wrappers saved before densities existed (no `density`) used histograms.
    const opts: ComposedWrapperOptions = given.histogram ? { ...given, histogram: { ...given.histogram, density: given.histogram.density ?? (restored ? 'histogram' : defaultDensity(given.histogram.source)) } } : given;
    this.options = { ...opts, vae: opts.vae ? { ...opts.vae, decoder: undefined } : undefined };
    this.validate(opts);
    this.mode = opts.mode ?? 'post-hoc';
    this.rng = createRandom(opts.seed ?? 0);
    const seed = (): number => this.rng.int(2147483647);
    if (opts.histogram) this.histogramHead = new HistogramHead(opts.histogram);

    if (restored) {
      const p = restored.parts;
      const coreModel = p['core'] as tf.LayersModel;
      const c = restored.config;
      this.core = { model: coreModel, nOutputs: c['nOutputs'] as number, featIndex: c['featIndex'] as number, logitsIndex: c['logitsIndex'] as number | undefined, apply: (xs, t) => layersApply(coreModel, xs, t) };
      this.head = detectOutputHead(coreModel);
      if (p['vaeHeads'] && p['decoder']) {
        this.vae = new VaeHead(opts.vae ?? {}, p['vaeHeads'], p['decoder']);
        this.vae.support = c['vaeSupport'] as VaeSupport | undefined;
      }
      if (p['mveHead']) this.mve = new MveHead(opts.mve ?? {}, p['mveHead']);
      this.inputShapes = c['inputShapes'] as Array<Array<number | null>>;
      if (opts.dropout) {
        const copy = p['mcCore'];
        this.dropout = new McDropoutHead(opts.dropout, copy ?? McDropoutHead.buildModel(coreModel, coreModel.outputs.slice(0, this.core.nOutputs), opts.dropout, false, seed), copy !== undefined, seed);
      }
      const q = restored.arrays['queue'];
      const meta = c['queue'] as { dim: number; filled: number; next: number } | undefined;
      if (this.histogramHead && q && meta) this.histogramHead.loadState({ meta, data: q.data });
      const task = c['task'] as { loss?: string; fromLogits?: boolean } | undefined;
      if (task?.loss) this.compile({ loss: task.loss as CompileOptions['loss'], fromLogits: task.fromLogits });
    } else if (model instanceof tf.LayersModel) {
      const feat = featureTensor(model, opts.featureLayer);
      const extractor = ancestorLayers(feat).filter((l) => l.getClassName() !== 'InputLayer');
      this.inputShapes = model.inputs.map((t) => t.shape.slice(1) as Array<number | null>);
      this.head = detectOutputHead(model);
      const outputs = [...model.outputs, feat];
      const featIndex = model.outputs.length;
      let logitsIndex: number | undefined;
      if (this.head.logitsInput) {
        logitsIndex = this.head.logitsInput.id === feat.id ? featIndex : outputs.push(this.head.logitsInput) - 1;
      }
      const coreModel = tf.model({ inputs: model.inputs, outputs, name: `${model.name}_core` });
      this.core = { model: coreModel, nOutputs: model.outputs.length, featIndex, logitsIndex, apply: (xs, t) => layersApply(coreModel, xs, t) };
      if (opts.dropout) {
        const copy = this.mode === 'post-hoc' && (opts.dropout.placement ?? 'insert') === 'insert';
        this.dropout = new McDropoutHead(opts.dropout, McDropoutHead.buildModel(model, model.outputs, opts.dropout, copy, seed), copy, seed);
      }
      const featShape = feat.shape.slice(1) as number[];
      const yShape = (model.outputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
      if (opts.mve) this.mve = MveHead.build(opts.mve, featShape, yShape, seed);
      if (opts.vae) this.vae = VaeHead.build(opts.vae, featShape, this.inputShapes[0] as number[], extractor, seed);
    } else {
      if (opts.vae || opts.mve || opts.dropout) {
        throw new UnsupportedModelError('VAE, MVE and MC dropout need a trainable tf.LayersModel; a GraphModel or a function only supports the histogram (bias) fitted with fit(x) or fitHistogram(x).');
      }
      if (opts.histogram?.source === 'latent') throw new InvalidArgumentError("histogram.source 'latent' needs a VAE.");
      if (this.mode === 'joint') throw new UnsupportedModelError("mode 'joint' trains the model; a GraphModel or a function cannot be trained: use mode 'post-hoc'.");
      const fn = model instanceof tf.GraphModel ? (x: tf.Tensor) => {
        const out = model.predict(x);
        if (out instanceof tf.Tensor) return out;
        const first = Array.isArray(out) ? out[0] : Object.values(out)[0];
        if (first === undefined) throw new UnsupportedModelError('The GraphModel returned no output.');
        return first;
      } : model;
      const featureFn = opts.featureFn ?? ((x: tf.Tensor) => x);
      this.inputShapes = [];
      this.head = { activation: 'linear' };
      const node = opts.featureLayer;
      if (node !== undefined && !(model instanceof tf.GraphModel && typeof node === 'string')) {
        throw new UnsupportedModelError('featureLayer on an inference-only model must be the name of a GraphModel node; for a function, pass featureFn.');
      }
      if (model instanceof tf.GraphModel && typeof node === 'string') {
        // One execution gives the output and the named node's value (the graph's features).
        const outputNode = model.outputNodes[0] as string;
        this.core = {
          nOutputs: 1,
          featIndex: 1,
          apply: (xs) => {
            try {
              return model.execute(xs[0] as tf.Tensor, [outputNode, node]) as tf.Tensor[];
            } catch (e) {
              throw new UnsupportedModelError(`GraphModel: could not read node '${node}' (${(e as Error).message}); name an op of the graph.`, { cause: e });
            }
          },
        };
      } else {
        this.core = {
          nOutputs: 1,
          featIndex: 1,
          apply: (xs) => {
            const x = xs[0] as tf.Tensor;
            return [fn(x), featureFn(x)];
          },
        };
      }
    }
    this.outputActivation = this.head.activation;
    // Fails construction (HeadCompositionError) when two heads write one field or a read has no provider.
    const byKind: Record<HeadKind, RiskHead | undefined> = { mcDropout: this.dropout, mve: this.mve, vae: this.vae, histogram: this.histogramHead };
    this.heads = orderHeads(REGISTERED_HEADS.map((r) => byKind[r.kind]).filter((h): h is RiskHead => h !== undefined));
  }

  private validate(o: ComposedWrapperOptions): void {
    const check = (ok: boolean, msg: string): void => {
      if (!ok) throw new InvalidArgumentError(msg);
    };
    check(o.mode === undefined || o.mode === 'post-hoc' || o.mode === 'joint', `mode must be 'post-hoc' or 'joint', got ${String(o.mode)}.`);
    if (o.vae) {
      const { latentDim = 16, klWeight = 1, weight = 0.01 } = o.vae;
      check(Number.isInteger(latentDim) && latentDim > 0, `vae.latentDim must be a positive integer, got ${latentDim}.`);
      check(klWeight >= 0 && Number.isFinite(klWeight), `vae.klWeight must be finite and >= 0, got ${klWeight}.`);
      check(weight >= 0 && Number.isFinite(weight), `vae.weight must be finite and >= 0, got ${weight}.`);
    }
    if (o.mve) {
      const { samples = 10 } = o.mve;
      check(Number.isInteger(samples) && samples > 0, `mve.samples must be a positive integer, got ${samples}.`);
    }
    if (o.dropout) {
      const { rate = 0.1, passes = 20, placement = 'insert' } = o.dropout;
      const old = (o.dropout as { mode?: unknown }).mode;
      check(old === undefined, `dropout.mode was renamed placement ('insert' or 'own'); got mode ${String(old)}.`);
      check(rate >= 0 && rate < 1, `dropout.rate must be in [0, 1), got ${rate}.`);
      check(Number.isInteger(passes) && passes >= 2, `dropout.passes must be an integer >= 2, got ${passes}.`);
      check(placement === 'insert' || placement === 'own', `dropout.placement must be 'insert' or 'own', got ${String(placement)}.`);
    }
    if (o.histogram) {
      const { source = 'features', score = 'logProb' } = o.histogram;
      check(['features', 'input', 'latent'].includes(source), `histogram.source must be features, input or latent, got ${source}.`);
      check(source !== 'latent' || o.vae !== undefined, "histogram.source 'latent' needs the vae component.");
      check(score === 'logProb', `histogram.score: bias is always a log-probability now (higher = better represented; 'prob' underflowed to 0 on wide features), got ${String(score)}. Drop the option; exponentiate differences of bias if you need ratios.`);
    }
    const e = o.combine?.epistemic;
    if (e !== undefined) check(typeof e === 'string' && e.startsWith('epistemic.'), `combine.epistemic must name an epistemic estimate such as 'epistemic.vae' or 'epistemic.mcDropout', got ${String(e)}.`);
  }

  /**
   * The layer models the wrapper uses, for inspection: `core` (inputs -> the model's outputs
   * and the features, sharing the user's layers), `mcCore` (the dropout model), and the
   * optional `vaeHeads` (features -> [mean, logVariance]), `decoder` (latent -> input) and
   * `mveHead` (features -> logVariance). Undefined entries are absent components.
   */
  get components(): {
    /** The user's model rebuilt to output its predictions and the features (sharing its layers). */
    core?: tf.LayersModel;
    /** The model with MC dropout inserted (a trained copy in post-hoc mode), with `dropout`. */
    mcCore?: tf.LayersModel;
    /** Features to `[mean, logVariance]` of the latent, with `vae`. */
    vaeHeads?: tf.LayersModel;
    /** Latent to input, with `vae`. */
    decoder?: tf.LayersModel;
    /** Features to the log-variance of each output, with `mve`. */
    mveHead?: tf.LayersModel;
  } {
    return { core: this.core.model, mcCore: this.mcCore, vaeHeads: this.vae?.encoder, decoder: this.vae?.decoder, mveHead: this.mve?.model };
  }

  /** Whether this wrapper can be trained (false for GraphModels and functions). */
  get trainable(): boolean {
    return this.core.model !== undefined;
  }

  /**
   * Whether a risk comes from a trained copy of the model (post-hoc MC dropout inserted into
   * the model): the prediction is still the frozen model's own.
   */
  get retrainsCopies(): boolean {
    return this.dropout?.isCopy ?? false;
  }

  /** The task as compiled (loss family and logits/probabilities), or undefined before `compile`. */
  get task(): TaskPlan | undefined {
    return this.plan;
  }

  /**
   * Sets the optimizer and the task loss, following tfjs/Keras conventions: for a model that
   * ends in sigmoid/softmax, `'binaryCrossentropy'`/`'categoricalCrossentropy'` take its
   * probabilities (computed stably from the recovered logits); for a model ending in a linear
   * layer they take logits unless `fromLogits: false`.
   * @throws InvalidArgumentError / UnsupportedModelError when the loss and the output activation contradict each other.
   */
  override compile(options: CompileOptions = {}): void {
    const loss = options.loss ?? 'meanSquaredError';
    const plan = planTask(loss, options.fromLogits, this.head.activation, this.head.toLogits !== undefined);
    super.compile(options);
    this.plan = plan;
    this.firstLoss = taskLossFn(plan, loss);
    this.compiledForClassification = plan.kind === 'binary' || plan.kind === 'categorical' || plan.kind === 'sparse';
  }

  protected setOptimizer(spec: OptimizerSpec): void {
    this.optimizer?.dispose();
    this.optimizer = freshOptimizer(spec);
  }

  /** The optimizer instance made by `compile` (always this wrapper's own copy), or undefined before. */
  get optimizerInstance(): tf.Optimizer | undefined {
    return this.optimizer;
  }

  /**
   * Restarts the wrapper's random stream (VAE noise, dropout masks, histogram subsampling) at
   * `seed`: two `predict` calls after the same `reseed` give the same MC-dropout numbers, so a
   * retried job scores a chunk exactly as the first try did.
   */
  reseed(seed: number): void {
    this.rng = createRandom(seed);
  }

  /**
   * Class probabilities of a `yHat` produced by this wrapper (a new tensor), or undefined for
   * a regression task: the output itself for a sigmoid/softmax model, else sigmoid/softmax of
   * the logits (by the compiled loss).
   */
  probabilities(yHat: tf.Tensor): tf.Tensor | undefined {
    return tf.tidy(() => outputProbabilities(this.plan, this.head.activation, yHat));
  }

  private setDropout(active: boolean): void {
    this.dropout?.setActive(active);
  }

  private variables(): tf.Variable[] {
    const seen = new Map<number, tf.Variable>();
    const joint = this.mode === 'joint';
    const models: Array<tf.LayersModel | undefined> = this.heads.flatMap((h) => h.trainableModels?.(joint) ?? []);
    if (joint) models.push(this.core.model);
    for (const m of models) {
      for (const w of m?.trainableWeights ?? []) {
        const v = w.read() as tf.Variable;
        seen.set(v.id, v);
      }
    }
    return [...seen.values()];
  }

  /** The loss of the first output and the plain loss of the others, for one set of outputs. */
  private outputsLoss(ys: tf.Tensor[], outs: tf.Tensor[], logits: tf.Tensor | undefined, skipFirst: boolean): tf.Scalar {
    const lossFn = this.requireLoss();
    let task: tf.Scalar = tf.scalar(0);
    if (!skipFirst) task = tf.add(task, (this.firstLoss ?? ((y: tf.Tensor, o: tf.Tensor) => lossFn(y, o)))(ys[0] as tf.Tensor, outs[0] as tf.Tensor, logits));
    for (let i = 1; i < this.core.nOutputs; i++) task = tf.add(task, lossFn(ys[i] as tf.Tensor, outs[i] as tf.Tensor));
    return task;
  }

  /** What the heads need of the task (see {@link HeadTask}). */
  private headTask(): HeadTask {
    const kind = this.plan?.kind;
    return {
      classification: this.compiledForClassification,
      kind,
      probabilities: this.plan?.space === 'probabilities' || this.head.activation === 'sigmoid' || this.head.activation === 'softmax',
      probabilitiesOf: (output) => this.probabilities(output),
      exclusiveClasses: (output) => this.head.activation === 'softmax' || (kind !== 'binary' && output.shape[output.rank - 1] !== 1),
    };
  }

  /** Loss and the vectors the histogram should see (kept), for one batch. */
  private lossTensors(xs: tf.Tensor[], ys: tf.Tensor[], training: boolean): { loss: tf.Scalar; mask?: tf.Tensor } {
    this.requireLoss();
    const o = this.options;
    const joint = this.mode === 'joint';
    const nOut = this.core.nOutputs;
    if (ys.length !== nOut) throw new ShapeError(`${this.kind}: the model has ${nOut} output(s) but ${ys.length} target tensor(s) were given.`);
    // The clean pass: dropout off; in post-hoc mode the frozen model runs in inference mode.
    this.setDropout(false);
    const outs = this.core.apply(xs, training && joint);
    const yOuts = outs.slice(0, nOut);
    const feat = outs[this.core.featIndex] as tf.Tensor;
    const logits = this.core.logitsIndex !== undefined && this.head.toLogits ? this.head.toLogits(outs[this.core.logitsIndex] as tf.Tensor) : undefined;
    const y0 = ys[0] as tf.Tensor;
    const mean0 = yOuts[0] as tf.Tensor;
    if (!tf.util.arraysEqual(y0.shape, mean0.shape) && this.plan?.kind !== 'sparse') throw new ShapeError(`${this.kind}: targets of shape [${y0.shape}] do not match the output shape [${mean0.shape}].`);
    let loss: tf.Scalar = tf.scalar(0);
    let mcOuts: tf.Tensor[] | undefined;
    if (this.dropout && (joint || this.dropout.isCopy)) mcOuts = this.dropout.trainingOutputs(xs, training);
    let mask: tf.Tensor | undefined;
    if (o.vae?.onlyClass !== undefined) {
      mask = tf.cast(tf.equal(tf.round(flatten2d(y0).slice([0, 0], [-1, 1]).reshape([-1])), o.vae.onlyClass), 'float32');
    }
    if (joint) {
      const taskOuts = mcOuts ?? yOuts;
      // With dropout the stochastic model's logits are not recoverable through the clean layer: use its outputs.
      loss = tf.add(loss, this.outputsLoss(ys, taskOuts, mcOuts ? undefined : logits, this.heads.some((h) => h.replacesTaskLoss)));
    } else if (mcOuts) {
      loss = tf.add(loss, this.outputsLoss(ys, mcOuts, undefined, false));
    }
    // Heads run in order (providers first); each adds its own loss. Taps are provided only where a loss reads them.
    const step: HeadStep = { xs, ys, taps: { input: xs[0] as tf.Tensor, features: feat }, output: mean0, logits, stochasticOutput: mcOuts?.[0], training, joint, mask, seed: () => this.rng.int(2147483647), task: this.headTask() };
    const lossReads = new Set(this.heads.filter((h) => h.loss).flatMap((h) => h.reads));
    for (const h of this.heads) {
      if (h.provide && h.provides?.some((t) => lossReads.has(t))) Object.assign(step.taps, h.provide(step));
      if (h.loss) loss = tf.add(loss, h.loss(step));
    }
    return { loss, mask };
  }

  private requireTrainable(): void {
    if (!this.trainable) throw new UnsupportedModelError(`${this.kind}: this model is inference-only (a GraphModel or a function) and cannot be trained; use fit(x) or fitHistogram(x) for the bias.`);
  }

  trainOnBatch(x: ModelInput, y: ModelInput): number {
    this.requireTrainable();
    this.requireLoss();
    const xs = toTensorList(x, `${this.kind}.trainOnBatch x`);
    const ys = toTensorList(y, `${this.kind}.trainOnBatch y`);
    if (xs[0]?.shape[0] !== ys[0]?.shape[0]) throw new ShapeError(`${this.kind}: x has ${xs[0]?.shape[0]} samples but y has ${ys[0]?.shape[0]}.`);
    this.checkInputs(xs, `${this.kind}.trainOnBatch`);
    assertFinite([...xs, ...ys], `${this.kind}.trainOnBatch`);
    const vars = this.variables();
    if (vars.length === 0) {
      // Nothing to optimise (a post-hoc histogram): only observe the clean features.
      if (this.histogram) this.observeHistogram(xs, ys);
      return tf.tidy(() => this.lossTensors(xs, ys, false).loss.dataSync()[0] as number);
    }
    const optimizer = this.optimizer as tf.Optimizer;
    let lossT: tf.Scalar | null = null;
    try {
      lossT = optimizer.minimize(() => this.lossTensors(xs, ys, true).loss, true, vars);
      const value = (lossT as tf.Scalar).dataSync()[0] as number;
      if (!Number.isFinite(value)) throw new RiskWrapperError(`${this.kind}: the training loss became ${value}; lower the learning rate or check the data scale.`, 'E_DIVERGED');
      // The histogram sees clean (dropout-off, inference-mode) features of the updated model.
      if (this.histogram) this.observeHistogram(xs, ys);
      return value;
    } finally {
      this.setDropout(false);
      if (lossT) lossT.dispose();
    }
  }

  private onlyClassMask(ys: tf.Tensor[]): tf.Tensor | undefined {
    const c = this.options.vae?.onlyClass;
    if (c === undefined) return undefined;
    return tf.tidy(() => tf.cast(tf.equal(tf.round(flatten2d(ys[0] as tf.Tensor).slice([0, 0], [-1, 1]).reshape([-1])), c), 'float32'));
  }

  private observeHistogram(xs: tf.Tensor[], ys?: tf.Tensor[]): void {
    const rec = tf.tidy(() => this.histogramSource(xs));
    const mask = ys ? this.onlyClassMask(ys) : undefined;
    try {
      this.histogramHead?.observe(rec, mask);
    } finally {
      tf.dispose([rec, mask].filter((t): t is tf.Tensor => t !== undefined));
    }
  }

  protected lossOnBatch(xs: tf.Tensor[], ys: tf.Tensor[]): number {
    this.requireTrainable();
    try {
      const loss = tf.tidy(() => this.lossTensors(xs, ys, false).loss);
      const value = loss.dataSync()[0] as number;
      loss.dispose();
      return value;
    } finally {
      this.setDropout(false);
    }
  }

  /**
   * Fits the wrapper. Post-hoc (the default): fits only the risk parts on `x, y` (the model
   * stays frozen; `compile` is optional: without it, Adam and a loss inferred from the output
   * activation are used), then refills the histogram from the clean features of `x` with the
   * final weights. Joint: trains the model with its risk parts (Capsa's way), then refills the
   * histogram likewise. With `vae.onlyClass`, only that class fills the histogram.
   */
  override async fit(x: ModelInput, y: ModelInput, options: FitOptions = {}): Promise<History> {
    if (this.taskLoss === undefined && this.mode === 'post-hoc') {
      const a = this.head.activation;
      this.compile({ optimizer: 'adam', loss: a === 'sigmoid' ? 'binaryCrossentropy' : a === 'softmax' ? 'categoricalCrossentropy' : 'meanSquaredError' });
    }
    let history: History = { epoch: [], loss: [] };
    if (this.variables().length > 0) {
      history = await super.fit(x, y, options);
    } else {
      const xs = toTensorList(x, `${this.kind}.fit x`);
      const ys = toTensorList(y, `${this.kind}.fit y`);
      if (ys[0]?.shape[0] !== xs[0]?.shape[0]) throw new ShapeError(`${this.kind}.fit: x has ${xs[0]?.shape[0]} samples but y has ${ys[0]?.shape[0]}.`);
      this.checkInputs(xs, `${this.kind}.fit`);
      assertFinite([...xs, ...ys], `${this.kind}.fit`);
    }
    this.refillAfterFit(toTensorList(x, `${this.kind}.fit x`), toTensorList(y, `${this.kind}.fit y`), options.batchSize ?? 256);
    return history;
  }

  /** @internal After `fit`: refills the histogram (if any) from x with the final weights (used by ensembles too). */
  refillAfterFit(xs: tf.Tensor[], ys: tf.Tensor[], batchSize: number): void {
    if (this.histogram) this.refillHistogram(xs, ys, batchSize);
  }

  /** Empties the histogram and fills it from (a seeded sample of at most `queueSize` of) x, clean features, class-filtered. */
  private refillHistogram(xs: tf.Tensor[], ys: tf.Tensor[] | undefined, batchSize: number): void {
    const hist = this.histogram as FeatureHistogram;
    hist.clear();
    const n = xs[0]?.shape[0] as number;
    let keep: tf.Tensor | undefined;
    let idx: number[] | undefined;
    if (ys && this.options.vae?.onlyClass !== undefined) {
      const m = this.onlyClassMask(ys) as tf.Tensor;
      const mv = m.dataSync();
      m.dispose();
      idx = [];
      for (let i = 0; i < n; i++) if (mv[i] === 1) idx.push(i);
    }
    idx ??= Array.from({ length: n }, (_, i) => i);
    if (idx.length > hist.queueSize) {
      // A seeded uniform subset, in data order: the queue then represents all of x, not its tail.
      const rng = createRandom((this.options.seed ?? 0) + 7919);
      for (let i = 0; i < hist.queueSize; i++) {
        const j = i + rng.int(idx.length - i);
        [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
      }
      idx = idx.slice(0, hist.queueSize).sort((a, b) => a - b);
    }
    if (idx.length === 0) return;
    keep = tf.tensor1d(idx, 'int32');
    const errors: number[] = [];
    try {
      for (let start = 0; start < idx.length; start += batchSize) {
        const part = keep.slice(start, Math.min(batchSize, idx.length - start));
        const bx = xs.map((t) => tf.gather(t, part));
        part.dispose();
        try {
          this.observeHistogram(bx);
          this.collectReconstruction(bx, errors);
        } finally {
          tf.dispose(bx);
        }
      }
    } finally {
      keep.dispose();
    }
    this.calibrateSupport(errors);
  }

  /** Per-sample summed squared reconstruction error of the mean decoding (latent histograms only). */
  private reconstructionErrors(xs: tf.Tensor[]): tf.Tensor1D | undefined {
    const vae = this.vae;
    if (this.options.histogram?.source !== 'latent' || !vae) return undefined;
    return tf.tidy(() => vae.reconstructionErrors(this.core.apply(xs, false)[this.core.featIndex] as tf.Tensor, xs[0] as tf.Tensor));
  }

  private collectReconstruction(xs: tf.Tensor[], into: number[]): void {
    const e = this.reconstructionErrors(xs);
    if (!e) return;
    into.push(...Array.from(e.dataSync()));
    e.dispose();
  }

  /** Sets the VAE support from the fit data's reconstruction errors (see {@link ComposedWrapper.predict}'s `bias.vaeSupport`). */
  private calibrateSupport(errors: number[]): void {
    this.vae?.calibrateSupport(errors, (this.inputShapes[0] as number[]).reduce((a, b) => a * b, 1));
  }

  /**
   * Fills the histogram from a dataset without training: the way to get bias scores for an
   * inference-only model, or to refit the bins on a reference set. Existing queue entries are
   * kept unless `reset` is true.
   * @throws InvalidArgumentError when the wrapper has no histogram.
   */
  fitHistogram(x: ModelInput, options: BatchOptions & { reset?: boolean } = {}): void {
    const hist = this.histogram;
    if (!hist) throw new InvalidArgumentError(`${this.kind} has no histogram.`);
    if (options.reset) hist.clear();
    const { batchSize = 256 } = options;
    const xs = toTensorList(x, `${this.kind}.fitHistogram x`);
    this.checkInputs(xs, `${this.kind}.fitHistogram`);
    assertFinite(xs, `${this.kind}.fitHistogram`);
    const n = xs[0]?.shape[0] as number;
    const errors: number[] = [];
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const bx = xs.map((t) => sliceRows(t, start, size));
      try {
        this.observeHistogram(bx);
        this.collectReconstruction(bx, errors);
      } finally {
        tf.dispose(bx);
      }
    }
    this.calibrateSupport(errors);
  }

  /** The clean (dropout-off, inference-mode) vectors the histogram head reads, from the core or the head that provides them. */
  private histogramSource(xs: tf.Tensor[]): tf.Tensor {
    this.setDropout(false);
    const source = (this.histogramHead as HistogramHead).source;
    if (source === 'input') return flatten2d(xs[0] as tf.Tensor);
    const step: HeadStep = { xs, taps: { input: xs[0] as tf.Tensor, features: this.core.apply(xs, false)[this.core.featIndex] as tf.Tensor }, output: xs[0] as tf.Tensor, training: false, joint: this.mode === 'joint', seed: () => this.rng.int(2147483647), task: this.headTask() };
    for (const h of this.heads) if (step.taps[source] === undefined && h.provide && h.provides?.includes(source)) Object.assign(step.taps, h.provide(step));
    return flatten2d(step.taps[source] as tf.Tensor);
  }


  protected override checkInputs(xs: tf.Tensor[], what: string): void {
    if (this.inputShapes.length === 0) return;
    if (xs.length !== this.inputShapes.length) throw new ShapeError(`${what}: the model has ${this.inputShapes.length} input(s) but ${xs.length} tensor(s) were given.`);
    xs.forEach((t, i) => {
      const want = this.inputShapes[i] as Array<number | null>;
      const got = t.shape.slice(1);
      if (got.length !== want.length || want.some((d, j) => d !== null && d !== got[j])) {
        throw new ShapeError(`${what}: input ${i} has shape [${t.shape}] but the model takes [batch, ${want.map((d) => d ?? '?').join(', ')}] (rank ${want.length + 1}).`);
      }
    });
  }

  protected predictBatch(xs: tf.Tensor[]): RiskFields {
    const o = this.options;
    return tf.tidy(() => {
      this.setDropout(false);
      const outs = this.core.apply(xs, false);
      let yHat = outs[0] as tf.Tensor;
      const named: Partial<Record<NamedRisk, tf.Tensor>> = {};
      // Heads run in order (providers first) on the clean, dropout-off pass; each writes its own fields.
      const step: HeadStep = { xs, taps: { input: xs[0] as tf.Tensor, features: outs[this.core.featIndex] as tf.Tensor }, output: yHat, training: false, joint: this.mode === 'joint', seed: () => this.rng.int(2147483647), task: this.headTask() };
      for (const h of this.heads) {
        if (h.provide) Object.assign(step.taps, h.provide(step));
        const p = h.predict?.(step);
        if (!p) continue;
        Object.assign(named, p.fields);
        // Joint mode keeps Capsa's convention (the prediction is the MC mean); post-hoc keeps the model's own output.
        if (p.passMean && this.mode === 'joint') yHat = p.passMean;
      }
      const fields: RiskFields = { yHat, named, outputs: this.head.activation === 'sigmoid' || this.head.activation === 'softmax' || this.plan?.space === 'probabilities' ? 'probabilities' : 'logits' };
      const biasField = named['bias.vaeSupport'] ?? named['bias.histogram'];
      if (biasField) fields.bias = biasField;
      if (named['aleatoric.mve']) fields.aleatoric = named['aleatoric.mve'];
      // Default: the VAE's error; else, for classifiers, MC dropout's mutual information (the
      // std of the logits flags confident predictions, whose logits are large: error-detection
      // AUROC 0.34 against 0.78 for the mutual information in bench/risk-quality.ts); else its std.
      const choice = o.combine?.epistemic ?? (named['epistemic.vae'] ? 'epistemic.vae' : named['epistemic.mutualInformation'] ? 'epistemic.mutualInformation' : 'epistemic.mcDropout');
      if (named[choice]) fields.epistemic = named[choice];
      else if (o.combine?.epistemic) throw new InvalidArgumentError(`combine.epistemic: this wrapper computes no '${choice}' (it has ${Object.keys(named).join(', ') || 'no estimates'}).`);
      return fields as unknown as tf.TensorContainer;
    }) as unknown as RiskFields;
  }

  /** @internal Artifacts for saving (also used by ensembles). */
  toArtifacts(): WrapperArtifacts {
    const coreModel = this.core.model;
    if (!coreModel) throw new UnsupportedModelError(`${this.kind}: wrappers of inference-only models cannot be saved; save the model itself.`);
    const parts: Record<string, tf.LayersModel> = { core: coreModel };
    for (const h of this.heads) Object.assign(parts, h.parts?.());
    const config: Record<string, unknown> = {
      options: { ...this.options, mode: this.mode },
      nOutputs: this.core.nOutputs,
      featIndex: this.core.featIndex,
      logitsIndex: this.core.logitsIndex,
      inputShapes: this.inputShapes,
    };
    if (this.plan?.lossName) config['task'] = { loss: this.plan.lossName, fromLogits: this.plan.fromLogits };
    if (this.vae?.support) config['vaeSupport'] = this.vae.support;
    const arrays: WrapperArtifacts['arrays'] = {};
    const queue = this.histogramHead?.saveState();
    if (queue) {
      config['queue'] = queue.meta;
      arrays['queue'] = { data: queue.data, shape: [queue.data.length] };
    }
    return { kind: this.kind, config, parts, arrays };
  }

  async save(handlerOrUrl: string | tf.io.IOHandler): Promise<tf.io.SaveResult> {
    return saveArtifacts(this.toArtifacts(), handlerOrUrl);
  }

  /**
   * Loads a wrapper saved by `save` (the class it was saved as, or this class).
   * The loaded wrapper owns copies of the layers and keeps the compiled loss (not the optimizer).
   * @throws SerializationError for artifacts of another kind.
   */
  static async load(handlerOrUrl: string | tf.io.IOHandler): Promise<ComposedWrapper> {
    const w = await loadRiskWrapper(handlerOrUrl);
    if (!(w instanceof this)) throw new SerializationError(`The saved wrapper is a ${w.kind}, not a ${this.name}; use loadRiskWrapper() or ${w.kind}.load().`);
    return w;
  }

  dispose(): void {
    for (const h of this.heads) h.dispose();
    this.optimizer?.dispose();
  }
}

WRAPPER_KINDS.set('ComposedWrapper', (a) => new ComposedWrapper(restoredSource(a)));
