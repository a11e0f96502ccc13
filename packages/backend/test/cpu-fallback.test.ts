/**
 * Training on an unrequested cpu backend is loud: checkTrainingBackend warns once per process
 * (or throws CpuFallbackError under the 'error' policy), and stays quiet when cpu was asked for
 * or a faster backend is active.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CpuFallbackError, InvalidArgumentError, checkTrainingBackend, getCpuFallbackPolicy, initBackend, setCpuFallbackPolicy, tf } from '@dbvae/backend';

describe('checkTrainingBackend', () => {
  afterEach(() => {
    setCpuFallbackPolicy(undefined);
    vi.restoreAllMocks();
  });

  it('warns once, naming initBackend, when training starts on the default cpu backend', async () => {
    await tf.setBackend('cpu'); // what tfjs falls back to when initBackend() is skipped
    setCpuFallbackPolicy('warn');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(checkTrainingBackend('trainClassifier')).toBe(true);
    expect(checkTrainingBackend('trainClassifier')).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/trainClassifier.*'cpu' backend.*initBackend\(\)/s);
  });

  it("throws CpuFallbackError under the 'error' policy, from the variable or the setter", async () => {
    await tf.setBackend('cpu');
    setCpuFallbackPolicy('error');
    expect(() => checkTrainingBackend('fit')).toThrow(CpuFallbackError);
    setCpuFallbackPolicy(undefined);
    vi.stubEnv('DBVAE_CPU_FALLBACK', 'error');
    try {
      expect(getCpuFallbackPolicy()).toBe('error');
      let caught: unknown;
      try {
        checkTrainingBackend('fit');
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(CpuFallbackError);
      expect((caught as CpuFallbackError).code).toBe('E_CPU_FALLBACK');
      expect((caught as CpuFallbackError).name).toBe('CpuFallbackError');
      vi.stubEnv('DBVAE_CPU_FALLBACK', 'loud');
      expect(() => getCpuFallbackPolicy()).toThrow(InvalidArgumentError);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('is quiet when cpu was asked for, or when wasm is active', async () => {
    setCpuFallbackPolicy('error');
    await initBackend({ backend: 'cpu', force: true });
    expect(checkTrainingBackend('fit')).toBe(false);
    await initBackend({ backend: 'wasm', force: true });
    expect(tf.getBackend()).toBe('wasm');
    expect(checkTrainingBackend('fit')).toBe(false);
  });

  it("'allow' reports the fallback without a message", async () => {
    await initBackend({ backend: 'wasm', force: true });
    await tf.setBackend('cpu'); // switched behind initBackend's back
    setCpuFallbackPolicy('allow');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(checkTrainingBackend('fit')).toBe(true);
    expect(warn).not.toHaveBeenCalled();
    expect(() => setCpuFallbackPolicy('loud' as never)).toThrow(InvalidArgumentError);
  });
});
