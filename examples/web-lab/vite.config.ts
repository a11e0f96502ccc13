import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The page uses the dbvae packages exactly as an app would: through their package.json
// exports, i.e. the built `dist` files (run `pnpm build` at the repository root first). No
// alias points at the sources. The only aliases replace Node-only modules that the browser
// never reaches (@dbvae/core-data's file readers import fs, path and sharp; @dbvae/models'
// worker threads import module and url) with a stub that throws if called.
const stub = fileURLToPath(new URL('./src/stubs/node-only.ts', import.meta.url));

export default defineConfig({
  base: './',
  resolve: { alias: [{ find: /^(node:)?(fs|fs\/promises|path|url|module)$|^sharp$/, replacement: stub }] },
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: { target: 'es2022', chunkSizeWarningLimit: 8192 },
});
