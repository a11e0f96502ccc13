import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeReport } from '../src/report/write-report';
import { syntheticReportData } from './synthetic-report';

const CHROMIUM = process.env.DBVAE_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const name = hasChromium ? 'renders the report in headless Chromium' : `renders the report in headless Chromium (SKIPPED: ${CHROMIUM} not found; install Debian's chromium to run it)`;
if (!hasChromium) console.warn(`[dbvae/cli] screenshot test skipped: ${CHROMIUM} not found.`);

describe('report screenshot', () => {
  it.skipIf(!hasChromium)(name, async () => {
    const { chromium } = await import('playwright-core');
    const dir = await mkdtemp(join(tmpdir(), 'dbvae-shot-'));
    const profile = join(dir, 'profile');
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    try {
      const written = await writeReport(join(dir, 'report'), syntheticReportData());
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      const remote: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) remote.push(r.url());
      });
      await page.goto(pathToFileURL(written.indexPath).href, { waitUntil: 'load' });
      const facts = await page.evaluate(() => ({
        sections: Array.from(document.querySelectorAll('section')).map((s) => [s.id, s.querySelector('h2')?.textContent ?? '']),
        images: Array.from(document.images).map((i) => ({ src: i.getAttribute('src'), w: i.naturalWidth, complete: i.complete })),
        charts: Array.from(document.querySelectorAll('figure.chart svg')).map((s) => {
          const r = s.getBoundingClientRect();
          return { w: r.width, h: r.height, marks: s.querySelectorAll('path, rect, line').length };
        }),
        title: document.title,
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      }));
      expect(facts.title).toBe('DB-VAE on SynthFaces');
      expect(facts.sections).toEqual([
        ['groups', 'Face detection by group'],
        ['training', 'Training'],
        ['risk', 'Accuracy against risk'],
        ['sampling', 'Sampling probabilities'],
        ['faces', 'Faces'],
        ['settings', 'Settings'],
        ['notes', 'Notes'],
      ]);
      expect(facts.images).toHaveLength(2);
      for (const img of facts.images) expect(img.complete && img.w > 0, `broken image ${img.src}`).toBe(true);
      expect(facts.charts).toHaveLength(6); // group accuracy with intervals, group probability, training, bias, epistemic, sampling
      for (const c of facts.charts) {
        expect(c.w).toBeGreaterThan(200);
        expect(c.h).toBeGreaterThan(150);
        expect(c.marks).toBeGreaterThan(10);
      }
      expect(facts.overflow).toBeLessThanOrEqual(0); // no horizontal scrolling at 1280 px
      expect(remote).toEqual([]);
      const shot = join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect((await stat(shot)).size).toBeGreaterThan(50_000);
      await copyFile(shot, '/tmp/dbvae-report-screenshot.png');
    } finally {
      await ctx.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
