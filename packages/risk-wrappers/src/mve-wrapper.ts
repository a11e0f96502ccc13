import type { tf } from '@dbvae/backend';
import { ComposedWrapper, WRAPPER_KINDS, restoredSource, type ModelSource, type MveSpec } from './composed-wrapper';
import type { FeatureLayer } from './graph';

/** Options of {@link MVEWrapper}. */
export interface MVEWrapperOptions extends MveSpec {
  /** Feature layer name or index. Default: the input of the last layer. */
  featureLayer?: FeatureLayer;
  /** Seed. Default 0. */
  seed?: number;
}

/**
 * Aleatoric risk by mean-variance estimation: the mean is the model's own output (its last
 * layer, shared) and a new dense head on the features predicts the log-variance.
 * Regression: loss = mean(0.5 (logvar + (y - mean)^2 / exp(logvar))) (Gaussian NLL; the
 * compiled loss is then used only for any further outputs). Classification: logits are
 * sampled `mean + exp(logvar / 2) * eps` and the compiled loss is averaged over samples.
 * `aleatoric` = exp(logvar), a variance.
 */
export class MVEWrapper extends ComposedWrapper {
  override readonly kind: string = 'MVEWrapper';

  constructor(model: ModelSource, options: MVEWrapperOptions = {}) {
    const { featureLayer, seed, ...mve } = options;
    super(model, { featureLayer, seed, mve });
  }

  /** Loads an MVEWrapper saved with `save`. */
  static override async load(handlerOrUrl: string | tf.io.IOHandler): Promise<MVEWrapper> {
    return (await super.load(handlerOrUrl)) as MVEWrapper;
  }
}
WRAPPER_KINDS.set('MVEWrapper', (a) => new MVEWrapper(restoredSource(a)));
