import { readFile } from 'node:fs/promises';
import { InputError } from '../errors';
import { riskFormatFromPath, type RiskScoreRow } from '../risk-output';

const NUMERIC = new Set(['index', 'label', 'prediction', 'bias', 'epistemic', 'aleatoric']);

/** Splits RFC 4180 CSV text into records of fields. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else if (ch !== '\r') field += ch;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/**
 * Reads a scores file written by `dbvae risk` (CSV or JSON, by extension) back into rows.
 * @throws InputError for a file that is not a scores file.
 */
export async function readRiskScores(path: string): Promise<RiskScoreRow[]> {
  const text = await readFile(path, 'utf8');
  if (riskFormatFromPath(path) === 'json') {
    const parsed = JSON.parse(text) as { rows?: RiskScoreRow[] };
    if (!Array.isArray(parsed.rows)) throw new InputError(`${path}: not a dbvae risk scores file (no "rows").`);
    return parsed.rows;
  }
  const [header, ...records] = parseCsv(text);
  if (!header || header[0] !== 'index') throw new InputError(`${path}: not a dbvae risk scores file (its first column is not 'index').`);
  return records.map((fields) => {
    const row: Record<string, unknown> = {};
    header.forEach((c, i) => {
      const v = fields[i] ?? '';
      if (v !== '') row[c] = NUMERIC.has(c) ? Number(v) : v;
    });
    return row as unknown as RiskScoreRow;
  });
}
