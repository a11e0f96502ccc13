import { describe, it, expect } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../src/commands/demo';
import { wilsonInterval } from '../src/stats/wilson';
import { uncertaintySentences } from '../src/experiment/demo-summary';
import { pairedGroupBootstrap } from '../src/stats/paired-bootstrap';

function sink() {
  let text = '';
  return { write: (s: string) => ((text += s), true), get text() { return text; } };
}

describe('dbvae demo (tiny sizes)', () => {
  it('writes summary.json beside index.html in the issue\'s shape, with the seed summary when several seeds run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbvae-demo-'));
    try {
      const out = sink();
      const err = sink();
      const r = await runDemo({ out: join(dir, 'report'), n: 64, testPerGroup: 6, epochs: 1, batchSize: 16, latentDim: 4, alpha: 0.001, combine: 'product', klWeight: 0.0005, seed: 3, seeds: 2, full: false }, { stdout: out, stderr: err });
      const summary = JSON.parse(await readFile(join(dir, 'report', 'summary.json'), 'utf8'));
      expect(Object.keys(summary).sort()).toEqual(['comparison', 'models', 'seeds', 'settings']);
      expect(summary.settings.temperature).toBe(4); // product rule: tempered by the latent size unless given
      for (const model of ['standard', 'dbvae']) {
        const m = summary.models[model];
        expect(Object.keys(m).sort()).toEqual(['accuracyVariance', 'groups', 'meanAccuracy']);
        expect(Object.keys(m.groups)).toEqual(['LF', 'LM', 'DF', 'DM']);
        for (const g of Object.values(m.groups) as { n: number; accuracy: number; low: number; high: number }[]) {
          expect(Object.keys(g).sort()).toEqual(['accuracy', 'high', 'low', 'n']);
          expect(g.n).toBe(6);
          expect(g).toMatchObject(wilsonInterval(Math.round(g.accuracy * 6), 6));
        }
        const accs = (Object.values(m.groups) as { accuracy: number }[]).map((g) => g.accuracy);
        const mean = accs.reduce((a, b) => a + b, 0) / 4;
        expect(m.meanAccuracy).toBeCloseTo(mean, 12);
        expect(m.accuracyVariance).toBeCloseTo(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / 4, 12);
      }
      expect(summary.seeds.runs.map((s: { seed: number }) => s.seed)).toEqual([3, 4]);
      expect(summary.seeds.runs[0].standard).toEqual(summary.models.standard);
      expect(summary.seeds.summary.seeds).toEqual([3, 4]);
      expect(summary.comparison.accuracyVarianceDifference.estimate).toBeCloseTo(summary.models.dbvae.accuracyVariance - summary.models.standard.accuracyVariance, 12);
      const html = await readFile(r.report.indexPath, 'utf8');
      expect(html).toContain('How sure is this?');
      expect(html).toContain('Over 2 seeds (3, 4)');
      expect(r.report.sections).toEqual(expect.arrayContaining(['uncertainty', 'groups', 'seeds', 'group-share', 'risk']));
      expect(out.text).toMatch(/Standard CNN +mean accuracy [\d.]+% +variance [\d.]+ %² +LF \d+% \[\d+-\d+\]/);
      expect(err.text).toMatch(/epoch 1 drawn faces: DF [\d.]+%/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('warns about one seed with what was measured for the settings the run used', () => {
    const groups = ['LF', 'LM', 'DF', 'DM', 'LF', 'LM', 'DF', 'DM'];
    const c = pairedGroupBootstrap([1, 1, 0, 0, 1, 1, 1, 0], [1, 1, 1, 0, 1, 1, 1, 1], groups, { seed: 1 });
    const caveat = (preset: 'small' | 'full' | 'custom') => uncertaintySentences(c, undefined, preset)[1];
    expect(caveat('small')).toMatch(/At these defaults, over seeds 1-15, the DB-VAE halved .* in 11 of the 15/);
    expect(caveat('full')).toMatch(/At the lab's sizes \(--full\) the standard CNN is barely biased/);
    expect(caveat('custom')).toMatch(/settings other than the measured defaults/);
    expect(uncertaintySentences(c)[1]).toBe(caveat('custom'));
  });
});
