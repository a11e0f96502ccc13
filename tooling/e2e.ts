/**
 * `pnpm e2e`: the browser checks, on Debian's Chromium (`apt-get install chromium`), headless,
 * wasm backend, tiny sizes. Installs nothing.
 *
 * 1. The web lab (examples/web-lab, built by Vite from the packages' dist): trains both models
 *    in the page, checks per-group results and the figures, drops an image and checks its
 *    scores, saves a full-page screenshot (examples/web-lab/screenshot.png) and reports the
 *    time to the first trained model.
 * 2. The docs site (docs/api, built by typedoc): every internal link of every page resolves,
 *    and the home, package and guide pages load without console errors.
 *
 *   pnpm e2e              # both
 *   pnpm e2e lab | docs   # one
 *
 * Builds what is missing first: the packages' dist (`pnpm build`), the lab, the docs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.md': 'text/markdown',
};

function sh(cmd: string, args: string[], cwd = root, env: NodeJS.ProcessEnv = {}): void {
  execFileSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });
}

/** A static file server on 127.0.0.1 at a free port; records every 404. */
async function serve(dir: string): Promise<{ server: Server; url: string; missing: string[] }> {
  const missing: string[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      // Chromium asks every origin for /favicon.ico on its own; typedoc's pages link none.
      if (path === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      const file = normalize(join(dir, path.endsWith('/') ? `${path}index.html` : path));
      if (!file.startsWith(dir) || !(await stat(file).catch(() => null))?.isFile()) {
        missing.push(path);
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(await readFile(file));
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, missing };
}

function watchConsole(page: Page, errors: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`e2e: ${message}`);
}

async function labCheck(browser: Browser): Promise<void> {
  const labDir = join(root, 'examples/web-lab');
  const out = await mkdtemp(join(tmpdir(), 'dbvae-web-lab-'));
  const t0 = Date.now();
  sh(process.execPath, [join(labDir, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'error'], labDir);
  console.log(`web-lab: built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const { server, url } = await serve(out);
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    watchConsole(page, errors);
    // Tiny sizes by default; E2E_LAB_QUERY measures others (e.g. the page's defaults: 'backend=wasm&autostart=1').
    const query = process.env['E2E_LAB_QUERY'] ?? 'n=256&size=16&epochs=1&filters=4&dense=16&latent=4&test=12&backend=wasm&autostart=1';
    const started = Date.now();
    await page.goto(`${url}?${query}`);
    await page.waitForFunction(() => document.body.dataset['firstModelSeconds'] !== undefined || document.body.dataset['state'] === 'error', undefined, { timeout: 1_500_000 });
    const firstModel = Number(await page.evaluate(() => document.body.dataset['firstModelSeconds']));
    await page.waitForFunction(() => document.body.dataset['trained'] === 'true' || document.body.dataset['state'] === 'error', undefined, { timeout: 1_500_000 });
    const status = await page.textContent('#status');
    check((await page.evaluate(() => document.body.dataset['state'])) === 'ready', `the lab did not finish: ${status}`);
    const backend = await page.textContent('#backend');
    check(backend === 'wasm', `expected the wasm backend, got ${backend}`);
    // Per-group results of both models: a bar with an accuracy in [0, 1] and an interval around it.
    for (const model of ['standard', 'dbvae']) {
      for (const group of ['LF', 'LM', 'DF', 'DM']) {
        const bar = page.locator(`#group-chart rect[data-model="${model}"][data-group="${group}"]`);
        const [acc, low, high] = await Promise.all(['data-accuracy', 'data-low', 'data-high'].map(async (a) => Number(await bar.getAttribute(a))));
        check(acc! >= 0 && acc! <= 1 && low! <= acc! && acc! <= high!, `${model} ${group}: accuracy ${acc} outside its interval [${low}, ${high}]`);
      }
    }
    check((await page.locator('#least img').count()) > 0 && (await page.locator('#most img').count()) > 0, 'no least/most represented faces');
    check((await page.locator('#accuracy-vs-representation circle').count()) === 5, 'accuracy vs representation should have 5 chunks');
    // Drop an image (a drawn face-like disc) on the drop zone, as a user would.
    await page.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 64;
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#6b8fb3';
      ctx.fillRect(0, 0, 64, 64);
      ctx.fillStyle = '#e0b08c';
      ctx.beginPath();
      ctx.ellipse(32, 34, 18, 22, 0, 0, 2 * Math.PI);
      ctx.fill();
      const blob = await new Promise<Blob>((ok) => canvas.toBlob((b) => ok(b!), 'image/png'));
      const transfer = new DataTransfer();
      transfer.items.add(new File([blob], 'my-face.png', { type: 'image/png' }));
      document.getElementById('dropzone')!.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    const card = page.locator('[data-testid="scored"]').first();
    await card.waitFor({ timeout: 60_000 });
    const probability = Number(await card.getAttribute('data-probability'));
    const representation = Number(await card.getAttribute('data-representation'));
    check(probability >= 0 && probability <= 1, `dropped image: probability ${probability}`);
    check(representation >= 0 && representation <= 100, `dropped image: representation ${representation}`);
    check((await card.textContent())?.includes('my-face.png'), 'the score card does not name the dropped file');
    await page.screenshot({ path: process.env['E2E_LAB_SCREENSHOT'] ?? join(labDir, 'screenshot.png'), fullPage: true });
    check(errors.length === 0, `console errors on the lab page:\n${errors.join('\n')}`);
    console.log(
      `web-lab: OK on ${backend}; first trained model after ${firstModel.toFixed(1)} s in the page, both models and figures after ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `dropped image scored (p = ${probability.toFixed(3)}, representation ${representation.toFixed(0)}th percentile); screenshot examples/web-lab/screenshot.png`,
    );
    await page.close();
  } finally {
    await new Promise<void>((ok) => server.close(() => ok()));
    await rm(out, { recursive: true, force: true });
  }
}

async function htmlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.html')).map((e) => join(e.parentPath, e.name));
}

async function docsCheck(browser: Browser): Promise<void> {
  const docs = join(root, 'docs/api');
  if (!existsSync(join(docs, 'index.html'))) sh('pnpm', ['docs']);
  const pages = await htmlFiles(docs);
  const { server, url, missing } = await serve(docs);
  try {
    // 1. Every internal link (href and src) of every page resolves to a file.
    const broken: string[] = [];
    for (const file of pages) {
      const html = await readFile(file, 'utf8');
      const pageUrl = new URL(file.slice(docs.length + 1), url);
      for (const m of html.matchAll(/\s(?:href|src)="([^"#][^"]*?)(?:#[^"]*)?"/g)) {
        const target = new URL(m[1]!, pageUrl);
        if (target.origin !== new URL(url).origin) continue;
        const path = normalize(join(docs, decodeURIComponent(target.pathname)));
        if (!(await stat(path).catch(() => null))?.isFile()) broken.push(`${file.slice(docs.length + 1)} -> ${m[1]}`);
      }
    }
    check(broken.length === 0, `${broken.length} broken internal links in docs/api:\n${[...new Set(broken)].slice(0, 30).join('\n')}`);
    // 2. The home, package and guide pages load in Chromium without console errors or 404s.
    const visit = pages.filter((p) => /docs\/api\/(index|modules\/[^/]+|documents\/[^/]+)\.html$/.test(p));
    const errors: string[] = [];
    const page = await browser.newPage();
    watchConsole(page, errors);
    for (const file of visit) await page.goto(new URL(file.slice(docs.length + 1), url).href, { waitUntil: 'load' });
    await page.close();
    check(errors.length === 0, `console errors in the docs site:\n${errors.join('\n')}\nmissing files: ${missing.join(', ')}`);
    check(missing.length === 0, `the docs pages requested missing files: ${missing.join(', ')}`);
    console.log(`docs: OK, ${pages.length} pages, every internal link resolves; ${visit.length} pages (home, packages, guides) load without console errors`);
  } finally {
    await new Promise<void>((ok) => server.close(() => ok()));
  }
}

const only = process.argv[2];
if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM.`);
  process.exit(1);
}
if (!['backend', 'core-data', 'models', 'resampling', 'risk-wrappers'].every((p) => existsSync(join(root, 'packages', p, 'dist/index.js')))) sh('pnpm', ['build']);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
try {
  if (only === undefined || only === 'lab') await labCheck(browser);
  if (only === undefined || only === 'docs') await docsCheck(browser);
} finally {
  await browser.close();
}
