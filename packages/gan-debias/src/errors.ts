import { DbvaeError } from '@dbvae/backend';

/**
 * Thrown by `@dbvae/gan-debias` when a walk, a latent-space fit or a fairness metric cannot
 * be computed from what it was given (a degenerate fit, parallel hyperplanes, a group with no
 * positives). The message says what to change. Shape and argument problems throw the shared
 * `ShapeError` and `InvalidArgumentError` of `@dbvae/backend`.
 */
export class GanDebiasError extends DbvaeError {
  override readonly name: string = 'GanDebiasError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_GAN_DEBIAS', options);
  }
}
