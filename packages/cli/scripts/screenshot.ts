// Screenshots a report folder with headless Chromium: node --import tsx packages/cli/scripts/screenshot.ts <reportDir> <out.png>
import { chromium } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir = '/tmp/dbvae-sample-report', out = '/tmp/dbvae-report-screenshot.png'] = process.argv.slice(2);
const profile = await mkdtemp(join(tmpdir(), 'dbvae-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});
try {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.goto(pathToFileURL(join(resolve(dir), 'index.html')).href);
  await page.screenshot({ path: out, fullPage: true });
  console.log(out);
} finally {
  await ctx.close();
  await rm(profile, { recursive: true, force: true });
}
