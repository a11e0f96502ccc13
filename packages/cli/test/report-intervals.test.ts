import { describe, it, expect } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planReport, writeReport } from '../src/report/write-report';
import { accuracyVsRiskIntervalChart, describeRiskTrend, groupAccuracyChart, groupShareChart } from '../src/report/interval-charts';
import { groupMetrics } from '../src/group-metrics';
import { wilsonInterval } from '../src/stats/wilson';
import type { AccuracyVsRiskSeries } from '../src/report/types';

type AnyRec = Record<string, any>;

const chunks = (accs: number[], count: number) => accs.map((accuracy, i) => ({ percentile: (i + 1) * 10, accuracy, count }));

describe('report with intervals', () => {
  it('describes a curve by what it does: a rising uncertainty curve is called rising, not falling', () => {
    const rising: AccuracyVsRiskSeries = { risk: 'epistemic', label: 'DB-VAE', chunks: chunks([0.6, 0.7, 0.8, 0.85, 0.9, 0.92, 0.95, 0.97, 0.98, 1], 40) };
    expect(describeRiskTrend(rising)).toMatch(/^DB-VAE: accuracy rises from 60% \(\d+%–\d+%\) in the first tenth to 100%/);
    const falling = { ...rising, chunks: [...rising.chunks].reverse().map((c, i) => ({ ...c, percentile: (i + 1) * 10 })) };
    expect(describeRiskTrend(falling)).toMatch(/accuracy falls from 100%/);
    const flat = { ...rising, chunks: chunks([0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.92], 40) };
    expect(describeRiskTrend(flat)).toMatch(/shows no clear change/);
    // The interval chart's bars are the Wilson intervals of each chunk.
    const spec = accuracyVsRiskIntervalChart([rising]) as AnyRec;
    expect(spec.data.values[0]).toMatchObject({ accuracy: 0.6, ...wilsonInterval(24, 40) });
    const plan = planReport({ title: 't', accuracyVsRisk: [rising] });
    const item = plan.sections[0]!.items[0] as AnyRec;
    expect(item.caption).toContain('accuracy rises');
    expect(plan.sections[0]!.intro).not.toMatch(/should fall/);
  });

  it('draws per-group accuracy with its Wilson bars and the draw share per group over epochs', () => {
    const m = groupMetrics([0.9, 0.9, 0.1, 0.8, 0.2, 0.2], ['LF', 'LF', 'LF', 'DF', 'DF', 'DF']);
    const spec = groupAccuracyChart([{ model: 'CNN', metrics: m }]) as AnyRec;
    expect(spec.data.values).toEqual([
      { model: 'CNN', group: 'LF', accuracy: 2 / 3, n: 3, ...wilsonInterval(2, 3) },
      { model: 'CNN', group: 'DF', accuracy: 1 / 3, n: 3, ...wilsonInterval(1, 3) },
    ]);
    const share = groupShareChart([{ model: 'DB-VAE', epochs: [{ epoch: 0, share: { L: 0.9, D: 0.1 } }, { epoch: 1, share: { L: 0.6, D: 0.4 } }] }]) as AnyRec;
    expect(share.data.values).toContainEqual({ model: 'DB-VAE', epoch: 2, group: 'D', share: 0.4 });
  });

  it('writes summary.json beside index.html in the same step, and states the uncertainty under the headline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbvae-report-int-'));
    try {
      const m = groupMetrics([0.9, 0.2, 0.8, 0.7], ['LF', 'LF', 'DM', 'DM']);
      const written = await writeReport(join(dir, 'r'), { title: 't', groupMetrics: [{ model: 'CNN', metrics: m }], uncertainty: ['One run: the variance difference is within its interval.'], groupShare: [{ model: 'DB-VAE', epochs: [{ epoch: 0, share: { L: 1 } }] }] }, { chartPngs: false, extraFiles: { 'summary.json': '{"a":1}\n' } });
      expect(written.sections.slice(0, 2)).toEqual(['uncertainty', 'groups']);
      expect(written.sections).toContain('group-share');
      expect(await readFile(join(dir, 'r', 'summary.json'), 'utf8')).toBe('{"a":1}\n');
      expect((await readdir(join(dir, 'r'))).sort()).toEqual(['.dbvae-output.json', 'index.html', 'summary.json']);
      const html = await readFile(written.indexPath, 'utf8');
      expect(html).toContain('One run: the variance difference is within its interval.');
      expect(html).toContain(`50.0% (${(wilsonInterval(1, 2).low * 100).toFixed(1)}%–${(wilsonInterval(1, 2).high * 100).toFixed(1)}%)`);
      await expect(writeReport(join(dir, 'x'), { title: 't' }, { extraFiles: { '../evil': '' } })).rejects.toThrow(/plain file name/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('report charts compile cleanly', () => {
  /** Compiles a spec with Vega-Lite and returns what it logged at warning level or above (a warning means part of the spec was ignored). */
  async function compileWarnings(spec: object): Promise<string[]> {
    const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
    const warnings: string[] = [];
    const logger = vega.logger(vega.Warn, undefined, (_method: string, level: string, input: unknown[]) => {
      warnings.push(`${level} ${input.join(' ')}`);
    });
    vl.compile(spec as never, { logger });
    return warnings;
  }

  it('every chart of a full report, the two-model risk curves and the sweep chart compile without a Vega-Lite warning', async () => {
    const { syntheticReportData } = await import('./synthetic-report');
    const { sweepChart } = await import('../src/report/interval-charts');
    const plan = planReport(syntheticReportData());
    const specs: { name: string; spec: object }[] = plan.sections.flatMap((s) => s.items.flatMap((item) => (item.kind === 'chart' ? [{ name: item.name, spec: item.spec }] : [])));
    expect(specs.length).toBeGreaterThan(3);
    const series = (label: string): AccuracyVsRiskSeries => ({ risk: 'bias', label, chunks: chunks([0.5, 0.7, 0.9], 20) });
    specs.push({ name: 'two risk curves', spec: accuracyVsRiskIntervalChart([series('CNN'), series('DB-VAE')]) });
    const interval = { mean: 0.8, low: 0.7, high: 0.9 };
    specs.push({ name: 'sweep', spec: sweepChart([{ label: 'alpha 0.01', meanAccuracy: interval, accuracyVariance: { mean: 0.01, low: 0, high: 0.02 } }]) });
    for (const { name, spec } of specs) expect({ name, warnings: await compileWarnings(spec) }).toEqual({ name, warnings: [] });
  });

  it('keeps two series of the risk chart apart by a small shift of the x position, not by an offset channel', () => {
    const series = (label: string): AccuracyVsRiskSeries => ({ risk: 'bias', label, chunks: chunks([0.5, 0.9], 20) });
    const spec = accuracyVsRiskIntervalChart([series('CNN'), series('DB-VAE')]) as AnyRec;
    const at10 = (spec.data.values as AnyRec[]).filter((v) => v.percentile === 10).map((v) => v.position as number);
    expect(at10).toHaveLength(2);
    expect(at10[0]).toBeLessThan(10);
    expect(at10[1]).toBeGreaterThan(10);
    expect(at10[0]! + at10[1]!).toBeCloseTo(20, 12);
  });
});
