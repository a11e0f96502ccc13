/**
 * Base class of every error thrown by a dbvae package. Catch this to handle any of them;
 * each package throws a subclass that names what went wrong (`ShapeError`, `BackendError`,
 * ...), and every message says what to change.
 */
export class DbvaeError extends Error {
  /** A stable, machine-readable code such as `'E_SHAPE'`. */
  readonly code: string;

  constructor(message: string, code = 'E_DBVAE', options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A backend could not be found, imported or initialised. */
export class BackendError extends DbvaeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_BACKEND', options);
  }
}

/** An argument is out of its domain: a negative size, an unknown option, a non-finite number. */
export class InvalidArgumentError extends DbvaeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_INVALID_ARGUMENT', options);
  }
}

/** A tensor or array has the wrong rank, size or dtype for the operation. */
export class ShapeError extends DbvaeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_SHAPE', options);
  }
}
