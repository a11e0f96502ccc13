import { describe, it, expect } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandArgs } from '../src/args';
import { experimentCommand, gridSettings, runExperiment, type ExperimentOptions } from '../src/commands/experiment';
import type { CellRunner } from '../src/experiment/sweep';
import { groupMetrics } from '../src/group-metrics';
import { tQuantile975 } from '../src/stats/seed-summary';

function sink() {
  let text = '';
  return { write: (s: string) => ((text += s), true), get text() { return text; } };
}

/** A fake cell: accuracy depends on the setting and the seed in a known way, no training. */
function fakeRunner(calls: string[], failAfter = Infinity): CellRunner {
  return async (setting, seed) => {
    if (calls.length >= failAfter) throw new Error('interrupted');
    calls.push(`${setting.id}@${seed}`);
    const dark = setting.variant.kind === 'dbvae' ? 0.9 - setting.variant.alpha : 0.5; // lower alpha, better rare groups
    // LM: all 10 detected on odd seeds, 9 of 10 on even ones; DM: a share `dark` detected.
    const probs = [...Array(10).fill(1), seed % 2 ? 1 : 0.4, ...Array(9).fill(1), ...Array(10).fill(1), ...Array(10).fill(0)].map((p, i) => (i >= 30 ? (i - 30 < Math.round(dark * 10) ? 1 : 0) : p));
    const groups = [...Array(10).fill('LF'), ...Array(10).fill('LM'), ...Array(10).fill('DF'), ...Array(10).fill('DM')];
    return { metrics: groupMetrics(probs, groups), sampling: [], seconds: 0 };
  };
}

describe('dbvae experiment', () => {
  const io = { stdout: sink(), stderr: sink() };
  const options = (out: string): ExperimentOptions => ({ ...(experimentCommand.toOptions(parseCommandArgs('experiment', experimentCommand.options, ['--out', out, '--seeds', '3']), { ...io, cwd: '/' }) as ExperimentOptions) });

  it('has the paper\'s Table-1 rows and the ablation rows', () => {
    const o = options('/tmp/x');
    expect(gridSettings(o).map((s) => s.id)).toEqual(['no-debiasing', 'alpha-0.1', 'alpha-0.05', 'alpha-0.01', 'alpha-0.001']);
    expect(gridSettings({ ...o, grid: 'ablation' }).map((s) => s.variant.kind)).toEqual(['standard', 'vae', 'dbvae', 'dbvae']);
  });

  it('resumes after an interruption without rerunning finished cells, then writes the table', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbvae-exp-'));
    try {
      const o = options(join(dir, 'sweep'));
      const first: string[] = [];
      await expect(runExperiment(o, io, fakeRunner(first, 7))).rejects.toThrow('interrupted');
      expect(first).toHaveLength(7);
      expect(await readdir(join(dir, 'sweep', 'cells'))).toHaveLength(7);
      const second: string[] = [];
      const rows = await runExperiment(o, io, fakeRunner(second));
      expect(second).toHaveLength(15 - 7);
      expect(second.filter((c) => first.includes(c))).toEqual([]);
      // A third run has nothing left to train.
      const third: string[] = [];
      await runExperiment(o, io, fakeRunner(third));
      expect(third).toEqual([]);
      // Table: means over the 3 seeds with t-intervals; LM accuracy 1 on odd seeds, 0.9 on even: seeds 1, 2, 3 -> 1, 0.9, 1.
      const alpha001 = rows.find((r) => r.id === 'alpha-0.001')!;
      expect(alpha001.seeds).toEqual([1, 2, 3]);
      expect(alpha001.groups.LM!.mean).toBeCloseTo(2.9 / 3, 12);
      const sd = Math.sqrt(((1 - 2.9 / 3) ** 2 * 2 + (0.9 - 2.9 / 3) ** 2) / 2);
      expect(alpha001.groups.LM!.high - alpha001.groups.LM!.mean).toBeCloseTo((tQuantile975(2) * sd) / Math.sqrt(3), 12);
      const md = await readFile(join(dir, 'sweep', 'table.md'), 'utf8');
      expect(md).toMatch(/\| No debiasing \(same network, uniform batches\) \| 3 \|/);
      expect(md).toMatch(/\| alpha 0\.001 \| 3 \|/);
      const json = JSON.parse(await readFile(join(dir, 'sweep', 'table.json'), 'utf8'));
      expect(json.rows).toHaveLength(5);
      const html = await readFile(join(dir, 'sweep', 'report', 'index.html'), 'utf8');
      expect(html).toContain('alpha 0.001');
      expect(html.match(/<svg role="img"/g)).toHaveLength(1);
      // Another grid in the same folder is refused rather than mixed in.
      await expect(runExperiment({ ...o, n: 123 }, io, fakeRunner([]))).rejects.toThrow(/holds a sweep with other settings/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
