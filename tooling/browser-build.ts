import { dirname, join } from 'node:path';
import type { Plugin } from 'esbuild';

/**
 * How a package's browser build differs from its Node build: the same `src/index.ts`, with
 * each Node-only source file (one that imports node:fs, sharp, ...) replaced by `standIn`,
 * a file exporting the same names as browser stand-ins that throw `NodeOnlyError`.
 */
export interface BrowserSwaps {
  /** Node-only source files, relative to `src/` and without extension, e.g. `hdf5`. */
  nodeOnly: readonly string[];
  /** The stand-in file, relative to `src/` and without extension. */
  standIn: string;
}

/** `@dbvae/core-data`: the file readers and writers (node:fs, node:path, sharp, h5wasm). */
export const CORE_DATA_BROWSER_SWAPS: BrowserSwaps = {
  nodeOnly: ['hdf5', 'image-folder', 'image-source', 'synth-faces-writer'],
  standIn: 'node-only-browser',
};

/**
 * An esbuild plugin (tsup takes it in `esbuildPlugins`) that resolves relative imports of the
 * Node-only files under `srcDir` to the stand-in. Imports made by the stand-in itself are
 * `import type` only and vanish before resolution.
 */
export function browserSwapPlugin(srcDir: string, swaps: BrowserSwaps): Plugin {
  const nodeOnly = new Set(swaps.nodeOnly.map((name) => join(srcDir, name)));
  const standIn = join(srcDir, `${swaps.standIn}.ts`);
  return {
    name: 'dbvae-browser-swaps',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        const target = join(args.resolveDir || dirname(args.importer), args.path).replace(/\.(ts|js)$/, '');
        return nodeOnly.has(target) ? { path: standIn } : undefined;
      });
    },
  };
}
