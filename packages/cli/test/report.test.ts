import { describe, it, expect } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeReport, planReport } from '../src/report/write-report';
import { assembleReportHtml, escapeHtml, inlineSvg } from '../src/report/html';
import { syntheticReportData } from './synthetic-report';

describe('writeReport', () => {
  it('writes index.html with every section and a PNG for every chart and grid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbvae-report-'));
    try {
      const out = join(dir, 'report');
      const written = await writeReport(out, syntheticReportData());
      expect(written.sections).toEqual(['groups', 'training', 'risk', 'sampling', 'faces', 'settings', 'notes']);
      const html = await readFile(written.indexPath, 'utf8');
      for (const id of written.sections) expect(html).toContain(`<section id="${id}">`);
      // 6 charts inline (group accuracy, group probability, training, bias, epistemic, sampling); no scripts, no remote resources.
      expect(html.match(/<svg role="img"/g)).toHaveLength(6);
      expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
      const files = (await readdir(out)).sort();
      expect(files).toEqual(['.dbvae-output.json', 'index.html', ...written.files].sort());
      expect(written.files).toHaveLength(8);
      for (const f of written.files) {
        expect(html).toContain(`"${f}"`);
        const meta = await sharp(join(out, f)).metadata();
        expect(meta.format).toBe('png');
        expect(meta.width).toBeGreaterThan(100);
      }
      // The cards and the table show the numbers of the metrics given.
      const data = syntheticReportData();
      const std = data.groupMetrics![0]!.metrics;
      expect(html).toContain(`${(std.meanAccuracy * 100).toFixed(1)}%`);
      expect(html).toContain(`<td>${std.groups.DM!.meanProb.toFixed(3)}</td>`);
      // Nothing else left in the parent folder (no temporary folders).
      expect(await readdir(dir)).toEqual(['report']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves out sections without data', () => {
    const { sections } = planReport({ title: 'Only settings', settings: { seed: 1 } });
    expect(sections.map((s) => s.id)).toEqual(['settings']);
    expect(() => planReport({ title: '' })).toThrow(/title/);
  });
});

describe('report HTML', () => {
  it('escapes text and keeps inline SVG ids unique', () => {
    expect(escapeHtml(`<b>"A&B"</b>'`)).toBe('&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;&#39;');
    const svg = '<svg width="10"><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"></g></svg>';
    const a = inlineSvg(svg, 'a');
    const b = inlineSvg(svg, 'b');
    const idA = /id="([^"]+)"/.exec(a)![1]!;
    const idB = /id="([^"]+)"/.exec(b)![1]!;
    expect(idA).not.toBe(idB);
    expect(a).toContain(`url(#${idA})`);
    expect(a.startsWith('<svg role="img" aria-label="a"')).toBe(true);
    const html = assembleReportHtml({ title: 'T <x>', sections: [{ id: 's', title: 'S', blocks: [{ kind: 'table', columns: ['a'], rows: [['<1>']] }] }] });
    expect(html).toContain('<title>T &lt;x&gt;</title>');
    expect(html).toContain('<td>&lt;1&gt;</td>');
    expect(html).toContain('<a href="#s">S</a>');
  });
});
