import type { tf } from '@dbvae/backend';
import { ComposedWrapper } from './composed-wrapper';
import type { DropoutSpec, ModelSource, RiskMode } from './risk-options';
import { WRAPPER_KINDS, restoredSource } from './wrapper-registry';

/** Options of {@link DropoutWrapper}. */
export interface DropoutWrapperOptions extends DropoutSpec {
  /** Seed of the dropout masks. Default 0. */
  seed?: number;
  /** `'post-hoc'` (default: the model is frozen, only the risk parts are fitted) or `'joint'` (Capsa's joint training). */
  mode?: RiskMode;
}

/**
 * Epistemic risk by Monte Carlo dropout: dropout after every dense layer and spatial dropout
 * (whole channels) after every convolution, except after inputs and outputs (`placement:
 * 'insert'`), or the model's own Dropout layers made stochastic at prediction (`placement:
 * 'own'`). Batch norm stays in inference mode during the passes. `epistemic` is the standard
 * deviation over `passes` seeded passes (`epistemic.mcDropout`), and for classifiers the
 * predictive entropy, expected entropy and mutual information are in `named`.
 * Post-hoc (default): `yHat` is the frozen model's own output; with `placement: 'insert'` the
 * dropout goes into a COPY of the model that `fit` trains (`retrainsCopies`), since a model
 * trained without dropout gives meaningless passes; `placement: 'own'` needs no training.
 * Joint: the user's layers train with dropout and `yHat` is the mean of the passes.
 * @throws UnsupportedModelError for a GraphModel or a function (MC dropout needs layers).
 */
export class DropoutWrapper extends ComposedWrapper {
  override readonly kind: string = 'DropoutWrapper';

  constructor(model: ModelSource, options: DropoutWrapperOptions = {}) {
    const { seed, mode, ...dropout } = options;
    super(model, { seed, mode, dropout });
  }

  /** Loads a DropoutWrapper saved with `save`. */
  static override async load(handlerOrUrl: string | tf.io.IOHandler): Promise<DropoutWrapper> {
    return (await super.load(handlerOrUrl)) as DropoutWrapper;
  }
}
WRAPPER_KINDS.set('DropoutWrapper', (a) => new DropoutWrapper(restoredSource(a)));
