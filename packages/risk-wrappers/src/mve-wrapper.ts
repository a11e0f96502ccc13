import type { tf } from '@dbvae/backend';
import { ComposedWrapper } from './composed-wrapper';
import type { ModelSource, MveSpec, RiskMode } from './risk-options';
import { WRAPPER_KINDS, restoredSource } from './wrapper-registry';
import type { FeatureLayer } from './graph';

/** Options of {@link MVEWrapper}. */
export interface MVEWrapperOptions extends MveSpec {
  /** Feature layer name or index. Default: the input of the last layer. */
  featureLayer?: FeatureLayer;
  /** Seed. Default 0. */
  seed?: number;
  /** `'post-hoc'` (default: the model is frozen, only the risk parts are fitted) or `'joint'` (Capsa's joint training). */
  mode?: RiskMode;
}

/**
 * Aleatoric risk by mean-variance estimation: the mean is the model's own output (its last
 * layer; frozen in post-hoc mode) and a new dense head on the features predicts the
 * log-variance (for classifiers: of the logits, recovered from a sigmoid/softmax output).
 * Regression: loss = mean(0.5 (logvar + (y - mean)^2 / exp(logvar))) (Gaussian NLL; the
 * compiled loss is then used only for any further outputs). Classification: logits are
 * sampled `mean + exp(logvar / 2) * eps` and the compiled loss is averaged over samples.
 * `aleatoric` = exp(logvar), a variance.
 */
export class MVEWrapper extends ComposedWrapper {
  override readonly kind: string = 'MVEWrapper';

  constructor(model: ModelSource, options: MVEWrapperOptions = {}) {
    const { featureLayer, seed, mode, ...mve } = options;
    super(model, { featureLayer, seed, mode, mve });
  }

  /** Loads an MVEWrapper saved with `save`. */
  static override async load(handlerOrUrl: string | tf.io.IOHandler): Promise<MVEWrapper> {
    return (await super.load(handlerOrUrl)) as MVEWrapper;
  }
}
WRAPPER_KINDS.set('MVEWrapper', (a) => new MVEWrapper(restoredSource(a)));
