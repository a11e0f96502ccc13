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

/** Exit code for an error: the CLI error's own code, 1 for any other dbvae error, 70 (internal software error) otherwise. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof DbvaeError) return 1;
  return 70;
}
