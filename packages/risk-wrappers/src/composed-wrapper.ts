import { InvalidArgumentError, ShapeError, createRandom, tf, type Random } from '@dbvae/backend';
import { freshOptimizer, type OptimizerSpec } from './compile-options';
import { buildMirrorDecoder } from './decoder';
import { RiskWrapperError, SerializationError, UnsupportedModelError } from './errors';
import { FeatureHistogram } from './feature-histogram';
import { ancestorLayers, featureTensor, rebuildGraph, type FeatureLayer } from './graph';
import { McDropout } from './mc-dropout';
import { RiskModel, sliceRows, toTensorList, type BatchOptions, type ModelInput } from './risk-model';
import type { RiskFields } from './risk-tensor';
import { loadArtifacts, saveArtifacts, type WrapperArtifacts } from './serialization';

/** A model a wrapper can take: a tfjs layers model (trainable), or an inference-only `GraphModel` or function. */
export type ModelSource = tf.LayersModel | tf.GraphModel | ((x: tf.Tensor) => tf.Tensor);

/** Histogram (representation bias) settings. */
export interface HistogramSpec {
  /** Vectors kept in the queue. Default 2000. */
  queueSize?: number;
  /** Bins per dimension. Default 5. */
  numBins?: number;
  /** Added to each bin probability. Default 1e-8. */
  epsilon?: number;
  /** What the histogram sees: hidden `features` (default), raw `input`, or the VAE's `latent` means. */
  source?: 'features' | 'input' | 'latent';
  /** Report `prob` (joint probability, Capsa's; underflows to 0 in many dimensions) or `logProb`. Default `prob`. */
  score?: 'prob' | 'logProb';
}

/** VAE (epistemic) settings. */
export interface VaeSpec {
  /** Latent dimension. Default 16. */
  latentDim?: number;
  /** A decoder model `[latentDim] -> input shape`, or `'auto'` for convolutional extractors. Default: mirrored dense decoder. */
  decoder?: tf.LayersModel | 'auto';
  /** Weight of the KL term. Default 1 (the ELBO). */
  klWeight?: number;
  /** Weight of the whole VAE loss relative to the task loss. Default 1. */
  weight?: number;
  /** Apply the VAE loss (and fill the histogram) only for samples whose first target equals this class (the DB-VAE's faces-only mask). */
  onlyClass?: number;
}

/** MVE (aleatoric) settings. */
export interface MveSpec {
  /**
   * Classification (sampled-logit cross-entropy with the compiled loss) instead of regression
   * (Gaussian NLL). Default: inferred from the compiled loss (a cross-entropy means classification).
   */
  classification?: boolean;
  /** Logit samples per step for classification. Default 10. */
  samples?: number;
}

/** MC dropout (epistemic) settings. */
export interface DropoutSpec {
  /** Drop probability. Default 0.1 (Capsa's). */
  rate?: number;
  /** Stochastic passes at prediction. Default 20 (Capsa's). */
  passes?: number;
  /** `insert` (default): add dropout after every dense layer and spatial dropout after every convolution, except after inputs and outputs. `own`: make the model's own Dropout layers stochastic at prediction. */
  mode?: 'insert' | 'own';
}

/** Options of {@link ComposedWrapper}: any combination of the components. */
export interface ComposedWrapperOptions {
  /** Where features are read: a layer name or index (negative from the end). Default: the input of the last layer. */
  featureLayer?: FeatureLayer;
  /** For inference-only models: the features of a batch. Default: the (flattened) input. */
  featureFn?: (x: tf.Tensor) => tf.Tensor;
  /** Representation bias from a histogram of the features (`true` for the defaults). */
  histogram?: HistogramSpec;
  /** Epistemic risk and bias from a VAE on the features (reconstruction error, latent histogram). */
  vae?: VaeSpec;
  /** Aleatoric risk from a mean-variance head (the predicted variance of each output). */
  mve?: MveSpec;
  /** Epistemic risk from MC dropout (the spread of several stochastic forward passes). */
  dropout?: DropoutSpec;
  /** Seed of head initialisers, VAE noise and dropout masks. Default 0. */
  seed?: number;
}

