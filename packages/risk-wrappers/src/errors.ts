import { DbvaeError } from '@dbvae/backend';

/**
 * Base class of the errors specific to `@dbvae/risk-wrappers`. Catch `DbvaeError` to handle
 * every dbvae error, or this class for the wrapper-specific ones only.
 */
export class RiskWrapperError extends DbvaeError {
  override readonly name: string = 'RiskWrapperError';

  constructor(message: string, code = 'E_RISK_WRAPPER', options?: { cause?: unknown }) {
    super(message, code, options);
  }
}

/**
 * The wrapped model cannot do what was asked: a `GraphModel` or a plain function cannot be
 * retrained or have dropout inserted, a layer could not be found, a graph shape is unsupported.
 */
export class UnsupportedModelError extends RiskWrapperError {
  override readonly name: string = 'UnsupportedModelError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_UNSUPPORTED_MODEL', options);
  }
}

/** A method was called before the state it needs exists (`fit` before `compile`, bias before any features were seen). */
export class NotReadyError extends RiskWrapperError {
  override readonly name: string = 'NotReadyError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_NOT_READY', options);
  }
}

/** Saved artifacts are not a risk wrapper, or belong to another wrapper class. */
export class SerializationError extends RiskWrapperError {
  override readonly name: string = 'SerializationError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_SERIALIZATION', options);
  }
}

/**
 * Risk heads that cannot be composed: two heads write the same named risk field (one would
 * silently overwrite the other), two share a name, or a head reads a tap nothing provides.
 * `code` is `E_HEAD_COLLISION`, `E_HEAD_NAME` or `E_HEAD_MISSING_TAP`.
 */
export class HeadCompositionError extends RiskWrapperError {
  override readonly name: string = 'HeadCompositionError';

  constructor(message: string, code: 'E_HEAD_COLLISION' | 'E_HEAD_NAME' | 'E_HEAD_MISSING_TAP', options?: { cause?: unknown }) {
    super(message, code, options);
  }
}
