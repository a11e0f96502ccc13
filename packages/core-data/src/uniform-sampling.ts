import { InvalidArgumentError, type Random } from '@dbvae/backend';

/**
 * Draws `k` distinct indices uniformly from `0..n-1` and returns them sorted. Uses Floyd's
 * algorithm: k draws and O(k) memory, whatever n.
 *
 * @param n - Number of items, a non-negative integer.
 * @param k - Number of items to draw, an integer with 0 <= k <= n.
 * @param rng - Seeded generator from `createRandom`; it is called k times (`rng.int`).
 * @returns The chosen indices, ascending, as an Int32Array of length k.
 * @throws InvalidArgumentError unless 0 <= k <= n are integers.
 * @example
 * const idx = sampleUniformWithoutReplacement(100, 5, createRandom(1));
 */
export function sampleUniformWithoutReplacement(n: number, k: number, rng: Random): Int32Array {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(k) || k < 0 || k > n) {
    throw new InvalidArgumentError(`sampleUniformWithoutReplacement: need integers 0 <= k <= n, got n=${n}, k=${k}.`);
  }
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = rng.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return Int32Array.from(chosen).sort();
}
