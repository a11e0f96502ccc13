import { ComposedWrapper } from './composed-wrapper';
import type { ModelSource, RiskMode } from './risk-options';
import { WRAPPER_KINDS, restoredSource } from './wrapper-registry';
import type { FeatureLayer } from './graph';
import type { FeatureDensity } from './feature-histogram';
import type { tf } from '@dbvae/backend';

/** Options of {@link HistogramWrapper}. */
export interface HistogramWrapperOptions {
  /** The density over the kept vectors: `'gaussian'` (default) or Capsa's `'histogram'`; see {@link FeatureDensity}. */
  density?: FeatureDensity;
  /** Feature vectors kept. Default 2000. */
  queueSize?: number;
  /** Equal-width bins per dimension (`density: 'histogram'`). Default 5 (Capsa's). */
  numBins?: number;
  /** Added to each bin probability before the log (`density: 'histogram'`). Default 1e-8. */
  epsilon?: number;
  /** Histogram over hidden `features` (default) or raw `input`s. */
  source?: 'features' | 'input';
  /** Only `'logProb'` (the default): `bias` is a log-probability. */
  score?: 'logProb';
  /** `'post-hoc'` (default: the model is frozen, only the risk parts are fitted) or `'joint'` (Capsa's joint training). */
  mode?: RiskMode;
  /** Feature layer name or index. Default: the input of the last layer. */
  featureLayer?: FeatureLayer;
  /** For inference-only models: a batch's features. Default: the flattened input. */
  featureFn?: (x: tf.Tensor) => tf.Tensor;
  /** Seed. Default 0. */
  seed?: number;
}

/**
 * Representation bias: a density over (a seeded sample of at most `queueSize` of) the
 * feature vectors of the data given to `fit` (or `fitHistogram`), independent normals per
 * dimension by default or Capsa's per-dimension histograms (`density: 'histogram'`); `bias` =
 * the log joint density of a sample's features (a log-density: higher = better represented, finite
 * at any feature width). Post-hoc (default) nothing is trained; joint mode trains the model
 * with the compiled loss, once. Works for inference-only models (GraphModel, function).
 *
 * @example
 * ```ts
 * const w = new HistogramWrapper(trainedModel, { numBins: 5, queueSize: 2000 });
 * await w.fit(xTrain, yTrain);          // fills the histogram; the model is unchanged
 * const out = w.predict(x);             // out.bias: log-densities
 * ```
 */
export class HistogramWrapper extends ComposedWrapper {
  override readonly kind: string = 'HistogramWrapper';

  /** @throws InvalidArgumentError for bad sizes; UnsupportedModelError for a bad feature layer. */
  constructor(model: ModelSource, options: HistogramWrapperOptions = {}) {
    const { featureLayer, featureFn, seed, mode, ...histogram } = options;
    super(model, { featureLayer, featureFn, seed, mode, histogram });
  }

  /** Loads a HistogramWrapper saved with `save`. */
  static override async load(handlerOrUrl: string | tf.io.IOHandler): Promise<HistogramWrapper> {
    return (await super.load(handlerOrUrl)) as HistogramWrapper;
  }
}
WRAPPER_KINDS.set('HistogramWrapper', (a) => new HistogramWrapper(restoredSource(a)));
