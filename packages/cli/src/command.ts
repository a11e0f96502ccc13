import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { OptionSpec, ParsedValues } from './args';
import { InputError } from './errors';
import type { ProgressOutput } from './progress';

/** Where a command writes: injected so tests can capture output. */
export interface CliIO {
  /** Results (tables, JSON, paths of written files). */
  stdout: {
    /** Writes text as given (no newline added). */
    write(text: string): unknown;
  };
  /** Progress and diagnostics. */
  stderr: ProgressOutput;
  /** Folder relative paths are resolved against. Default `process.cwd()`. */
  cwd?: string;
  /** Where SIGINT / SIGTERM come from (`dbvae train` checkpoints and stops on them). Default `process`; tests pass an emitter. */
  signals?: SignalSource;
}

/** Something that emits `SIGINT` and `SIGTERM`, as `process` does. */
export interface SignalSource {
  /** Calls `listener` when `signal` arrives. */
  on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  /** Stops calling a listener added with `on`. */
  removeListener(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

/** A `dbvae` sub-command: its flags, help text and handler. */
export interface CommandDefinition<T = unknown> {
  /** Name typed after `dbvae`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Paragraph under the usage line of `dbvae <command> --help`. */
  description: string;
  /** Flags. */
  options: readonly OptionSpec[];
  /** Example command lines. */
  examples: readonly string[];
  /** Turns checked flag values into the handler's typed options. */
  toOptions(values: ParsedValues, io: CliIO): T;
  /** Runs the command. Throws a `CliError` (or any `DbvaeError`) on failure. */
  run(options: T, io: CliIO): Promise<void>;
}

/** Resolves a path given on the command line against the IO's working folder. */
export function resolvePath(io: CliIO, path: string): string {
  return resolve(io.cwd ?? process.cwd(), path);
}

/**
 * Checks that an input path exists and has the expected kind.
 * @throws InputError naming the flag and the path.
 */
export async function requireInput(path: string, kind: 'file' | 'dir' | 'any', flag: string): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new InputError(`${flag} ${path}: no such ${kind === 'dir' ? 'folder' : kind === 'file' ? 'file' : 'file or folder'}.`);
  }
  if (kind === 'dir' && !st.isDirectory()) throw new InputError(`${flag} ${path}: expected a folder, found a file.`);
  if (kind === 'file' && !st.isFile()) throw new InputError(`${flag} ${path}: expected a file, found a folder.`);
}

/** Reads a string flag that {@link parseCommandArgs} guaranteed present. */
export function str(values: ParsedValues, name: string): string {
  return values[name] as string;
}

/** Reads a numeric flag that has a default or is required. */
export function num(values: ParsedValues, name: string): number {
  return values[name] as number;
}
