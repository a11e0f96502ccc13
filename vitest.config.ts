import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('./packages', import.meta.url));

// Tests import sibling packages by name; point those names at their sources so that the
// suite runs without a build, exactly as `tsconfig.json`'s `paths` do for the type checker.
const alias = Object.fromEntries(
  readdirSync(packagesDir)
    .filter((name) => existsSync(`${packagesDir}/${name}/src/index.ts`))
    .map((name) => [`@dbvae/${name}`, `${packagesDir}/${name}/src/index.ts`]),
);

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'tooling/test/**/*.test.ts'],
    environment: 'node',
    // The suites choose tfjs's cpu backend on purpose (exact, deterministic); the cpu-fallback
    // tests set their own policy.
    env: { DBVAE_CPU_FALLBACK: 'allow' },
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', './tooling/summary-reporter.ts'],
  },
});
