import { defineConfig } from 'tsup';
import { packagePreset } from '../../tooling/tsup.preset';

// The data-parallel trainer starts `replica-worker` beside the bundle in worker threads; the
// shims give the CommonJS build an `import.meta.url` to find it by.
export default defineConfig(packagePreset({ entry: ['src/index.ts', 'src/replica-worker.ts'], shims: true }));
