import { InvalidArgumentError, type Random } from '@dbvae/backend';
import { toDistribution, type ScoreInput } from './weight-vector';

/**
 * Draws sample indices with probabilities `p`, reproducibly from a seeded `Random`
 * (`createRandom(seed)` from `@dbvae/backend`).
 *
 * With replacement: inverse-CDF sampling (binary search on the cumulative sums). Without
 * replacement (as the lab's batch loader, `np.random.choice(replace=False, p=p)`): weighted
 * sampling by exponential keys (Efraimidis and Spirakis), which has the same distribution as
 * drawing one at a time and renormalising; `O(n log count)` per call, indices in draw order.
 * Zero-weight samples are never drawn.
 *
 * @param p - Non-negative weights (normalised first).
 * @param count - How many indices to draw (an integer >= 0).
 * @param random - The seeded generator.
 * @param options - `replace` (default true); `sort` the result ascending (default false).
 * @returns `count` indices into `p`.
 * @throws InvalidArgumentError for a bad `count`, or `count` above the number of non-zero
 *   weights when drawing without replacement.
 */
export function drawIndices(p: ScoreInput, count: number, random: Random, options: { replace?: boolean; sort?: boolean } = {}): Int32Array {
  const { replace = true, sort = false } = options;
  if (!Number.isInteger(count) || count < 0) throw new InvalidArgumentError(`drawIndices: count must be an integer >= 0, got ${count}.`);
  const q = toDistribution(p, 'drawIndices');
  const n = q.length;
  const out = new Int32Array(count);
  if (replace) {
    const cdf = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) cdf[i] = acc += q[i]!;
    let lastPositive = n - 1;
    while (q[lastPositive] === 0) lastPositive--;
    for (let t = 0; t < count; t++) {
      const u = random.next() * acc;
      let a = 0;
      let b = lastPositive;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (cdf[mid]! > u) b = mid;
        else a = mid + 1;
      }
      out[t] = a;
    }
  } else {
    let positive = 0;
    for (let i = 0; i < n; i++) if (q[i]! > 0) positive++;
    if (count > positive) {
      throw new InvalidArgumentError(`drawIndices: cannot draw ${count} distinct indices from ${positive} samples of non-zero weight; lower count or use replace: true.`);
    }
    // Key_i = log(u_i) / p_i; the `count` largest keys are the sample, in draw order. A min-heap
    // of size `count` keeps them in O(n log count).
    const heapKey = new Float64Array(count);
    const heapIdx = new Int32Array(count);
    let size = 0;
    for (let i = 0; i < n; i++) {
      if (!(q[i]! > 0)) continue;
      const key = Math.log(random.nextOpen()) / q[i]!;
      if (size < count) {
        // Sift up.
        let c = size++;
        while (c > 0) {
          const parent = (c - 1) >> 1;
          if (heapKey[parent]! <= key) break;
          heapKey[c] = heapKey[parent]!;
          heapIdx[c] = heapIdx[parent]!;
          c = parent;
        }
        heapKey[c] = key;
        heapIdx[c] = i;
      } else if (count > 0 && key > heapKey[0]!) {
        // Replace the smallest and sift down.
        let c = 0;
        for (;;) {
          const l = 2 * c + 1;
          if (l >= size) break;
          const r = l + 1;
          const m = r < size && heapKey[r]! < heapKey[l]! ? r : l;
          if (heapKey[m]! >= key) break;
          heapKey[c] = heapKey[m]!;
          heapIdx[c] = heapIdx[m]!;
          c = m;
        }
        heapKey[c] = key;
        heapIdx[c] = i;
      }
    }
    const order = Array.from({ length: size }, (_, t) => t).sort((a, b) => heapKey[b]! - heapKey[a]!);
    for (let t = 0; t < count; t++) out[t] = heapIdx[order[t]!]!;
  }
  if (sort) out.sort();
  return out;
}