interface Core {
  apply(xs: tf.Tensor[], training: boolean): tf.Tensor[];
  model?: tf.LayersModel;
  nOutputs: number;
}

/** @internal Marks restored parts passed to a constructor by `load`. */
export const RESTORED = Symbol('restored');
interface Restored {
  [RESTORED]: true;
  artifacts: WrapperArtifacts;
}

/** @internal Rebuilders by kind, filled by each wrapper module. */
export const WRAPPER_KINDS = new Map<string, (a: WrapperArtifacts) => RiskModel>();

/** @internal The marker a constructor recognises as "restore from these artifacts". */
export function restoredSource(artifacts: WrapperArtifacts): ModelSource {
  return { [RESTORED]: true, artifacts } as unknown as ModelSource;
}

/**
 * Loads any wrapper saved with `save`, whatever its class (ensembles included).
 * @throws SerializationError for artifacts not written by this package.
 */
export async function loadRiskWrapper(handlerOrUrl: string | tf.io.IOHandler): Promise<RiskModel> {
  return restoreFromArtifacts(await loadArtifacts(handlerOrUrl));
}

/** @internal */
export function restoreFromArtifacts(a: WrapperArtifacts): RiskModel {
  const make = WRAPPER_KINDS.get(a.kind);
  if (!make) throw new SerializationError(`Unknown wrapper kind '${a.kind}'.`);
  return make(a);
}

function isRestored(x: unknown): x is Restored {
  return typeof x === 'object' && x !== null && RESTORED in x;
}

function flatten2d(t: tf.Tensor): tf.Tensor2D {
  return t.reshape([t.shape[0] as number, -1]) as tf.Tensor2D;
}

function mcLayers(model: tf.LayersModel): McDropout[] {
  return model.layers.filter((l): l is McDropout => l instanceof McDropout);
}

/**
 * A risk-aware model built around a user's model: any combination of a feature histogram
 * (bias), a VAE (epistemic + latent histogram), an MVE head (aleatoric) and MC dropout
 * (epistemic), on ONE shared feature extractor: the user's own layers, shared (their weights
 * are the user's and keep training the user's model). The named wrappers
 * ({@link HistogramWrapper}, {@link VAEWrapper}, ...) are configurations of this class and
 * {@link wrap} builds it from risk names.
 *
 * Training loss = task loss (the compiled loss, counted once; for MVE the Gaussian NLL or the
 * sampled-logit loss replaces it) + VAE weight x (reconstruction + KL weight x KL).
 */
export class ComposedWrapper extends RiskModel {
  readonly kind: string = 'ComposedWrapper';
  /** The options the wrapper was built with (decoder models excluded). */
  readonly options: ComposedWrapperOptions;
  /** The histogram of the bias score (undefined without one). */
  readonly histogram?: FeatureHistogram;
  protected readonly core: Core;
  protected readonly vaeHeads?: tf.LayersModel;
  protected readonly decoder?: tf.LayersModel;
  protected readonly mveHead?: tf.LayersModel;
  protected readonly dropoutLayers: McDropout[] = [];
  protected readonly rng: Random;
  protected optimizer?: tf.Optimizer;
  private readonly inputShape: number[];
  private ownsDecoder = true;

