import { ShapeError, tf } from '@dbvae/backend';
import { buildMirrorDecoder } from '../decoder';
import type { VaeSpec } from '../risk-options';
import { flatten2d, tileLike, type HeadPrediction, type HeadStep, type RiskField, type RiskHead, type Tap } from './risk-head';

/** The VAE's reconstruction on the fit data: the 99th percentile of the per-sample summed squared error and the mean squared error per value. */
export interface VaeSupport {
  threshold: number;
  variance: number;
}

/**
 * The VAE head (epistemic): dense mean and log-variance layers on the clean features and a
 * decoder back to the input. Reads `features` and `input`, provides `latent.vae` (the latent
 * means), writes `epistemic.vae` (the mean squared reconstruction error of the mean decoding);
 * its loss is reconstruction + KL weight x KL (times `weight` in joint mode).
 */
export class VaeHead implements RiskHead {
  readonly kind = 'vae';
  readonly name = 'vae';
  readonly reads: readonly Tap[] = ['features', 'input'];
  readonly provides: readonly Tap[] = ['latent.vae'];
  readonly writes: readonly RiskField[] = ['epistemic.vae'];
  /** The reconstruction support on the fit data (for a latent histogram's `bias.vaeSupport`). */
  support?: VaeSupport;

  /**
   * @param spec - The VAE settings (its `decoder` model is not kept here).
   * @param encoder - features -> [mean, logVariance] (saved as the `vaeHeads` part).
   * @param decoder - latent -> input (saved as the `decoder` part).
   * @param ownsDecoder - false when the decoder is the user's (then `dispose` leaves it).
   */
  constructor(
    readonly spec: VaeSpec,
    readonly encoder: tf.LayersModel,
    readonly decoder: tf.LayersModel,
    private readonly ownsDecoder = true,
  ) {}

  /**
   * Builds the encoder heads and the decoder (the user's, checked, or a mirror of `extractor`).
   * @throws ShapeError when a user decoder does not map `[latentDim]` to the input shape.
   */
  static build(spec: VaeSpec, featShape: number[], inputShape: number[], extractor: tf.layers.Layer[], seed: () => number): VaeHead {
    const latent = spec.latentDim ?? 16;
    const inp = tf.input({ shape: featShape, name: 'rw_vae_features' });
    const h: tf.SymbolicTensor = featShape.length > 1 ? (tf.layers.flatten().apply(inp) as tf.SymbolicTensor) : inp;
    const mu = tf.layers.dense({ units: latent, kernelInitializer: tf.initializers.glorotUniform({ seed: seed() }), name: 'rw_vae_mean' }).apply(h) as tf.SymbolicTensor;
    const lv = tf.layers.dense({ units: latent, kernelInitializer: tf.initializers.glorotUniform({ seed: seed() }), name: 'rw_vae_logvar' }).apply(h) as tf.SymbolicTensor;
    const encoder = tf.model({ inputs: inp, outputs: [mu, lv], name: 'rw_vae_heads' });
    const dec = spec.decoder;
    if (dec instanceof tf.LayersModel) {
      const inShape = (dec.inputs[0] as tf.SymbolicTensor).shape;
      const outShape = (dec.outputs[0] as tf.SymbolicTensor).shape.slice(1);
      if (inShape.length !== 2 || inShape[1] !== latent) throw new ShapeError(`The decoder must take [batch, ${latent}] latents, but takes [${inShape}].`);
      if (!tf.util.arraysEqual(outShape as number[], inputShape)) throw new ShapeError(`The decoder outputs [${outShape}] but the model input is [${inputShape}].`);
      return new VaeHead(spec, encoder, dec, false);
    }
    return new VaeHead(spec, encoder, buildMirrorDecoder(latent, inputShape, extractor, dec === 'auto', seed, `rw_decoder`));
  }

  /** The layer models this head trains. */
  trainableModels(): tf.LayersModel[] {
    return [this.encoder, this.decoder];
  }

