import { defineConfig } from 'tsup';
import { packagePreset } from '../../tooling/tsup.preset';

// The library (src/index.ts) and the `dbvae` executable (src/bin.ts, with a shebang), ESM + CJS.
export default defineConfig(
  packagePreset({
    entry: { index: 'src/index.ts', bin: 'src/bin.ts' },
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
  }),
);
