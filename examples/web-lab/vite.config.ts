import { defineConfig } from 'vite';

// The page uses the dbvae packages exactly as an app would: through their package.json
// exports, i.e. the built `dist` files (run `pnpm build` at the repository root first). No
// alias at all: Vite's `browser` export condition picks @dbvae/core-data's browser build,
// which imports no Node module, and @dbvae/models loads Node's modules only in its Node-only
// data-parallel trainer, which the page never calls.
export default defineConfig({
  base: './',
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: { target: 'es2022', chunkSizeWarningLimit: 8192 },
});
