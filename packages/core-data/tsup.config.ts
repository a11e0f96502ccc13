import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';
import { browserSwapPlugin, CORE_DATA_BROWSER_SWAPS } from '../../tooling/browser-build';
import { packagePreset } from '../../tooling/tsup.preset';

const srcDir = fileURLToPath(new URL('./src', import.meta.url));

// tsup runs the two builds at once, so neither cleans `dist` (one could delete the other's
// output); the package's build script empties it first.
export default defineConfig([
  // Node: dist/index.{js,cjs,d.ts,d.cts}, as before.
  packagePreset({ platform: 'node', clean: false }),
  // Browsers (the `browser` export condition): dist/browser.js, the same sources with the file
  // readers and writers swapped for stand-ins that throw NodeOnlyError, so that no node:fs,
  // node:path, sharp or h5wasm import reaches a browser bundler. Types are those of index.d.ts.
  packagePreset({
    entry: { browser: 'src/index.ts' },
    format: ['esm'],
    platform: 'browser',
    dts: false,
    clean: false,
    esbuildPlugins: [browserSwapPlugin(srcDir, CORE_DATA_BROWSER_SWAPS)],
  }),
]);
