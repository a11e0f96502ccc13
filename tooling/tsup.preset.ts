import type { Options } from 'tsup';

/**
 * Shared build settings for every publishable package: ESM + CJS + declarations from
 * `src/index.ts`. Dependencies and peers stay external (tsup's default), so a user's app
 * keeps exactly one copy of tfjs.
 */
export function packagePreset(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    splitting: false,
    treeshake: true,
    tsconfig: 'tsconfig.json',
    ...overrides,
  };
}
