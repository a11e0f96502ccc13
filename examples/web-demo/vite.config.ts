import { defineConfig } from 'vite';

// The page imports @dbvae/backend and @dbvae/risk-wrappers as an app would: through their
// package.json exports, i.e. the built `dist` (run `pnpm build` at the repository root first).
// Only browser-safe packages are imported by the page (never @dbvae/core-data, which needs Node).
export default defineConfig({
  // Relative asset URLs: the built page works from any sub-path.
  base: './',
  // The e2e test builds with a freshly trained tiny model from a temporary folder.
  publicDir: process.env['WEB_DEMO_PUBLIC_DIR'] ?? 'public',
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
