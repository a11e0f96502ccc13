import packageJson from '../package.json';
import { formatOptions, parseCommandArgs, placeholderOf } from './args';
import type { CliIO, CommandDefinition } from './command';
import { demoCommand } from './commands/demo';
import { evaluateCommand } from './commands/evaluate';
import { experimentCommand } from './commands/experiment';
import { riskCommand } from './commands/risk';
import { synthCommand } from './commands/synth';
import { trainCommand } from './commands/train';
import { workerCommand } from './commands/worker';
import { UsageError, exitCodeOf, isDbvaeError } from './errors';

/** The CLI's version (from its package.json). */
export const CLI_VERSION: string = packageJson.version;

/** Every `dbvae` command, in the order of `dbvae --help`. */
export const COMMANDS: readonly CommandDefinition<never>[] = [synthCommand, trainCommand, evaluateCommand, riskCommand, workerCommand, demoCommand, experimentCommand] as unknown as CommandDefinition<never>[];

/** Text of `dbvae --help`. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 4;
  return [
    `dbvae ${CLI_VERSION}: risk-aware face detection, the MIT 6.S191 debiasing lab from the command line.`,
    '',
    'Usage: dbvae <command> [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Flags:',
    '  -h, --help     Show help (dbvae <command> --help for a command\'s flags).',
    '  -v, --version  Print the version.',
    '',
    'Start with:  dbvae demo --out report   then open report/index.html',
    '',
  ].join('\n');
}

/** Text of `dbvae <command> --help`. */
export function commandHelp(command: CommandDefinition<never>): string {
  return [
    `Usage: dbvae ${command.name} ${command.options.filter((o) => o.required).map((o) => `--${o.name} ${placeholderOf(o)}`).join(' ')} [flags]`.replace(/\s+\[/, ' ['),
    '',
    wrap(command.description, 88),
    '',
    'Flags:',
    formatOptions(command.options),
    '',
    'Examples:',
    ...command.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/**
 * Runs `dbvae` with the given arguments (without the node and script paths) and returns the
 * exit code instead of exiting, so it can be tested and embedded. Errors are printed to
 * `io.stderr` as `dbvae <command>: <message>`; usage errors add a pointer to the help.
 * Exit codes: 0 success, 1 bad input or a library error, 2 usage error or a command not
 * available in this build, 70 an unexpected internal error.
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(argv: readonly string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  // A leading `--` (as `pnpm run dev -- <args>` passes it) is ignored.
  const [first, ...rest] = argv[0] === '--' ? argv.slice(1) : argv;
  if (first === undefined) {
    io.stderr.write(mainHelp());
    return 2;
  }
  if (first === '-h' || first === '--help' || first === 'help') {
    const target = rest[0] && COMMANDS.find((c) => c.name === rest[0]);
    io.stdout.write(target ? commandHelp(target) : mainHelp());
    return 0;
  }
  if (first === '-v' || first === '--version') {
    io.stdout.write(`${CLI_VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === first);
  try {
    if (!command) {
      throw new UsageError(first.startsWith('-') ? `unknown flag '${first}' before the command.` : `unknown command '${first}'. Commands: ${COMMANDS.map((c) => c.name).join(', ')}.`);
    }
    const values = parseCommandArgs(command.name, command.options, rest);
    if (values.help) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    const options = command.toOptions(values, io);
    await command.run(options, io);
    return 0;
  } catch (error) {
    const where = command ? `dbvae ${command.name}` : 'dbvae';
    if (isDbvaeError(error)) {
      io.stderr.write(`${where}: ${error.message}\n`);
      if (error.code === 'E_USAGE') io.stderr.write(`Run 'dbvae ${command ? `${command.name} ` : ''}--help' for usage.\n`);
    } else {
      io.stderr.write(`${where}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    return exitCodeOf(error);
  }
}