  /**
   * @param model - The user's model (shared, not copied) or an inference-only model.
   * @param options - Which components to build; see {@link ComposedWrapperOptions}.
   * @throws UnsupportedModelError when a component needs a trainable layers model, or the feature layer is invalid.
   * @throws InvalidArgumentError for out-of-range options.
   */
  constructor(model: ModelSource, options: ComposedWrapperOptions = {}) {
    super();
    const restored = isRestored(model) ? model.artifacts : undefined;
    const opts: ComposedWrapperOptions = restored ? (restored.config['options'] as ComposedWrapperOptions) : options;
    this.options = { ...opts, vae: opts.vae ? { ...opts.vae, decoder: undefined } : undefined };
    this.validate(opts);
    this.rng = createRandom(opts.seed ?? 0);
    const seed = (): number => this.rng.int(2147483647);
    if (opts.histogram) this.histogram = new FeatureHistogram(opts.histogram);

    if (restored) {
      const p = restored.parts;
      const coreModel = p['core'] as tf.LayersModel;
      this.core = this.layersCore(coreModel, restored.config['nOutputs'] as number);
      this.vaeHeads = p['vaeHeads'];
      this.decoder = p['decoder'];
      this.mveHead = p['mveHead'];
      this.inputShape = restored.config['inputShape'] as number[];
      this.dropoutLayers = mcLayers(coreModel);
      const q = restored.arrays['queue'];
      const meta = restored.config['queue'] as { dim: number; filled: number; next: number } | undefined;
      if (this.histogram && q && meta) this.histogram.importState({ ...meta, data: q.data });
    } else if (model instanceof tf.LayersModel) {
      const feat = featureTensor(model, opts.featureLayer);
      const extractor = ancestorLayers(feat).filter((l) => l.getClassName() !== 'InputLayer');
      this.inputShape = (model.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
      let coreModel: tf.LayersModel;
      if (opts.dropout) {
        coreModel = this.buildDropoutCore(model, feat, opts.dropout, seed);
      } else {
        coreModel = tf.model({ inputs: model.inputs, outputs: [...model.outputs, feat], name: `${model.name}_core` });
      }
      this.core = this.layersCore(coreModel, model.outputs.length);
      this.dropoutLayers = mcLayers(coreModel);
      const featShape = feat.shape.slice(1) as number[];
      const yShape = (model.outputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
      if (opts.mve) this.mveHead = this.buildMveHead(featShape, yShape, seed);
      if (opts.vae) {
        const latent = opts.vae.latentDim ?? 16;
        this.vaeHeads = this.buildVaeHeads(featShape, latent, seed);
        const dec = opts.vae.decoder;
        if (dec instanceof tf.LayersModel) {
          const inShape = (dec.inputs[0] as tf.SymbolicTensor).shape;
          const outShape = (dec.outputs[0] as tf.SymbolicTensor).shape.slice(1);
          if (inShape.length !== 2 || inShape[1] !== latent) throw new ShapeError(`The decoder must take [batch, ${latent}] latents, but takes [${inShape}].`);
          if (!tf.util.arraysEqual(outShape as number[], this.inputShape)) throw new ShapeError(`The decoder outputs [${outShape}] but the model input is [${this.inputShape}].`);
          this.decoder = dec;
          this.ownsDecoder = false;
        } else {
          this.decoder = buildMirrorDecoder(latent, this.inputShape, extractor, dec === 'auto', seed, `rw_decoder`);
        }
      }
    } else {
      if (opts.vae || opts.mve || opts.dropout) {
        throw new UnsupportedModelError('VAE, MVE and MC dropout need a trainable tf.LayersModel; a GraphModel or a function only supports the histogram (bias) fitted with fitHistogram().');
      }
      if (opts.histogram?.source === 'latent') throw new InvalidArgumentError("histogram.source 'latent' needs a VAE.");
      const fn = model instanceof tf.GraphModel ? (x: tf.Tensor) => {
        const out = model.predict(x);
        if (out instanceof tf.Tensor) return out;
        const first = Array.isArray(out) ? out[0] : Object.values(out)[0];
        if (first === undefined) throw new UnsupportedModelError('The GraphModel returned no output.');
        return first;
      } : model;
      const featureFn = opts.featureFn ?? ((x: tf.Tensor) => x);
      this.inputShape = [];
      this.core = {
        nOutputs: 1,
        apply: (xs) => {
          const x = xs[0] as tf.Tensor;
          return [fn(x), featureFn(x)];
        },
      };
    }
    const seedSource = (): number => this.rng.int(2147483647);
    for (const l of this.dropoutLayers) l.seedSource = seedSource;
  }

  private validate(o: ComposedWrapperOptions): void {
    const check = (ok: boolean, msg: string): void => {
      if (!ok) throw new InvalidArgumentError(msg);
    };
    if (o.vae) {
      const { latentDim = 16, klWeight = 1, weight = 1 } = o.vae;
      check(Number.isInteger(latentDim) && latentDim > 0, `vae.latentDim must be a positive integer, got ${latentDim}.`);
      check(klWeight >= 0 && Number.isFinite(klWeight), `vae.klWeight must be finite and >= 0, got ${klWeight}.`);
      check(weight >= 0 && Number.isFinite(weight), `vae.weight must be finite and >= 0, got ${weight}.`);
    }
    if (o.mve) {
      const { samples = 10 } = o.mve;
      check(Number.isInteger(samples) && samples > 0, `mve.samples must be a positive integer, got ${samples}.`);
    }
    if (o.dropout) {
      const { rate = 0.1, passes = 20, mode = 'insert' } = o.dropout;
      check(rate >= 0 && rate < 1, `dropout.rate must be in [0, 1), got ${rate}.`);
      check(Number.isInteger(passes) && passes >= 2, `dropout.passes must be an integer >= 2, got ${passes}.`);
      check(mode === 'insert' || mode === 'own', `dropout.mode must be 'insert' or 'own', got ${String(mode)}.`);
    }
    if (o.histogram) {
      const { source = 'features', score = 'prob' } = o.histogram;
      check(['features', 'input', 'latent'].includes(source), `histogram.source must be features, input or latent, got ${source}.`);
      check(source !== 'latent' || o.vae !== undefined, "histogram.source 'latent' needs the vae component.");
      check(score === 'prob' || score === 'logProb', `histogram.score must be prob or logProb, got ${score}.`);
    }
  }

  private layersCore(model: tf.LayersModel, nOutputs: number): Core {
    return {
      model,
      nOutputs,
      apply: (xs, training) => {
        const out = model.apply(xs.length === 1 ? (xs[0] as tf.Tensor) : xs, { training });
        return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
      },
    };
  }

  private buildDropoutCore(model: tf.LayersModel, feat: tf.SymbolicTensor, spec: DropoutSpec, seed: () => number): tf.LayersModel {
    const { rate = 0.1, mode = 'insert' } = spec;
    let count = 0;
    const g = rebuildGraph(model, {
      replace: (layer) => {
        if (mode !== 'own' || !/Dropout/.test(layer.getClassName())) return undefined;
        count++;
        const r = (layer.getConfig() as { rate: number }).rate;
        return new McDropout({ rate: r, spatial: /Spatial/.test(layer.getClassName()), name: `${layer.name}_mc` });
      },
      after: (layer, out, isOutput) => {
        const cls = layer.getClassName();
        if (mode !== 'insert' || isOutput || !(cls === 'Dense' || /^Conv/.test(cls))) return out;
        count++;
        return new McDropout({ rate, spatial: /^Conv/.test(cls), name: `${layer.name}_mcdrop${seed() % 100000}` }).apply(out) as tf.SymbolicTensor;
      },
    });
    if (count === 0) {
      throw new UnsupportedModelError(mode === 'own' ? "dropout.mode 'own': the model has no Dropout layers; use mode 'insert'." : 'MC dropout found no dense or convolution layer (other than the output) to add dropout after.');
    }
    return tf.model({ inputs: g.inputs, outputs: [...model.outputs.map(g.map), g.map(feat)], name: `${model.name}_mc_core` });
  }

  private buildMveHead(featShape: number[], yShape: number[], seed: () => number): tf.LayersModel {
    const inp = tf.input({ shape: featShape, name: 'rw_mve_features' });
    let h: tf.SymbolicTensor = featShape.length > 1 ? (tf.layers.flatten().apply(inp) as tf.SymbolicTensor) : inp;
    const units = yShape.reduce((a, b) => a * b, 1);
    h = tf.layers.dense({ units, kernelInitializer: tf.initializers.glorotUniform({ seed: seed() }), name: 'rw_mve_logvar' }).apply(h) as tf.SymbolicTensor;
    if (yShape.length !== 1) h = tf.layers.reshape({ targetShape: yShape }).apply(h) as tf.SymbolicTensor;
    return tf.model({ inputs: inp, outputs: h, name: 'rw_mve_head' });
  }

  private buildVaeHeads(featShape: number[], latent: number, seed: () => number): tf.LayersModel {
    const inp = tf.input({ shape: featShape, name: 'rw_vae_features' });
    const h: tf.SymbolicTensor = featShape.length > 1 ? (tf.layers.flatten().apply(inp) as tf.SymbolicTensor) : inp;
    const mu = tf.layers.dense({ units: latent, kernelInitializer: tf.initializers.glorotUniform({ seed: seed() }), name: 'rw_vae_mean' }).apply(h) as tf.SymbolicTensor;
    const lv = tf.layers.dense({ units: latent, kernelInitializer: tf.initializers.glorotUniform({ seed: seed() }), name: 'rw_vae_logvar' }).apply(h) as tf.SymbolicTensor;
    return tf.model({ inputs: inp, outputs: [mu, lv], name: 'rw_vae_heads' });
  }

  /**
   * The layer models the wrapper trains, for inspection: `core` (inputs -> the model's
   * outputs and the features, sharing the user's layers), and the optional `vaeHeads`
   * (features -> [mean, logVariance]), `decoder` (latent -> input) and `mveHead`
   * (features -> logVariance). Undefined entries are absent components.
   */
  get components(): {
    /** The user's model rebuilt to output its predictions and the features (sharing its layers). */
    core?: tf.LayersModel;
    /** Features to `[mean, logVariance]` of the latent, with `vae`. */
    vaeHeads?: tf.LayersModel;
    /** Latent to input, with `vae`. */
    decoder?: tf.LayersModel;
    /** Features to the log-variance of each output, with `mve`. */
    mveHead?: tf.LayersModel;
  } {
    return { core: this.core.model, vaeHeads: this.vaeHeads, decoder: this.decoder, mveHead: this.mveHead };
  }

  /** Whether this wrapper can be trained (false for GraphModels and functions). */
  get trainable(): boolean {
    return this.core.model !== undefined;
  }

  protected setOptimizer(spec: OptimizerSpec): void {
    this.optimizer?.dispose();
    this.optimizer = freshOptimizer(spec);
  }

  /** The optimizer instance made by `compile` (always this wrapper's own copy), or undefined before. */
  get optimizerInstance(): tf.Optimizer | undefined {
    return this.optimizer;
  }

  private setDropout(active: boolean): void {
    for (const l of this.dropoutLayers) l.active = active;
  }

  private variables(): tf.Variable[] {
    const seen = new Map<number, tf.Variable>();
    for (const m of [this.core.model, this.vaeHeads, this.decoder, this.mveHead]) {
      for (const w of m?.trainableWeights ?? []) {
        const v = w.read() as tf.Variable;
        seen.set(v.id, v);
      }
    }
    return [...seen.values()];
  }

  /** Loss and the vectors the histogram should see (kept), for one batch. */
  private lossTensors(xs: tf.Tensor[], ys: tf.Tensor[], training: boolean): { loss: tf.Scalar; record?: tf.Tensor; mask?: tf.Tensor } {
    const lossFn = this.requireLoss();
    const o = this.options;
    this.setDropout(training);
    const outs = this.core.apply(xs, training);
    const nOut = this.core.nOutputs;
    if (ys.length !== nOut) throw new ShapeError(`${this.kind}: the model has ${nOut} output(s) but ${ys.length} target tensor(s) were given.`);
    const yOuts = outs.slice(0, nOut);
    const feat = outs[nOut] as tf.Tensor;
    const y0 = ys[0] as tf.Tensor;
    const mean0 = yOuts[0] as tf.Tensor;
    if (!tf.util.arraysEqual(y0.shape, mean0.shape)) throw new ShapeError(`${this.kind}: targets of shape [${y0.shape}] do not match the output shape [${mean0.shape}].`);
    let task: tf.Scalar;
    if (this.mveHead) {
      const logvar = (this.mveHead.apply(feat, { training }) as tf.Tensor).reshape(mean0.shape);
      if (o.mve?.classification ?? this.compiledForClassification) {
        const s = o.mve?.samples ?? 10;
        const std = tf.exp(tf.mul(logvar, 0.5));
        let sum: tf.Scalar = tf.scalar(0);
        for (let i = 0; i < s; i++) {
          const eps = tf.randomNormal(mean0.shape, 0, 1, 'float32', this.rng.int(2147483647));
          sum = tf.add(sum, lossFn(y0, tf.add(mean0, tf.mul(std, eps))));
        }
        task = tf.div(sum, s);
      } else {
        task = tf.mean(tf.mul(0.5, tf.add(logvar, tf.mul(tf.square(tf.sub(y0, mean0)), tf.exp(tf.neg(logvar)))))) as tf.Scalar;
      }
      for (let i = 1; i < nOut; i++) task = tf.add(task, lossFn(ys[i] as tf.Tensor, yOuts[i] as tf.Tensor));
    } else {
      task = tf.scalar(0);
      for (let i = 0; i < nOut; i++) task = tf.add(task, lossFn(ys[i] as tf.Tensor, yOuts[i] as tf.Tensor));
    }
    let mask: tf.Tensor | undefined;
    if (o.vae?.onlyClass !== undefined) {
      mask = tf.cast(tf.equal(tf.round(flatten2d(y0).slice([0, 0], [-1, 1]).reshape([-1])), o.vae.onlyClass), 'float32');
    }
    let mu: tf.Tensor | undefined;
    let loss = task;
    if (this.vaeHeads && this.decoder && o.vae) {
      const [m, lv] = this.vaeHeads.apply(feat, { training }) as tf.Tensor[];
      mu = m as tf.Tensor;
      const logvar = lv as tf.Tensor;
      const eps = tf.randomNormal(mu.shape, 0, 1, 'float32', this.rng.int(2147483647));
      const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps));
      const recon = this.decoder.apply(z, { training }) as tf.Tensor;
      const x0 = xs[0] as tf.Tensor;
      const rec = tf.sum(tf.square(tf.sub(flatten2d(recon), flatten2d(x0))), 1);
      // KL(N(mu, exp(logvar)) || N(0, I)): the SAME log-variance parameterisation as the sampler above.
      const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar)), 1));
      const per = tf.add(rec, tf.mul(kl, o.vae.klWeight ?? 1));
      const vaeLoss = mask ? tf.div(tf.sum(tf.mul(per, mask)), tf.maximum(tf.sum(mask), 1)) : tf.mean(per);
      loss = tf.add(loss, tf.mul(vaeLoss, o.vae.weight ?? 1)) as tf.Scalar;
    }
    let record: tf.Tensor | undefined;
    if (this.histogram) {
      const src = o.histogram?.source ?? 'features';
      record = flatten2d(src === 'latent' ? (mu as tf.Tensor) : src === 'input' ? (xs[0] as tf.Tensor) : feat);
    }
    return { loss, record, mask };
  }

  private pushRecord(record: tf.Tensor, mask?: tf.Tensor): void {
    const hist = this.histogram as FeatureHistogram;
    const [n, d] = record.shape as [number, number];
    let values = record.dataSync();
    let rows = n;
    if (mask) {
      const m = mask.dataSync();
      const keep: number[] = [];
      for (let i = 0; i < n; i++) if (m[i] === 1) keep.push(i);
      const sel = new Float32Array(keep.length * d);
      keep.forEach((r, j) => sel.set(values.subarray(r * d, (r + 1) * d), j * d));
      values = sel;
      rows = keep.length;
    }
    if (rows > 0) hist.push(values, rows, d);
  }

  private requireTrainable(): void {
    if (!this.trainable) throw new UnsupportedModelError(`${this.kind}: this model is inference-only (a GraphModel or a function) and cannot be trained; use fitHistogram(x) for the bias.`);
  }

  trainOnBatch(x: ModelInput, y: ModelInput): number {
    this.requireTrainable();
    this.requireLoss();
    const xs = toTensorList(x, `${this.kind}.trainOnBatch x`);
    const ys = toTensorList(y, `${this.kind}.trainOnBatch y`);
    if (xs[0]?.shape[0] !== ys[0]?.shape[0]) throw new ShapeError(`${this.kind}: x has ${xs[0]?.shape[0]} samples but y has ${ys[0]?.shape[0]}.`);
    const optimizer = this.optimizer as tf.Optimizer;
    const kept: { record?: tf.Tensor; mask?: tf.Tensor } = {};
    let lossT: tf.Scalar | null = null;
    try {
      lossT = optimizer.minimize(
        () => {
          const r = this.lossTensors(xs, ys, true);
          if (r.record) kept.record = tf.keep(r.record);
          if (r.mask) kept.mask = tf.keep(r.mask);
          return r.loss;
        },
        true,
        this.variables(),
      );
      const value = (lossT as tf.Scalar).dataSync()[0] as number;
      if (!Number.isFinite(value)) throw new RiskWrapperError(`${this.kind}: the training loss became ${value}; lower the learning rate or check the data scale.`, 'E_DIVERGED');
      if (kept.record) this.pushRecord(kept.record, kept.mask);
      return value;
    } finally {
      this.setDropout(false);
      tf.dispose([lossT as tf.Tensor, kept.record as tf.Tensor, kept.mask as tf.Tensor].filter((t) => t !== undefined && t !== null));
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
    const n = xs[0]?.shape[0] as number;
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const bx = xs.map((t) => sliceRows(t, start, size));
      try {
        const rec = tf.tidy(() => this.histogramSource(bx));
        this.pushRecord(rec);
        rec.dispose();
      } finally {
        tf.dispose(bx);
      }
    }
  }

  private histogramSource(xs: tf.Tensor[]): tf.Tensor {
    this.setDropout(false);
    const src = this.options.histogram?.source ?? 'features';
    if (src === 'input') return flatten2d(xs[0] as tf.Tensor);
    const feat = this.core.apply(xs, false)[this.core.nOutputs] as tf.Tensor;
    if (src === 'features') return flatten2d(feat);
    return flatten2d((this.vaeHeads?.apply(feat) as tf.Tensor[])[0] as tf.Tensor);
  }

  protected predictBatch(xs: tf.Tensor[]): RiskFields {
    const o = this.options;
    return tf.tidy(() => {
      this.setDropout(false);
      const outs = this.core.apply(xs, false);
      const feat = outs[this.core.nOutputs] as tf.Tensor;
      let yHat = outs[0] as tf.Tensor;
      const n = yHat.shape[0] as number;
      const tile = (perSample: tf.Tensor): tf.Tensor => tf.broadcastTo(perSample.reshape([n, ...yHat.shape.slice(1).map(() => 1)]), yHat.shape);
      const fields: Partial<RiskFields> = {};
      if (this.mveHead) fields.aleatoric = tf.exp(this.mveHead.apply(feat) as tf.Tensor).reshape(yHat.shape);
      let mu: tf.Tensor | undefined;
      if (this.vaeHeads && this.decoder) {
        mu = (this.vaeHeads.apply(feat) as tf.Tensor[])[0] as tf.Tensor;
        const recon = this.decoder.apply(mu) as tf.Tensor;
        fields.epistemic = tile(tf.mean(tf.square(tf.sub(flatten2d(recon), flatten2d(xs[0] as tf.Tensor))), 1));
      }
      if (this.histogram) {
        const src = o.histogram?.source ?? 'features';
        const v = flatten2d(src === 'latent' ? (mu as tf.Tensor) : src === 'input' ? (xs[0] as tf.Tensor) : feat);
        const logp = this.histogram.logProb(v.dataSync(), n, v.shape[1]);
        const score = o.histogram?.score === 'logProb' ? Float32Array.from(logp) : Float32Array.from(logp, Math.exp);
        fields.bias = tile(tf.tensor1d(score));
      }
      if (this.dropoutLayers.length > 0) {
        this.setDropout(true);
        const passes: tf.Tensor[] = [];
        for (let t = 0; t < (o.dropout?.passes ?? 20); t++) passes.push(this.core.apply(xs, false)[0] as tf.Tensor);
        this.setDropout(false);
        const stack = tf.stack(passes);
        const { mean, variance } = tf.moments(stack, 0);
        yHat = mean;
        fields.epistemic = tf.sqrt(variance);
      }
      fields.yHat = yHat;
      return fields as unknown as tf.TensorContainer;
    }) as unknown as RiskFields;
  }

  /** @internal Artifacts for saving (also used by ensembles). */
  toArtifacts(): WrapperArtifacts {
    const coreModel = this.core.model;
    if (!coreModel) throw new UnsupportedModelError(`${this.kind}: wrappers of inference-only models cannot be saved; save the model itself.`);
    const parts: Record<string, tf.LayersModel> = { core: coreModel };
    if (this.vaeHeads) parts['vaeHeads'] = this.vaeHeads;
    if (this.decoder) parts['decoder'] = this.decoder;
    if (this.mveHead) parts['mveHead'] = this.mveHead;
    const config: Record<string, unknown> = { options: this.options, nOutputs: this.core.nOutputs, inputShape: this.inputShape };
    const arrays: WrapperArtifacts['arrays'] = {};
    if (this.histogram && this.histogram.dimension > 0) {
      const s = this.histogram.exportState();
      config['queue'] = { dim: s.dim, filled: s.filled, next: s.next };
      arrays['queue'] = { data: s.data, shape: [s.data.length] };
    }
    return { kind: this.kind, config, parts, arrays };
  }

  async save(handlerOrUrl: string | tf.io.IOHandler): Promise<tf.io.SaveResult> {
    return saveArtifacts(this.toArtifacts(), handlerOrUrl);
  }

  /**
   * Loads a wrapper saved by `save` (the class it was saved as, or this class).
   * The loaded wrapper owns copies of the layers; compile it again before training.
   * @throws SerializationError for artifacts of another kind.
   */
  static async load(handlerOrUrl: string | tf.io.IOHandler): Promise<ComposedWrapper> {
    const w = await loadRiskWrapper(handlerOrUrl);
    if (!(w instanceof this)) throw new SerializationError(`The saved wrapper is a ${w.kind}, not a ${this.name}; use loadRiskWrapper() or ${w.kind}.load().`);
    return w;
  }

  dispose(): void {
    for (const m of [this.vaeHeads, this.mveHead]) m?.dispose();
    if (this.ownsDecoder) this.decoder?.dispose();
    this.optimizer?.dispose();
  }
}

WRAPPER_KINDS.set('ComposedWrapper', (a) => new ComposedWrapper(restoredSource(a)));
