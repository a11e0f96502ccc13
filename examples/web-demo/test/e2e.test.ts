/**
 * End to end: train a tiny model (scripts/prepare-model.ts --tiny), build the page with Vite,
 * serve the build on 127.0.0.1, open it in headless Chromium, upload a SynthFaces face and a
 * non-face through the file input and check what the page shows.
 *
 * Skips when /usr/bin/chromium is absent (Debian's `chromium` package provides it).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateSynthFaces } from '@dbvae/core-data';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../scripts/png';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`web-demo e2e: skipped, ${CHROMIUM} not found (install Debian's chromium package to run it).`);
// The page is built from the packages' dist, as an app would use them.
const hasDist = ['backend', 'risk-wrappers'].every((p) => existsSync(fileURLToPath(new URL(`../../../packages/${p}/dist/index.js`, import.meta.url))));
if (hasChromium && !hasDist) console.warn('web-demo e2e: skipped, the packages are not built (run `pnpm build` first).');

const run = promisify(execFile);
const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.bin': 'application/octet-stream',
};

/** A static file server for the build folder, on 127.0.0.1 at a free port. */
async function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
      if (!file.startsWith(root) || !(await stat(file).catch(() => null))?.isFile()) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(await readFile(file));
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe.skipIf(!hasChromium || !hasDist)('web demo in headless Chromium', () => {
  let work = '';
  let server: Server | undefined;
  let browser: Browser | undefined;
  let url = '';

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'dbvae-web-demo-'));
    const publicDir = join(work, 'public');
    const outDir = join(work, 'dist');
    await run(process.execPath, ['--import', 'tsx', 'scripts/prepare-model.ts', '--tiny', '--out', publicDir], { cwd: exampleDir });
    await run(process.execPath, [resolve(exampleDir, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: exampleDir,
      env: { ...process.env, WEB_DEMO_PUBLIC_DIR: publicDir },
    });
    ({ server, url } = await serve(outDir));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 600_000); // training the tiny model and a Vite build take minutes on a loaded 2-core machine

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('scores an uploaded face and non-face with probability, representation and epistemic uncertainty', async () => {
    // Two images the model never saw (a seed the prepare script does not use).
    const size = 32;
    const data = generateSynthFaces({ n: 40, size, seed: 12345 });
    const px = size * size * 3;
    const faceIndex = data.attributes.findIndex((a) => a.label === 1 && a.skin === 'light');
    const nonFaceIndex = data.attributes.findIndex((a) => a.label === 0 && a.nonFaceKind === 'texture');
    expect(faceIndex).toBeGreaterThanOrEqual(0);
    expect(nonFaceIndex).toBeGreaterThanOrEqual(0);
    const facePath = join(work, 'synthetic-face.png');
    const nonFacePath = join(work, 'texture.png');
    await writeFile(facePath, encodePng(data.images.subarray(faceIndex * px, (faceIndex + 1) * px), size, size));
    await writeFile(nonFacePath, encodePng(data.images.subarray(nonFaceIndex * px, (nonFaceIndex + 1) * px), size, size));

    const page = await browser!.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('#status[data-state="ready"]', { timeout: 120_000 });
    expect(['webgl', 'wasm', 'cpu']).toContain(await page.evaluate(() => document.body.dataset['backend']));

    await page.setInputFiles('#file-input', [facePath, nonFacePath]);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="result"]').length === 2, undefined, { timeout: 120_000 });
    await page.waitForSelector('#status[data-state="ready"]');

    const read = async (name: string): Promise<{ probability: number; representation: number; epistemic: number; verdict: string; probDetail: string }> => {
      const card = page.locator('[data-testid="result"]', { has: page.locator('h3', { hasText: name }) });
      const text = async (metric: string): Promise<string> => card.locator(`[data-metric="${metric}"] .value`).innerText();
      return {
        probability: Number((await text('prob')).replace('%', '')),
        representation: Number(await text('bias')),
        epistemic: Number(await text('epi')),
        verdict: await card.locator('.verdict').innerText(),
        probDetail: await card.locator('[data-metric="prob"] .metric-detail').innerText(),
      };
    };
    // Drag and drop goes through the same path: drop a third image on the drop zone.
    const darkIndex = data.attributes.findIndex((a) => a.label === 1 && a.skin === 'dark');
    const dark = darkIndex >= 0 ? darkIndex : faceIndex;
    const dropped = Array.from(encodePng(data.images.subarray(dark * px, (dark + 1) * px), size, size));
    await page.evaluate((bytes) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
      document.getElementById('dropzone')!.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, dropped);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="result"]').length === 3, undefined, { timeout: 120_000 });
    const droppedScores = await read('dropped.png');
    expect(droppedScores.probability).toBeGreaterThanOrEqual(0);
    expect(droppedScores.probability).toBeLessThanOrEqual(100);

    // A sample link scores the sample in place (it used to download it).
    await page.click('a[data-sample="face-light"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="result"]').length === 4, undefined, { timeout: 120_000 });
    expect((await read('face-light.png')).probability).toBeGreaterThanOrEqual(0);

    const face = await read('synthetic-face.png');
    const nonFace = await read('texture.png');
    await page.screenshot({ path: '/tmp/dbvae-web-demo.png', fullPage: true });
    await page.close();


    // The same first prediction on the wasm backend (its .wasm files served from the build):
    // the wrapper's dropout masks are seeded, so the scores agree across backends.
    const wasmPage = await browser!.newPage();
    wasmPage.on('pageerror', (e) => errors.push(e.message));
    await wasmPage.goto(`${url}?backend=wasm`);
    await wasmPage.waitForSelector('#status[data-state="ready"]', { timeout: 120_000 });
    expect(await wasmPage.evaluate(() => document.body.dataset['backend'])).toBe('wasm');
    await wasmPage.setInputFiles('#file-input', [facePath]);
    await wasmPage.waitForSelector('[data-testid="result"]', { timeout: 120_000 });
    const onWasm = Number(await wasmPage.locator('[data-testid="result"]').getAttribute('data-probability'));
    await wasmPage.close();
    expect(Math.abs(100 * onWasm - face.probability)).toBeLessThan(1);

    expect(errors).toEqual([]);
    for (const s of [face, nonFace]) {
      expect(s.probability).toBeGreaterThanOrEqual(0);
      expect(s.probability).toBeLessThanOrEqual(100);
      expect(s.representation).toBeGreaterThanOrEqual(0);
      expect(s.representation).toBeLessThanOrEqual(100);
      expect(Number.isFinite(s.epistemic)).toBe(true);
      expect(s.epistemic).toBeGreaterThanOrEqual(0);
      expect(s.verdict).toBe(s.probability >= 50 ? 'Face' : 'Not a face');
      // The line under the probability bar says the same as the verdict.
      expect(s.probDetail).toBe(s.probability >= 50 ? 'classified as a face' : 'classified as not a face');
    }
    // The two images are told apart: a common light-skinned face scores higher than a texture.
    expect(face.probability).toBeGreaterThan(nonFace.probability);
    expect([face.representation, face.epistemic]).not.toEqual([nonFace.representation, nonFace.epistemic]);
  });
});
