/**
 * A browser app imports `@dbvae/core-data` and `@dbvae/models` with no aliases: esbuild, with
 * `platform: 'browser'` and its default conditions (`browser`, `import`, ...), follows each
 * package's exports map, exactly as Vite and webpack do, and the bundle it builds must reach
 * no Node-only module (node:fs, node:path, sharp, worker threads, h5wasm's Node build).
 *
 * The suite runs without a build, so the exports map is followed to the built file's source,
 * built as tsup builds it: `./dist/index.js` from `src/index.ts`, `./dist/browser.js` from
 * `src/index.ts` with the package's Node-only files swapped for its stand-ins (the same plugin
 * and list as its tsup config). Sibling `@dbvae/*` packages are resolved the same way.
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { browserSwapPlugin, CORE_DATA_BROWSER_SWAPS, type BrowserSwaps } from '../browser-build';

const packagesDir = fileURLToPath(new URL('../../packages', import.meta.url));

/** Modules a browser cannot load: Node's built-ins (with or without `node:`) and Node-only dependencies. */
const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const NODE_ONLY_PACKAGES = ['sharp', 'h5wasm'];

type ExportTarget = string | { [condition: string]: ExportTarget };

/** Follows a package's `exports["."]` for the given conditions, in key order, as bundlers do. */
function resolveExport(target: ExportTarget, conditions: readonly string[]): string | undefined {
  if (typeof target === 'string') return target;
  for (const [condition, next] of Object.entries(target)) {
    if (condition === 'default' || conditions.includes(condition)) {
      const found = resolveExport(next, conditions);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** esbuild's conditions for `platform: 'browser'`, an ESM import, types not wanted. */
const BROWSER_CONDITIONS = ['browser', 'import', 'module'];

/** Packages whose `dist/browser.js` is built with Node-only files swapped (see their tsup configs). */
const BROWSER_SWAPS: Record<string, BrowserSwaps> = { 'core-data': CORE_DATA_BROWSER_SWAPS };

/** The source file behind the export a browser bundler picks for `@dbvae/<name>`, and whether it is the swapped browser build. */
function browserEntry(name: string): { source: string; swapped: boolean } {
  const manifest = JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8')) as { exports: { '.': ExportTarget } };
  const built = resolveExport(manifest.exports['.'], BROWSER_CONDITIONS);
  if (built === undefined) throw new Error(`@dbvae/${name} has no export for a browser bundler`);
  const source = join(packagesDir, name, 'src', 'index.ts');
  if (built === './dist/index.js') return { source, swapped: false };
  if (built === './dist/browser.js' && BROWSER_SWAPS[name]) return { source, swapped: true };
  throw new Error(`@dbvae/${name}: unexpected browser export ${built}`);
}

/** Resolves `@dbvae/*` through the exports maps (to sources, swapped where the browser build swaps); tfjs stays external, as an app's own dependency. */
const workspacePackages: Plugin = {
  name: 'dbvae-workspace',
  setup(pluginBuild) {
    const swapPlugins = Object.entries(BROWSER_SWAPS).map(([name, swaps]) => browserSwapPlugin(join(packagesDir, name, 'src'), swaps));
    const swappedPackages = new Set<string>();
    pluginBuild.onResolve({ filter: /^@dbvae\// }, (args) => {
      const name = args.path.slice('@dbvae/'.length);
      const { source, swapped } = browserEntry(name);
      if (swapped) swappedPackages.add(name);
      return { path: source };
    });
    pluginBuild.onResolve({ filter: /^@tensorflow\// }, (args) => ({ path: args.path, external: true }));
    // The swaps apply only inside packages whose browser export is the swapped build.
    const swapsOf = new Map(Object.keys(BROWSER_SWAPS).map((name, i) => [name, swapPlugins[i]!] as const));
    for (const [name, plugin] of swapsOf) {
      const srcDir = join(packagesDir, name, 'src');
      plugin.setup({
        ...pluginBuild,
        onResolve: (options, callback) =>
          pluginBuild.onResolve(options, (args) => (swappedPackages.has(name) && args.importer.startsWith(srcDir) ? callback(args) : undefined)),
      });
    }
  },
};

/** Every import the bundle keeps or tried to resolve, by specifier. */
function importedSpecifiers(metafile: Metafile): string[] {
  return Object.values(metafile.inputs).flatMap((input) => input.imports.map((entry) => entry.original ?? entry.path));
}

async function bundleForBrowser(name: string): Promise<{ errors: string[]; specifiers: string[]; code: string; exports: string[] }> {
  try {
    const result = await build({
      stdin: { contents: `export * from '@dbvae/${name}';`, resolveDir: packagesDir, loader: 'ts' },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      metafile: true,
      logLevel: 'silent',
      plugins: [workspacePackages],
    });
    const output = Object.values(result.metafile.outputs)[0];
    return { errors: [], specifiers: importedSpecifiers(result.metafile), code: result.outputFiles[0]?.text ?? '', exports: [...(output?.exports ?? [])].sort() };
  } catch (error) {
    const failures = (error as { errors?: { text: string }[] }).errors ?? [{ text: String(error) }];
    return { errors: failures.map((failure) => failure.text), specifiers: [], code: '', exports: [] };
  }
}

describe.each(['core-data', 'models'])('the browser entry of @dbvae/%s', (name) => {
  it('bundles for a browser with no aliases and imports no Node-only module', async () => {
    const { errors, specifiers, code } = await bundleForBrowser(name);
    expect(errors).toEqual([]);
    const nodeOnly = specifiers.filter((specifier) => NODE_BUILTINS.has(specifier) || NODE_ONLY_PACKAGES.some((pkg) => specifier === pkg || specifier.startsWith(`${pkg}/`)));
    expect(nodeOnly).toEqual([]);
    // Only tfjs is left for the app's bundler to resolve.
    expect(specifiers.filter((specifier) => !specifier.startsWith('@tensorflow/') && !specifier.startsWith('/') && !specifier.startsWith('.') && !specifier.startsWith('@dbvae/'))).toEqual([]);
    expect(code).not.toMatch(/\bfrom\s*["'](node:|sharp|h5wasm)/);
  }, 60_000);

  it('exports the same names as the Node entry', async () => {
    const { exports } = await bundleForBrowser(name);
    const nodeEntry = (await import(join(packagesDir, name, 'src', 'index.ts'))) as Record<string, unknown>;
    expect(exports).toEqual(Object.keys(nodeEntry).sort());
  }, 60_000);
});
