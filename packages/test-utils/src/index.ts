/**
 * Test helpers shared by the dbvae packages. Private: never published.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/**
 * Runs `fn` once to warm up (first calls may create lasting state such as optimizer slots or
 * cached constants), then `iterations` more times, and fails if the number of live tensors
 * grew over those repeated calls. Returns the last result.
 */
export async function expectNoTensorLeaks<T>(fn: () => T | Promise<T>, iterations = 3): Promise<T> {
  let result = await fn();
  const before = tf.memory().numTensors;
  for (let i = 0; i < iterations; i++) result = await fn();
  const after = tf.memory().numTensors;
  expect(after, `live tensors grew from ${before} to ${after} over ${iterations} calls`).toBe(before);
  return result;
}

/**
 * Largest |a - b| / max(|b|, floor * max|expected|) over all elements. The floor is relative to
 * the largest expected magnitude: entries that cancel to nearly zero carry the rounding error
 * of the large terms that produced them, so judging them by their own size would measure float32
 * noise, not correctness.
 */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-2): number {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i] as number));
  floor = Math.max(floor * scale, 1e-12);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    const a = actual[i] as number;
    const err = Math.abs(a - e) / Math.max(Math.abs(e), floor);
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
  }
  return worst;
}

/** Asserts elementwise agreement within a relative tolerance (see {@link maxRelativeError}). */
export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-4, floor = 1e-2): void {
  const err = maxRelativeError(actual, expected, floor);
  expect(err, `max relative error ${err} exceeds ${rtol}`).toBeLessThanOrEqual(rtol);
}

/** Deterministic pseudo-random floats in [-1, 1) (a tiny LCG, independent of the code under test). */
export function fixtureValues(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

/**
 * Runs `fn` on the named backend and returns what it produced as plain arrays, so results of
 * different backends can be compared after switching.
 */
export async function onBackend<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  await tf.setBackend(name);
  try {
    return await fn();
  } finally {
    if (previous !== undefined && previous !== name) await tf.setBackend(previous);
  }
}
