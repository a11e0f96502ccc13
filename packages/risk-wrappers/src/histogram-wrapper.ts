import { ComposedWrapper, WRAPPER_KINDS, restoredSource, type ModelSource } from './composed-wrapper';
import type { FeatureLayer } from './graph';
import type { tf } from '@dbvae/backend';

/** Options of {@link HistogramWrapper}. */
export interface HistogramWrapperOptions {
  /** Feature vectors kept. Default 2000. */
  queueSize?: number;
  /** Equal-width bins per dimension. Default 5 (Capsa's). */
  numBins?: number;
  /** Added to each bin probability before the log. Default 1e-8. */
  epsilon?: number;
  /** Histogram over hidden `features` (default) or raw `input`s. */
  source?: 'features' | 'input';
  /** `prob` (default, Capsa's) or `logProb` (no underflow in many dimensions). */
  score?: 'prob' | 'logProb';
  /** Feature layer name or index. Default: the input of the last layer. */
  featureLayer?: FeatureLayer;
  /** For inference-only models: a batch's features. Default: the flattened input. */
  featureFn?: (x: tf.Tensor) => tf.Tensor;
  /** Seed. Default 0. */
  seed?: number;
}

/**
 * Representation bias: a histogram over the last `queueSize` feature vectors seen in
 * training (or given to `fitHistogram`); `bias` = joint bin probability of a sample's
 * features (higher = better represented). The training loss is the compiled loss, once.
 * Works for inference-only models (GraphModel, function) through `fitHistogram`.
 *
 * @example
 * ```ts
 * const w = new HistogramWrapper(model, { numBins: 5, queueSize: 2000 });
 * w.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
 * await w.fit(x, y, { epochs: 5 });
 * const out = w.predict(x); // out.bias
 * ```
 */
export class HistogramWrapper extends ComposedWrapper {
  override readonly kind: string = 'HistogramWrapper';

  /** @throws InvalidArgumentError for bad sizes; UnsupportedModelError for a bad feature layer. */
  constructor(model: ModelSource, options: HistogramWrapperOptions = {}) {
    const { featureLayer, featureFn, seed, ...histogram } = options;
    super(model, { featureLayer, featureFn, seed, histogram });
  }

  /** Loads a HistogramWrapper saved with `save`. */
  static override async load(handlerOrUrl: string | tf.io.IOHandler): Promise<HistogramWrapper> {
    return (await super.load(handlerOrUrl)) as HistogramWrapper;
  }
}
WRAPPER_KINDS.set('HistogramWrapper', (a) => new HistogramWrapper(restoredSource(a)));