  /** Saved as the `vaeHeads` and `decoder` parts. */
  parts(): Record<string, tf.LayersModel> {
    return { vaeHeads: this.encoder, decoder: this.decoder };
  }

  /** `latent.vae` (the latent means of the clean features), and the support penalty on demand. */
  provide(step: HeadStep): Partial<Record<Tap, tf.Tensor>> {
    const features = step.taps.features as tf.Tensor;
    step.supportPenalty = () => this.supportPenalty(features, step.taps.input as tf.Tensor);
    return { 'latent.vae': this.latent(features) };
  }

  /** `latent.vae`: the latent means of clean features. */
  latent(features: tf.Tensor): tf.Tensor {
    return (this.encoder.apply(features) as tf.Tensor[])[0] as tf.Tensor;
  }

  /** The VAE loss of one batch (call inside a tidy): masked mean of reconstruction + KL weight x KL, times `weight` in joint mode. */
  loss(step: HeadStep): tf.Scalar {
    const { training } = step;
    const [m, lv] = this.encoder.apply(step.taps.features as tf.Tensor, { training }) as tf.Tensor[];
    const mu = m as tf.Tensor;
    const logvar = lv as tf.Tensor;
    const eps = tf.randomNormal(mu.shape, 0, 1, 'float32', step.seed());
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps));
    const recon = this.decoder.apply(z, { training }) as tf.Tensor;
    const rec = tf.sum(tf.square(tf.sub(flatten2d(recon), flatten2d(step.taps.input as tf.Tensor))), 1);
    // KL(N(mu, exp(logvar)) || N(0, I)): the SAME log-variance parameterisation as the sampler above.
    const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar)), 1));
    const per = tf.add(rec, tf.mul(kl, this.spec.klWeight ?? 1));
    const mask = step.mask;
    const vaeLoss = mask ? tf.div(tf.sum(tf.mul(per, mask)), tf.maximum(tf.sum(mask), 1)) : tf.mean(per);
    return (step.joint ? tf.mul(vaeLoss, this.spec.weight ?? 0.01) : vaeLoss) as tf.Scalar;
  }

  /** Per-sample summed squared error of the mean decoding, `[n]`. */
  reconstructionErrors(features: tf.Tensor, input: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => tf.sum(tf.square(tf.sub(flatten2d(this.decoder.apply(this.latent(features)) as tf.Tensor), flatten2d(input))), 1) as tf.Tensor1D);
  }

  /**
   * The out-of-support penalty of each sample, `[n]`, once the support is calibrated (call
   * inside a tidy). Outside the VAE's support (reconstructed worse than 99% of the fit data), a
   * latent histogram alone can rate an input well: noise may encode near the latent mode. The
   * excess error is charged as a Gaussian log-likelihood, so such inputs rank low.
   */
  supportPenalty(features: tf.Tensor, input: tf.Tensor): tf.Tensor | undefined {
    const support = this.support;
    if (!support) return undefined;
    const excess = tf.relu(tf.sub(this.reconstructionErrors(features, input), support.threshold));
    return tf.div(excess, 2 * support.variance);
  }

  /** `epistemic.vae` (call inside a tidy). */
  predict(step: HeadStep): HeadPrediction {
    const recon = this.decoder.apply(step.taps['latent.vae'] ?? this.latent(step.taps.features as tf.Tensor)) as tf.Tensor;
    return { fields: { 'epistemic.vae': tileLike(tf.mean(tf.square(tf.sub(flatten2d(recon), flatten2d(step.taps.input as tf.Tensor))), 1), step.output) } };
  }

  /** Sets the support from the fit data's reconstruction errors; `values` is the number of values per input. */
  calibrateSupport(errors: number[], values: number): void {
    if (errors.length === 0) return;
    const sorted = [...errors].sort((a, b) => a - b);
    const threshold = sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] as number;
    const variance = Math.max(sorted.reduce((a, b) => a + b, 0) / sorted.length / values, 1e-12);
    this.support = { threshold, variance };
  }

  dispose(): void {
    this.encoder.dispose();
    if (this.ownsDecoder) this.decoder.dispose();
  }
}
