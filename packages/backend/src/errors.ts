/**
 * Base class of every error thrown by a dbvae package. Catch this to handle any of them;
 * each package throws a subclass that names what went wrong (`ShapeError`, `BackendError`,
 * ...), and every message says what to change.
 *
 * `name` is a string literal in each subclass (not the constructor's name), so it survives
 * minification: a bundled app shows `BackendError`, not `Sv`. A subclass of your own should
 * declare `override readonly name = 'MyError'` too.
 */
export class DbvaeError extends Error {
  /** The error's class name, e.g. `'ShapeError'`; stable under minification. */
  override readonly name: string = 'DbvaeError';
  /** A stable, machine-readable code such as `'E_SHAPE'`. */
  readonly code: string;

  /**
   * @param message What went wrong and what to change.
   * @param code A stable, machine-readable code; `'E_DBVAE'` by default.
   * @param options `cause`: the error that led to this one.
   */
  constructor(message: string, code = 'E_DBVAE', options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A backend could not be found, imported or initialised. `code` is `'E_BACKEND'` unless a subclass sets a more precise one. */
export class BackendError extends DbvaeError {
  override readonly name: string = 'BackendError';

  /**
   * @param message What went wrong and what to change.
   * @param options `cause`: the error that led to this one.
   * @param code A more precise code for a subclass; `'E_BACKEND'` by default.
   */
  constructor(message: string, options?: { cause?: unknown }, code = 'E_BACKEND') {
    super(message, code, options);
  }
}

/**
 * The wasm backend is installed but its `.wasm` binaries could not be fetched or compiled,
 * typically because a bundler (Vite, webpack, esbuild) did not copy them next to the bundle.
 * Serve them and pass their folder as `initBackend({ wasmPaths })`. `code` is `'E_WASM_BINARY'`.
 */
export class WasmBinaryError extends BackendError {
  override readonly name: string = 'WasmBinaryError';
  /** The `wasmPaths` that was in effect (`undefined`: next to the bundled script, tfjs's default). */
  readonly wasmPaths: string | Record<string, string> | undefined;

  /**
   * @param message What went wrong and what to change.
   * @param wasmPaths The `wasmPaths` in effect when loading failed.
   * @param options `cause`: the error that led to this one.
   */
  constructor(message: string, wasmPaths: string | Record<string, string> | undefined, options?: { cause?: unknown }) {
    super(message, options, 'E_WASM_BINARY');
    this.wasmPaths = wasmPaths;
  }
}

/**
 * Training was about to run on tfjs's pure-JavaScript `cpu` backend (hundreds of times slower
 * for CNNs) although a faster backend is installed, and the cpu-fallback policy is `'error'`
 * (see {@link setCpuFallbackPolicy}). `code` is `'E_CPU_FALLBACK'`.
 */
export class CpuFallbackError extends BackendError {
  override readonly name: string = 'CpuFallbackError';

  /**
   * @param message What went wrong and what to change.
   * @param options `cause`: the error that led to this one.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, 'E_CPU_FALLBACK');
  }
}

/**
 * A `file://` model directory could not be written or read (a missing or unwritable
 * directory, a missing `weights.bin`), or `file://` was used outside Node. `code` is `'E_FILE_IO'`.
 */
export class FileSystemIOError extends DbvaeError {
  override readonly name: string = 'FileSystemIOError';

  /**
   * @param message What went wrong and what to change.
   * @param options `cause`: the error that led to this one.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_FILE_IO', options);
  }
}

/**
 * A Node.js-only function (file reading or writing, image decoding with sharp, worker threads)
 * was called from the browser build of a dbvae package. The browser entries of
 * `@dbvae/core-data` and `@dbvae/models` keep these names so imports type-check and bundle,
 * but calling one throws this error. `feature` names the function; `code` is `'E_NODE_ONLY'`.
 */
export class NodeOnlyError extends DbvaeError {
  override readonly name: string = 'NodeOnlyError';

  /** The Node-only function that was called, such as `readLabH5`. */
  readonly feature: string;

  /**
   * @param feature The function that was called.
   * @param hint What to use in a browser instead.
   */
  constructor(feature: string, hint: string) {
    super(`${feature} needs Node.js (it reads or writes files, decodes images with sharp or starts worker threads) and is not available in the browser build. ${hint}`, 'E_NODE_ONLY');
    this.feature = feature;
  }
}

/** An argument is out of its domain: a negative size, an unknown option, a non-finite number. `code` is `'E_INVALID_ARGUMENT'`. */
export class InvalidArgumentError extends DbvaeError {
  override readonly name: string = 'InvalidArgumentError';

  /**
   * @param message What went wrong and what to change.
   * @param options `cause`: the error that led to this one.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_INVALID_ARGUMENT', options);
  }
}

/** A tensor or array has the wrong rank, size or dtype for the operation. `code` is `'E_SHAPE'`. */
export class ShapeError extends DbvaeError {
  override readonly name: string = 'ShapeError';

  /**
   * @param message What went wrong and what to change.
   * @param options `cause`: the error that led to this one.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_SHAPE', options);
  }
}
