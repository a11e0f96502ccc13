import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const packagesDir = fileURLToPath(new URL('../../packages', import.meta.url));

// Inside the monorepo the page imports the dbvae packages from their sources (no build step),
// as the root vitest and tsconfig do. Only browser-safe packages are imported by the page:
// @dbvae/backend and @dbvae/risk-wrappers (never @dbvae/core-data, which needs Node).
const alias = Object.fromEntries(
  readdirSync(packagesDir)
    .filter((name) => existsSync(`${packagesDir}/${name}/src/index.ts`))
    .map((name) => [`@dbvae/${name}`, `${packagesDir}/${name}/src/index.ts`]),
);

export default defineConfig({
  // Relative asset URLs: the built page works from any sub-path.
  base: './',
  // The e2e test builds with a freshly trained tiny model from a temporary folder.
  publicDir: process.env['WEB_DEMO_PUBLIC_DIR'] ?? 'public',
  resolve: { alias },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
