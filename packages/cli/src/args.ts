import { parseArgs } from 'node:util';
import { UsageError } from './errors';

/** Kinds of flag values the CLI understands. */
export type OptionKind = 'string' | 'path' | 'int' | 'number' | 'boolean' | 'choice';

/** One `--flag` of a command. */
export interface OptionSpec {
  /** Long name without dashes, kebab-case (`batch-size`). */
  name: string;
  /** Value kind: checked and converted by {@link parseCommandArgs}. */
  kind: OptionKind;
  /** One line for `--help`. */
  description: string;
  /** Allowed values for `choice`. */
  choices?: readonly string[];
  /** Value when the flag is absent. */
  default?: string | number | boolean;
  /** The flag must be given. */
  required?: boolean;
  /** Smallest allowed number (int, number). */
  min?: number;
  /** Largest allowed number (int, number). */
  max?: number;
  /** The minimum is exclusive (a positive number). */
  exclusiveMin?: boolean;
  /** Placeholder in `--help`, such as `<dir>`. */
  placeholder?: string;
}

/** Flag values after parsing, keyed by long name; absent optional flags without a default are `undefined`. */
export type ParsedValues = Record<string, string | number | boolean | undefined>;

function toNumber(command: string, spec: OptionSpec, raw: string): number {
  const text = raw.trim();
  const value = text === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`--${spec.name} expects a number, got '${raw}'.`, command);
  if (spec.kind === 'int' && !Number.isInteger(value)) throw new UsageError(`--${spec.name} expects a whole number, got '${raw}'.`, command);
  if (spec.min !== undefined && (spec.exclusiveMin ? value <= spec.min : value < spec.min)) throw new UsageError(`--${spec.name} must be ${spec.exclusiveMin ? 'greater than' : 'at least'} ${spec.min}, got ${value}.`, command);
  if (spec.max !== undefined && value > spec.max) throw new UsageError(`--${spec.name} must be at most ${spec.max}, got ${value}.`, command);
  return value;
}

/**
 * Parses a command's arguments with `node:util` `parseArgs` (strict: unknown flags and stray
 * positionals are errors), then converts and checks each value against its spec.
 * `--help`/`-h` is always accepted and returned as `help: true` (other checks are then skipped).
 * @throws UsageError naming the flag and what was expected.
 */
export function parseCommandArgs(command: string, specs: readonly OptionSpec[], argv: readonly string[]): ParsedValues {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const s of specs) options[s.name] = { type: s.kind === 'boolean' ? 'boolean' : 'string' };
  // `--epochs -1`: parseArgs takes a value starting with '-' for a flag ("argument is
  // ambiguous"); join a negative number to its flag so the range check can say what is wrong.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    const spec = token.startsWith('--') ? specs.find((s) => `--${s.name}` === token) : undefined;
    const next = argv[i + 1];
    if (spec && spec.kind !== 'boolean' && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
      args.push(`${token}=${next}`);
      i++;
    } else args.push(token);
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args, options, strict: true, allowPositionals: false }) as { values: Record<string, string | boolean | undefined> });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '.');
    throw new UsageError(message, command, { cause: error });
  }
  if (values.help) return { help: true };
  const out: ParsedValues = {};
  for (const s of specs) {
    const raw = values[s.name];
    if (raw === undefined) {
      if (s.required) throw new UsageError(`--${s.name} is required (${s.description.replace(/\.$/, '')}).`, command);
      out[s.name] = s.default;
      continue;
    }
    switch (s.kind) {
      case 'boolean':
        out[s.name] = raw as boolean;
        break;
      case 'int':
      case 'number':
        out[s.name] = toNumber(command, s, raw as string);
        break;
      case 'choice':
        if (!s.choices?.includes(raw as string)) throw new UsageError(`--${s.name} must be one of ${s.choices?.join(', ')}; got '${raw}'.`, command);
        out[s.name] = raw as string;
        break;
      default:
        if ((raw as string).trim() === '') throw new UsageError(`--${s.name} needs a value.`, command);
        out[s.name] = raw as string;
    }
  }
  return out;
}

/** The value placeholder of a flag in help texts: its own, `<a|b>` for choices, `<n>` for numbers. */
export function placeholderOf(s: OptionSpec): string {
  return s.placeholder ?? (s.kind === 'choice' ? `<${s.choices?.join('|')}>` : s.kind === 'int' || s.kind === 'number' ? '<n>' : '<value>');
}

/** Formats the flag table of a command's `--help`. */
export function formatOptions(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const ph = s.kind === 'boolean' ? '' : ` ${placeholderOf(s)}`;
    const extra = s.required ? ' (required)' : s.default !== undefined && s.kind !== 'boolean' ? ` (default ${s.default})` : '';
    return [`  --${s.name}${ph}`, `${s.description}${extra}`] as [string, string];
  });
  rows.push(['  -h, --help', 'Show this help.'] as [string, string]);
  const width = Math.min(36, Math.max(...rows.map((r) => r[0].length)) + 2);
  return rows.map(([flag, text]) => (flag.length + 2 > width ? `${flag}\n${' '.repeat(width)}${text}` : `${flag.padEnd(width)}${text}`)).join('\n');
}
