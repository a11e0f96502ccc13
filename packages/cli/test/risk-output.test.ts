import { describe, it, expect } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@dbvae/backend';
import { formatRiskScores, riskFormatFromPath, writeRiskScores } from '../src/risk-output';

describe('risk score files', () => {
  const rows = [
    { index: 0, file: 'LF/a,b.png', group: 'LF', prediction: 0.9, bias: 0.001 },
    { index: 1, file: 'say "hi".png', group: 'DM', prediction: 0.2, bias: 0.5, epistemic: 0.25 },
  ];

  it('writes CSV with only the columns present, RFC 4180 quoting', () => {
    const csv = formatRiskScores(rows, 'csv');
    expect(csv).toBe('index,file,group,prediction,bias,epistemic\n0,"LF/a,b.png",LF,0.9,0.001,\n1,"say ""hi"".png",DM,0.2,0.5,0.25\n');
  });

  it('writes JSON with columns and sparse rows', () => {
    const parsed = JSON.parse(formatRiskScores(rows, 'json'));
    expect(parsed.columns).toEqual(['index', 'file', 'group', 'prediction', 'bias', 'epistemic']);
    expect(parsed.rows[0]).toEqual(rows[0]);
    expect(parsed.rows[1].epistemic).toBe(0.25);
  });

  it('rejects non-finite scores and unknown extensions', () => {
    expect(() => formatRiskScores([{ index: 0, bias: Number.NaN }], 'csv')).toThrow(InvalidArgumentError);
    expect(() => formatRiskScores([{ index: 0, bias: Infinity }], 'json')).toThrow(InvalidArgumentError);
    expect(riskFormatFromPath('a/B.JSON')).toBe('json');
    expect(riskFormatFromPath('x.csv')).toBe('csv');
    expect(() => riskFormatFromPath('x.txt')).toThrow(/\.csv or \.json/);
  });

  it('writes the file atomically, picking the format from the name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbvae-risk-'));
    try {
      await writeRiskScores(join(dir, 'out', 'r.json'), rows);
      const parsed = JSON.parse(await readFile(join(dir, 'out', 'r.json'), 'utf8'));
      expect(parsed.rows).toHaveLength(2);
      expect(await readdir(join(dir, 'out'))).toEqual(['r.json']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
