import { DbvaeError } from '@dbvae/backend';

/**
 * Base class of the errors the `dbvae` command line reports. Each carries the process exit
 * code the CLI ends with, so a script can tell a usage mistake from a bad input file.
 */
export class CliError extends DbvaeError {
  override readonly name: string = 'CliError';

  /** Exit code of the `dbvae` process when this error ends a command. */
  readonly exitCode: number;

  constructor(message: string, code: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, code, options);
    this.exitCode = exitCode;
  }
}

/**
 * The command line itself is wrong: an unknown command or flag, a missing required flag, a
 * malformed number, a value outside its choices. Exit code 2 (the convention of most Unix tools).
 */
export class UsageError extends CliError {
  override readonly name: string = 'UsageError';

  /** The command whose usage was wrong (its help is printed with the message), if known. */
  readonly command: string | undefined;

  constructor(message: string, command?: string, options?: { cause?: unknown }) {
    super(message, 'E_USAGE', 2, options);
    this.command = command;
  }
}

/**
 * An input named on the command line cannot be used: a file or folder that does not exist,
 * a folder with no images, a model folder without a model, an unreadable JSON file. Exit code 1.
 */
export class InputError extends CliError {
  override readonly name: string = 'InputError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_INPUT', 1, options);
  }
}

/**
 * The command exists but the library function it needs is not wired in this build. Exit code 2.
 */
export class NotAvailableError extends CliError {
  override readonly name: string = 'NotAvailableError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_NOT_AVAILABLE', 2, options);
  }
}

/**
 * An output location cannot be used: it is the working folder, holds an input, is a file where
 * a folder is expected (or the reverse), is a non-empty folder the command did not write, is
 * not writable, or is in use by another run. Checked before any work starts. Exit code 1.
 */
export class OutputError extends CliError {
  override readonly name: string = 'OutputError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_OUTPUT', 1, options);
  }
}

/**
 * The run was stopped by a signal (SIGINT or SIGTERM) after saving what it could; the message
 * says how to resume. Exit code 130 for SIGINT and 143 for SIGTERM (128 + the signal number).
 */
export class InterruptedError extends CliError {
  override readonly name: string = 'InterruptedError';

  /** The signal that stopped the run. */
  readonly signal: 'SIGINT' | 'SIGTERM';

  constructor(message: string, signal: 'SIGINT' | 'SIGTERM', options?: { cause?: unknown }) {
    super(message, 'E_INTERRUPTED', signal === 'SIGINT' ? 130 : 143, options);
    this.signal = signal;
  }
}

/**
 * True for any dbvae error, whichever copy of the error classes threw it. The ESM and CJS
 * builds of a package each carry their own `DbvaeError` class (and `require('@dbvae/cli')`
 * loads the libraries it imports on demand as ESM), so `instanceof` alone would miss errors
 * from the other copy; every dbvae error has a stable `E_*` code, which is checked instead.
 */
export function isDbvaeError(error: unknown): error is DbvaeError {
  if (error instanceof DbvaeError) return true;
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^E_[A-Z0-9_]+$/.test(code);
}

/** Exit code for an error: the CLI error's own code, 1 for any other dbvae error, 70 (internal software error) otherwise. Checked by `code`, not `instanceof` (see {@link isDbvaeError}). */
export function exitCodeOf(error: unknown): number {
  if (!isDbvaeError(error)) return 70;
  const own = (error as { exitCode?: unknown }).exitCode;
  return typeof own === 'number' && Number.isInteger(own) ? own : 1;
}
