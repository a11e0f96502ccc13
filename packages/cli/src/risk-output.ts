import { extname } from 'node:path';
import { InvalidArgumentError } from '@dbvae/backend';
import { writeFileAtomic } from './fs-atomic';

/** One sample's row in the output of `dbvae risk`. Missing risk kinds are left out (empty in CSV). */
export interface RiskScoreRow {
  /** Position of the sample in the input. */
  index: number;
  /** Source file of the sample (image folders), if any. */
  file?: string;
  /** Group (sub-folder) of the sample, if any. */
  group?: string;
  /** True label (1 face, 0 not a face), if known. */
  label?: number;
  /** Predicted face probability. */
  prediction?: number;
  /** Representation bias: the log-density of the sample's representation (higher = better represented, lower = under-represented). */
  bias?: number;
  /** Epistemic (model) uncertainty. */
  epistemic?: number;
  /** Aleatoric (data) uncertainty. */
  aleatoric?: number;
  /** Where `prediction` comes from: `model` (the user's frozen model's own output) or `joint` (a jointly trained wrapper). */
  predictionSource?: string;
  /** Where the risk comes from: `frozen-model` (parts fitted around the frozen model) or `retrained-copy` (MC dropout or ensemble members trained on the fit set). */
  riskSource?: string;
  /** Every named estimate of the wrapper (`epistemic.mutualInformation`, ...), for programs; not written to the files. */
  named?: Record<string, number>;
  /** Why the sample has no scores (an image that cannot be read), if it failed. */
  error?: string;
}

/** Output formats of {@link formatRiskScores}. */
export type RiskScoreFormat = 'csv' | 'json';

/** Every column of the output, in file order; a file has those present in any row. */
export const RISK_COLUMNS = ['index', 'file', 'group', 'label', 'prediction', 'bias', 'epistemic', 'aleatoric', 'predictionSource', 'riskSource', 'error'] as const;

/** A column of {@link RISK_COLUMNS}. */
export type RiskColumn = (typeof RISK_COLUMNS)[number];
const COLUMNS = RISK_COLUMNS;

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidArgumentError(`formatRiskScores: a score is ${value}; risk scores must be finite.`);
    return String(value);
  }
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Formats per-sample risk scores. CSV (RFC 4180 quoting, `\n` line ends) has one column per
 * field present in any row, in a fixed order (index, file, group, label, prediction, bias,
 * epistemic, aleatoric, predictionSource, riskSource, error); JSON is `{ "columns": [...], "rows": [{...}, ...] }`.
 * @throws InvalidArgumentError for a non-finite number.
 */
export function formatRiskScores(rows: readonly RiskScoreRow[], format: RiskScoreFormat): string {
  const present = COLUMNS.filter((c) => rows.some((r) => r[c] !== undefined));
  const parts = [riskFileHead(present, format, rows.length > 0)];
  rows.forEach((r, i) => parts.push(riskFileRow(r, present, format, i === 0)));
  parts.push(riskFileTail(format, rows.length > 0));
  return parts.join('');
}

/**
 * The text of a risk file before its rows (CSV header, or the JSON up to the rows array), for
 * writers that stream rows: head + each {@link riskFileRow} + {@link riskFileTail} is exactly
 * {@link formatRiskScores}'s output.
 */
export function riskFileHead(columns: readonly RiskColumn[], format: RiskScoreFormat, hasRows: boolean): string {
  if (format === 'csv') return `${columns.join(',')}\n`;
  const cols = JSON.stringify(columns, null, 2).replace(/\n/g, '\n  ');
  return `{\n  "columns": ${cols},\n  "rows": [${hasRows ? '\n' : ''}`;
}

/** One row of a risk file (see {@link riskFileHead}). @throws InvalidArgumentError for a non-finite number. */
export function riskFileRow(r: RiskScoreRow, columns: readonly RiskColumn[], format: RiskScoreFormat, first: boolean): string {
  if (format === 'csv') return `${columns.map((c) => csvCell(r[c])).join(',')}\n`;
  for (const c of columns) if (typeof r[c] === 'number' && !Number.isFinite(r[c] as number)) throw new InvalidArgumentError(`formatRiskScores: ${c} of sample ${r.index} is ${r[c]}; risk scores must be finite.`);
  const obj = Object.fromEntries(columns.filter((c) => r[c] !== undefined).map((c) => [c, r[c]]));
  return `${first ? '' : ',\n'}    ${JSON.stringify(obj, null, 2).replace(/\n/g, '\n    ')}`;
}

/** The text after the last row (see {@link riskFileHead}). */
export function riskFileTail(format: RiskScoreFormat, hasRows: boolean): string {
  return format === 'csv' ? '' : `${hasRows ? '\n  ' : ''}]\n}\n`;
}

/** The format implied by a file name: `.json` gives JSON, `.csv` CSV. @throws InvalidArgumentError for any other extension. */
export function riskFormatFromPath(path: string): RiskScoreFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.csv') return 'csv';
  throw new InvalidArgumentError(`Cannot tell the format of '${path}': name the output file .csv or .json.`);
}

/**
 * Writes per-sample risk scores atomically as CSV or JSON (chosen from the extension unless given).
 * @throws InvalidArgumentError for an unknown extension or a non-finite score.
 */
export async function writeRiskScores(path: string, rows: readonly RiskScoreRow[], format: RiskScoreFormat = riskFormatFromPath(path)): Promise<void> {
  await writeFileAtomic(path, formatRiskScores(rows, format));
}
