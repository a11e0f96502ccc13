import type { FeatureDensity } from './feature-histogram';
import type { tf } from '@dbvae/backend';
import { ComposedWrapper } from './composed-wrapper';
import type { ModelSource, RiskMode, VaeSpec } from './risk-options';
import { WRAPPER_KINDS, restoredSource } from './wrapper-registry';
import type { FeatureLayer } from './graph';

/** Options of {@link VAEWrapper}. */
export interface VAEWrapperOptions extends VaeSpec {
  /** Feature layer name or index. Default: the input of the last layer. */
  featureLayer?: FeatureLayer;
  /** Seed of the heads' initialisers and of the sampling noise. Default 0. */
  seed?: number;
  /** `'post-hoc'` (default: the model is frozen, only the risk parts are fitted) or `'joint'` (Capsa's joint training). */
  mode?: RiskMode;
}

/**
 * Epistemic risk from a VAE on the model's features: mean and log-variance heads, a decoder
 * (given, mirrored from a dense extractor, or `'auto'` for convolutional ones), trained with
 * reconstruction (per-sample summed squared error) + KL, both in the log-variance
 * parameterisation. `epistemic` = mean squared reconstruction error of the mean decoding.
 *
 * @example
 * ```ts
 * const w = new VAEWrapper(model, { latentDim: 8 });
 * w.compile({ optimizer: 'adam', loss: 'mse' });
 * ```
 */
export class VAEWrapper extends ComposedWrapper {
  override readonly kind: string = 'VAEWrapper';

  /** @throws UnsupportedModelError for a convolutional extractor without a decoder or `'auto'`. */
  constructor(model: ModelSource, options: VAEWrapperOptions = {}) {
    const { featureLayer, seed, mode, ...vae } = options;
    super(model, { featureLayer, seed, mode, vae });
  }

  /** Loads a VAEWrapper saved with `save`. */
  static override async load(handlerOrUrl: string | tf.io.IOHandler): Promise<VAEWrapper> {
    return (await super.load(handlerOrUrl)) as VAEWrapper;
  }
}
WRAPPER_KINDS.set('VAEWrapper', (a) => new VAEWrapper(restoredSource(a)));

/** Options of {@link HistogramVAEWrapper}. */
export interface HistogramVAEWrapperOptions extends VAEWrapperOptions {
  /** The density over the kept latent means: Capsa's `'histogram'` (default) or `'gaussian'`; see {@link FeatureDensity}. */
  density?: FeatureDensity;
  /** Latent means kept. Default 2000. */
  queueSize?: number;
  /** Bins per latent dimension (`density: 'histogram'`). Default 5. */
  numBins?: number;
  /** Only `'logProb'` (the default): `bias` is a log-probability. */
  score?: 'logProb';
}

/**
 * Bias + epistemic: a {@link VAEWrapper} whose latent means also fill a histogram (the lab 3
 * wrapper, and the DB-VAE's density estimate). Set `onlyClass: 1` to train the VAE and fill
 * the histogram on faces only, as the DB-VAE does.
 */
export class HistogramVAEWrapper extends ComposedWrapper {
  override readonly kind: string = 'HistogramVAEWrapper';

  constructor(model: ModelSource, options: HistogramVAEWrapperOptions = {}) {
    const { featureLayer, seed, mode, queueSize, numBins, score, density, ...vae } = options;
    super(model, { featureLayer, seed, mode, vae, histogram: { queueSize, numBins, score, density, source: 'latent' } });
  }

  /** Loads a HistogramVAEWrapper saved with `save`. */
  static override async load(handlerOrUrl: string | tf.io.IOHandler): Promise<HistogramVAEWrapper> {
    return (await super.load(handlerOrUrl)) as HistogramVAEWrapper;
  }
}
WRAPPER_KINDS.set('HistogramVAEWrapper', (a) => new HistogramVAEWrapper(restoredSource(a)));
