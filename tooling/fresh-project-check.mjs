#!/usr/bin/env node
/**
 * Fresh-project check: what a new user gets from the registry, without the monorepo.
 *
 * Packs the packages the README's "Wrap your classifier" snippet needs (`pnpm pack`, which
 * rewrites `workspace:` ranges as a publish does), installs the tarballs with each package
 * manager into an empty temporary project (the README's install line, the tarballs standing in
 * for the registry's versions), and runs the README's snippet verbatim (code block taken from
 * README.md at run time) plus a `file://` save and load of the wrapper, as ESM.
 *
 *   node tooling/fresh-project-check.mjs               # npm and pnpm
 *   node tooling/fresh-project-check.mjs --pm npm      # one manager
 *   node tooling/fresh-project-check.mjs --keep        # keep the temporary projects
 *
 * Builds the packages first when their dist is missing. Needs the npm registry (tfjs).
 */
/* global process, console, URL */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const pmIndex = args.indexOf('--pm');
const managers = pmIndex >= 0 ? [args[pmIndex + 1]] : ['npm', 'pnpm'];
for (const pm of managers) if (!['npm', 'pnpm'].includes(pm)) throw new Error(`--pm: npm or pnpm, got ${pm}`);

/** The packages the snippet imports, and their dbvae dependencies. */
const PACKAGES = ['backend', 'risk-wrappers'];

function run(cmd, argv, cwd, env = {}) {
  const started = Date.now();
  execFileSync(cmd, argv, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  return (Date.now() - started) / 1000;
}

/** The README's first ```ts block after "## Wrap your classifier", verbatim. */
function readmeSnippet() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Wrap your classifier'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README.md: no ```ts block under "## Wrap your classifier"');
  return match[1];
}

function installLine() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Wrap your classifier'));
  const match = /^npm install ([^\n#]+)$/m.exec(section);
  if (!match) throw new Error('README.md: no npm install line under "## Wrap your classifier"');
  return match[1].trim().split(/\s+/);
}

const work = mkdtempSync(join(tmpdir(), 'dbvae-fresh-'));
const timings = {};
try {
  for (const name of PACKAGES) {
    if (!existsSync(join(root, 'packages', name, 'dist', 'index.js'))) run('pnpm', ['--filter', `@dbvae/${name}`, 'run', 'build'], root);
  }
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  for (const name of PACKAGES) run('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', name));
  const tgz = Object.fromEntries(
    readdirSync(tarballs).map((file) => {
      const pkg = `@dbvae/${PACKAGES.find((p) => file.startsWith(`dbvae-${p}-`))}`;
      return [pkg, `file:${join(tarballs, file)}`];
    }),
  );

  // The snippet's data (xTrain, yTrain, xTest) come from the user; here, two Gaussian blobs.
  const prelude = `import * as tfUser from '@tensorflow/tfjs';
const n = 256;
const xs = [], ys = [];
for (let i = 0; i < n; i++) { const c = i % 2; ys.push(c); xs.push((c ? 1 : -1) + Math.sin(i * 12.9898) * 0.5, (c ? 1 : -1) + Math.cos(i * 78.233) * 0.5); }
const xTrain = tfUser.tensor2d(xs, [n, 2]);
const yTrain = tfUser.tensor2d(ys, [n, 1]);
const xTest = tfUser.tensor2d([1, 1, -1, -1, 6, -6], [3, 2]);
`;
  const snippet = readmeSnippet().replace(/epochs: \d+/, 'epochs: 3');
  const imports = snippet.match(/^import .*$/gm).join('\n');
  const body = snippet.replace(/^import .*$/gm, '');
  const epilogue = `
// One engine: the user's own tfjs and dbvae's are the same module.
if (tfUser.engine() !== tf.engine()) throw new Error('two tfjs engines');
import { loadRiskWrapper } from '@dbvae/risk-wrappers';
await wrapped.save('file://./saved-wrapper');
const loaded = await loadRiskWrapper('file://./saved-wrapper');
const again = loaded.predict(xTest);
// yHat is an MC-dropout mean (random); bias and aleatoric are deterministic.
const first = wrapped.predict(xTest);
for (const key of ['bias', 'aleatoric']) {
  const [a, b] = [Array.from(await first[key].data()), Array.from(await again[key].data())];
  if (a.join() !== b.join()) throw new Error('file:// round trip changed ' + key + ': ' + a + ' vs ' + b);
}
console.log('fresh-project check: OK on backend', tf.getBackend());
`;
  const program = `${imports}\n${prelude}${body}${epilogue}`;

  for (const pm of managers) {
    const dir = join(work, pm);
    mkdirSync(dir);
    // The README's dependencies, as its install line names them; @dbvae/* from the tarballs.
    const dependencies = Object.fromEntries(installLine().map((name) => [name, tgz[name] ?? '4.22.0']));
    const manifest = { name: `fresh-${pm}`, private: true, type: 'module', dependencies };
    // A tarball's own @dbvae dependencies point at the registry's version: send them to the tarballs.
    if (pm === 'npm') manifest.overrides = tgz;
    else manifest.pnpm = { overrides: tgz };
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
    writeFileSync(join(dir, 'snippet.mjs'), program);
    timings[`${pm} install`] =
      pm === 'npm'
        ? run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir)
        : run('pnpm', ['install', '--config.confirmModulesPurge=false', '--reporter=silent'], dir);
    timings[`${pm} snippet`] = run(process.execPath, ['snippet.mjs'], dir, { DBVAE_CPU_FALLBACK: 'error' });
  }
  console.log('fresh-project check passed:', Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', '));
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
