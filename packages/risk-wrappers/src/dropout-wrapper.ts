import type { tf } from '@dbvae/backend';
import { ComposedWrapper, WRAPPER_KINDS, restoredSource, type DropoutSpec, type ModelSource } from './composed-wrapper';

/** Options of {@link DropoutWrapper}. */
export interface DropoutWrapperOptions extends DropoutSpec {
  /** Seed of the dropout masks. Default 0. */
  seed?: number;
}

/**
 * Epistemic risk by Monte Carlo dropout: dropout after every dense layer and spatial dropout
 * (whole channels) after every convolution, except after inputs and outputs (`mode:
 * 'insert'`), or the model's own Dropout layers made stochastic at prediction (`mode:
 * 'own'`). Batch norm stays in inference mode during the passes. `yHat` is the mean and
 * `epistemic` the standard deviation over `passes` seeded passes. The user's layers are
 * shared; the user's model itself is unchanged (no dropout in it).
 * @throws UnsupportedModelError for a GraphModel or a function (MC dropout needs layers).
 */
export class DropoutWrapper extends ComposedWrapper {
  override readonly kind: string = 'DropoutWrapper';

  constructor(model: ModelSource, options: DropoutWrapperOptions = {}) {
    const { seed, ...dropout } = options;
    super(model, { seed, dropout });
  }

  /** Loads a DropoutWrapper saved with `save`. */
  static override async load(handlerOrUrl: string | tf.io.IOHandler): Promise<DropoutWrapper> {
    return (await super.load(handlerOrUrl)) as DropoutWrapper;
  }
}
WRAPPER_KINDS.set('DropoutWrapper', (a) => new DropoutWrapper(restoredSource(a)));
