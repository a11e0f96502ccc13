/**
 * Unserved .wasm binaries: initBackend throws a typed WasmBinaryError naming `wasmPaths`
 * instead of telling the user to install a backend that is installed, or silently falling
 * back to cpu. (Its own file: tfjs's wasm module cannot be re-initialised in one process.)
 */
import { describe, expect, it } from 'vitest';
import { BackendError, WasmBinaryError, initBackend, tf } from '@dbvae/backend';

describe('initBackend with unreachable wasm binaries', () => {
  it('throws WasmBinaryError naming wasmPaths rather than falling back to cpu', async () => {
    const missing = '/nonexistent-dbvae-wasm/';
    const error = await initBackend({ wasmPaths: missing, force: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WasmBinaryError);
    expect(error).toBeInstanceOf(BackendError);
    const e = error as WasmBinaryError;
    expect(e.name).toBe('WasmBinaryError');
    expect(e.code).toBe('E_WASM_BINARY');
    expect(e.wasmPaths).toBe(missing);
    expect(e.message).toContain('wasmPaths');
    expect(e.message).toContain(missing);
    expect(e.message).toContain('tfjs-backend-wasm-simd.wasm');
    expect(e.message).not.toMatch(/install @tensorflow\/tfjs-backend-wasm/i);
    expect(tf.getBackend()).not.toBe('wasm');
  });

  it('falls back to cpu only when the caller lists cpu after wasm', async () => {
    const chosen = await initBackend({ backend: ['wasm', 'cpu'], force: true });
    expect(chosen.name).toBe('cpu');
    expect(chosen.attempts[0]).toMatchObject({ name: 'wasm', status: 'unavailable' });
  });
});
