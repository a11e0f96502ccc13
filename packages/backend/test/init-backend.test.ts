/**
 * Backend selection that works in bundled apps: a backend the app registered by its own import
 * (here a stand-in registered under the name 'webgpu') is found through the engine's registry
 * and chosen first; nothing is imported by a name a bundler cannot see.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@dbvae/backend';

const backendSrc = fileURLToPath(new URL('../src', import.meta.url));

describe('initBackend finds backends the app registered', () => {
  afterAll(() => {
    tf.removeBackend('webgpu');
  });

  it('reports an unregistered webgpu as a missing import of the app, not as "not installed"', async () => {
    const chosen = await initBackend({ backend: ['webgpu', 'cpu'], force: true });
    expect(chosen.name).toBe('cpu');
    expect(chosen.attempts[0]?.status).toBe('unavailable');
    expect(chosen.attempts[0]?.reason).not.toMatch(/not installed/);
  });

  it('chooses webgpu when the app registered it (by importing @tensorflow/tfjs-backend-webgpu)', async () => {
    // A stand-in for the real package's side effect: a backend registered under 'webgpu'.
    const cpuFactory = tf.findBackendFactory('cpu');
    expect(cpuFactory).not.toBeNull();
    tf.registerBackend('webgpu', () => cpuFactory!());
    const chosen = await initBackend({ backend: ['webgpu', 'wasm', 'cpu'], force: true });
    expect(chosen.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(chosen.attempts.map((a) => a.status)).toEqual(['chosen', 'skipped', 'skipped']);
  });

  it('uses a tensorflow backend the app already registered instead of importing tfjs-node', async () => {
    const cpuFactory = tf.findBackendFactory('cpu');
    tf.registerBackend('tensorflow', () => cpuFactory!());
    try {
      const chosen = await initBackend({ backend: ['node', 'cpu'], force: true });
      expect(chosen.name).toBe('node');
      expect(chosen.tfBackend).toBe('tensorflow');
    } finally {
      await tf.setBackend('cpu');
      tf.removeBackend('tensorflow');
    }
  });
});

describe('@dbvae/backend in a browser bundle', () => {
  it('bundles for the browser with esbuild without warnings, eval or Function-built imports', async () => {
    const result = await build({
      entryPoints: [`${backendSrc}/index.ts`],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      minify: true,
      write: false,
      external: ['@tensorflow/*'],
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/new Function|\beval\(/);
    // The wasm backend is a static, literal import the bundler can follow.
    expect(code).toContain('"@tensorflow/tfjs-backend-wasm"');
    expect(readFileSync(`${backendSrc}/init-backend.ts`, 'utf8')).not.toMatch(/new Function/);
  });
});
