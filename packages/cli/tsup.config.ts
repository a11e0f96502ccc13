import { defineConfig } from 'tsup';
import { packagePreset } from '../../tooling/tsup.preset';

// The library (src/index.ts), the `dbvae` executable (src/bin.ts, with a shebang) and the scoring
// thread it starts beside the bundle (src/scoring/score-thread.ts), ESM + CJS; the shims give the
// CommonJS build an `import.meta.url` to find the thread by.
export default defineConfig(
  packagePreset({
    entry: { index: 'src/index.ts', bin: 'src/bin.ts', 'score-thread': 'src/scoring/score-thread.ts' },
    shims: true,
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
  }),
);
