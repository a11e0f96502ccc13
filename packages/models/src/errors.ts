import { DbvaeError } from '@dbvae/backend';

/** Training went wrong (e.g. the loss became NaN or infinite); the message says what to change. */
export class ModelError extends DbvaeError {
  override readonly name: string = 'ModelError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_MODEL', options);
  }
}

/** A saved model or checkpoint is missing, unreadable or not a dbvae artifact. */
export class CheckpointError extends DbvaeError {
  override readonly name: string = 'CheckpointError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_CHECKPOINT', options);
  }
}
