import { ParseError } from './errors';

/** CelebA attributes: one row of 40 (+1 / -1) values per file. */
export interface CelebaAttributes {
  /** Attribute names in file order (e.g. `5_o_Clock_Shadow`, ..., `Young`). */
  names: string[];
  /** Image file names, one per row. */
  files: string[];
  /** Row-major values, `files.length x names.length`, each +1 or -1. */
  values: Int8Array;
  /** Value of attribute `name` for row `i` (+1 / -1). */
  get(i: number, name: string): number;
  /** Column of one attribute as an Int8Array. */
  column(name: string): Int8Array;
}

const splitWs = (line: string): string[] => line.trim().split(/\s+/).filter((t) => t.length > 0);

/**
 * Parses CelebA's `list_attr_celeba.txt`: a count line, a header line of attribute names, then
 * one line per image: file name and one +1 / -1 per attribute (any whitespace). Blank trailing
 * lines are ignored; values must be `1`, `+1` or `-1`.
 *
 * @param text - The file's contents.
 * @throws ParseError naming the 1-based line for a bad count, a wrong number of values, a value
 *   other than +1 / -1, or a row count that differs from the count line.
 */
export function parseCelebaAttributes(text: string): CelebaAttributes {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && (lines[lines.length - 1] as string).trim() === '') lines.pop();
  if (lines.length < 2) throw new ParseError(0, 'attribute file needs a count line and a header line of attribute names.');
  const countTokens = splitWs(lines[0] as string);
  const count = Number(countTokens[0]);
  if (countTokens.length !== 1 || !Number.isInteger(count) || count < 0) {
    throw new ParseError(1, `first line must be the number of images, got '${(lines[0] as string).trim()}'.`);
  }
  const names = splitWs(lines[1] as string);
  if (names.length === 0) throw new ParseError(2, 'header line has no attribute names.');
  if (new Set(names).size !== names.length) throw new ParseError(2, 'header line repeats an attribute name.');
  const m = names.length;
  const rows = lines.length - 2;
  if (rows !== count) throw new ParseError(0, `count line says ${count} images but the file has ${rows} rows.`);
  const files: string[] = new Array<string>(rows);
  const values = new Int8Array(rows * m);
  for (let r = 0; r < rows; r++) {
    const lineNo = r + 3;
    const t = splitWs(lines[r + 2] as string);
    if (t.length !== m + 1) throw new ParseError(lineNo, `expected a file name and ${m} values, got ${t.length} fields.`);
    files[r] = t[0] as string;
    for (let j = 0; j < m; j++) {
      const tok = t[j + 1] as string;
      const v = tok === '1' || tok === '+1' ? 1 : tok === '-1' ? -1 : 0;
      if (v === 0) throw new ParseError(lineNo, `value '${tok}' for ${names[j]} must be 1 or -1.`);
      values[r * m + j] = v;
    }
  }
  const col = (name: string): number => {
    const j = names.indexOf(name);
    if (j < 0) throw new ParseError(0, `no attribute '${name}'; known: ${names.join(', ')}.`);
    return j;
  };
  return {
    names,
    files,
    values,
    get: (i, name) => {
      if (!Number.isInteger(i) || i < 0 || i >= rows) throw new ParseError(0, `row ${i} is outside 0..${rows - 1}.`);
      return values[i * m + col(name)] as number;
    },
    column: (name) => {
      const j = col(name);
      const out = new Int8Array(rows);
      for (let i = 0; i < rows; i++) out[i] = values[i * m + j] as number;
      return out;
    },
  };
}

/** CelebA's evaluation partition: file names and split (0 train, 1 validation, 2 test). */
export interface CelebaPartition {
  /** Image file names. */
  files: string[];
  /** Split of each file: 0 = train, 1 = validation, 2 = test. */
  split: Uint8Array;
}

/**
 * Parses CelebA's `list_eval_partition.txt`: one line per image, file name and 0 / 1 / 2.
 *
 * @throws ParseError naming the line for a wrong number of fields or a split other than 0, 1, 2.
 */
export function parseCelebaPartition(text: string): CelebaPartition {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && (lines[lines.length - 1] as string).trim() === '') lines.pop();
  const files: string[] = [];
  const split = new Uint8Array(lines.length);
  lines.forEach((line, i) => {
    const t = splitWs(line);
    if (t.length !== 2) throw new ParseError(i + 1, `expected 'file split', got ${t.length} fields.`);
    const s = t[1] as string;
    if (s !== '0' && s !== '1' && s !== '2') throw new ParseError(i + 1, `split '${s}' must be 0 (train), 1 (validation) or 2 (test).`);
    files.push(t[0] as string);
    split[i] = Number(s);
  });
  return { files, split };
}
