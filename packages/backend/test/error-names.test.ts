/**
 * Error names survive minification: every DbvaeError subclass in every package, bundled and
 * minified by esbuild as an app's bundler would, reports its own class name as `name`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const packagesDir = fileURLToPath(new URL('../..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every exported class declared as `class X extends YError` in a package's sources, by file. */
function errorClasses(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const pkg of readdirSync(packagesDir)) {
    const src = join(packagesDir, pkg, 'src');
    if (pkg === 'test-utils' || !statSync(src, { throwIfNoEntry: false })?.isDirectory()) continue;
    for (const file of sourceFiles(src)) {
      const names = [...readFileSync(file, 'utf8').matchAll(/export class (\w+) extends (\w*Error)\b/g)].map((m) => m[1] as string);
      if (names.length > 0) found.set(file, names);
    }
  }
  return found;
}

// Heavy, native or Node-only imports of files that also declare an error (the CLI's chart renderer, the queue):
// stubbed, since only the error classes are instantiated (the packages' own error files are
// reached by path, so a class extending another package's error is still bundled for real).
const stubs: Plugin = {
  name: 'stubs',
  setup(b) {
    b.onResolve({ filter: /^(sharp|vega|vega-lite|@tensorflow\/.*|bullmq|ioredis|node:.*|@dbvae\/(core-data|models|risk-wrappers|resampling|gan-debias))$/ }, (args) => ({ path: args.path, namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
    // @dbvae/backend as its error classes only, in a CommonJS shim so that the other names a
    // file imports from it (tf, createRandom, ...) bundle as undefined instead of failing.
    b.onResolve({ filter: /^@dbvae\/backend$/ }, () => ({ path: '@dbvae/backend', namespace: 'backend-errors' }));
    b.onLoad({ filter: /.*/, namespace: 'backend-errors' }, () => ({ contents: `module.exports = require(${JSON.stringify(join(packagesDir, 'backend/src/errors.ts'))});`, loader: 'js', resolveDir: packagesDir }));
  },
};

describe('error names after minification', () => {
  it('every DbvaeError subclass keeps its class name and code in a minified bundle', async () => {
    const classes = errorClasses();
    const all = [...classes.values()].flat();
    // The seven packages declare at least these; a new one is picked up by the scan.
    expect(all).toEqual(expect.arrayContaining(['DbvaeError', 'BackendError', 'WasmBinaryError', 'ShapeError', 'DatasetError', 'ModelError', 'RiskWrapperError', 'UsageError', 'GanDebiasError', 'ChartRenderError']));
    const entry = [...classes].map(([file, names]) => `export { ${names.join(', ')} } from ${JSON.stringify(file)};`).join('\n');
    const out = await build({
      stdin: { contents: entry, resolveDir: packagesDir, loader: 'ts' },
      bundle: true,
      minify: true,
      keepNames: false,
      format: 'esm',
      platform: 'browser',
      write: false,
      plugins: [stubs],
      logLevel: 'silent',
    });
    const dir = await mkdtemp(join(tmpdir(), 'dbvae-error-names-'));
    try {
      const file = join(dir, 'bundle.mjs');
      await writeFile(file, out.outputFiles[0]!.text);
      const bundled = (await import(pathToFileURL(file).href)) as Record<string, new (...args: unknown[]) => Error & { code: string }>;
      const Base = bundled['DbvaeError']!;
      const wrong: string[] = [];
      for (const name of all) {
        const ErrorClass = bundled[name]!;
        // Minification really renamed the class (else this test would prove nothing).
        expect(ErrorClass.name).not.toBe(name);
        const error = new ErrorClass('message', undefined, undefined);
        expect(error).toBeInstanceOf(Base);
        if (error.name !== name) wrong.push(`${name} -> ${error.name}`);
        expect(error.code).toMatch(/^E_[A-Z0-9_]+$/);
      }
      expect(wrong).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
