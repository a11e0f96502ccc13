import { InvalidArgumentError, type Random } from '@dbvae/backend';

/** Options of {@link sampleWithoutReplacement}. */
export interface SampleWithoutReplacementOptions {
  /**
   * `'sorted'` (default) returns the chosen indices in increasing order, as the lab loader
   * does; `'draw'` returns them in the order of successive sampling (first drawn first).
   */
  order?: 'sorted' | 'draw';
}

/**
 * Checks a probability (or weight) vector and returns it normalised to sum 1, as float64.
 * Entries must be finite and non-negative and their sum positive.
 *
 * @param weights - The weights; need not sum to 1.
 * @param expectedLength - When given, the vector must have exactly this length.
 * @param name - Name used in error messages. Default `'weights'`.
 * @throws InvalidArgumentError on a wrong length, a negative / NaN / infinite entry, or a zero sum.
 */
export function normalizeProbabilities(weights: ArrayLike<number>, expectedLength?: number, name = 'weights'): Float64Array {
  if (weights === null || typeof weights !== 'object' || typeof weights.length !== 'number') {
    throw new InvalidArgumentError(`${name} must be an array or typed array of numbers.`);
  }
  const n = weights.length;
  if (expectedLength !== undefined && n !== expectedLength) {
    throw new InvalidArgumentError(`${name} has length ${n} but must have length ${expectedLength} (one entry per item).`);
  }
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i] as number;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new InvalidArgumentError(`${name}[${i}] is ${w}; every entry must be a finite, non-negative number.`);
    }
    out[i] = w;
    sum += w;
  }
  if (!(sum > 0) || !Number.isFinite(sum)) {
    throw new InvalidArgumentError(`${name} must have a positive, finite sum (got ${sum}); give at least one item a positive weight.`);
  }
  for (let i = 0; i < n; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/** Max-heap of (key, index) pairs of fixed capacity, keyed by `key`. */
class MaxHeap {
  readonly keys: Float64Array;
  readonly items: Int32Array;
  size = 0;
  constructor(capacity: number) {
    this.keys = new Float64Array(capacity);
    this.items = new Int32Array(capacity);
  }
  push(key: number, item: number): void {
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.keys[parent] as number) >= key) break;
      this.keys[i] = this.keys[parent] as number;
      this.items[i] = this.items[parent] as number;
      i = parent;
    }
    this.keys[i] = key;
    this.items[i] = item;
  }
  /** Replaces the largest entry and restores the heap. */
  replaceTop(key: number, item: number): void {
    const n = this.size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (this.keys[r] as number) > (this.keys[l] as number) ? r : l;
      if ((this.keys[c] as number) <= key) break;
      this.keys[i] = this.keys[c] as number;
      this.items[i] = this.items[c] as number;
      i = c;
    }
    this.keys[i] = key;
    this.items[i] = item;
  }
}

/**
 * Draws `k` distinct indices from `0..weights.length-1`, each draw choosing among the items
 * not yet drawn with probability proportional to its weight (successive sampling, the
 * distribution of NumPy's `choice(n, k, replace=False, p=weights)` and of the lab's
 * `get_batch`).
 *
 * Algorithm: Efraimidis-Spirakis exponential keys (key_i = E_i / w_i with E_i ~ Exp(1); the k
 * smallest keys, in increasing order, are a successive sample), kept in a size-k heap and
 * visited with exponential jumps (their A-ExpJ variant): one pass over the weights with an
 * addition and a comparison per item, and only O(k log(n / k)) random draws and heap updates,
 * so O(n + k log k log(n / k)) time and O(k) extra memory. Zero-weight items are never drawn.
 * The same seeded `rng` state gives the same draw.
 *
 * @param weights - Non-negative finite weights (need not sum to 1); length n.
 * @param k - Number of items to draw, an integer with 0 <= k <= number of positive weights.
 * @param rng - Seeded generator from `createRandom`.
 * @param options - `order: 'sorted'` (default) or `'draw'`.
 * @returns The chosen indices as an Int32Array of length k.
 * @throws InvalidArgumentError on invalid weights (negative, NaN, infinite, zero sum) or k.
 * @example
 * const idx = sampleWithoutReplacement([0.5, 0.25, 0.25, 0], 2, createRandom(1));
 */
export function sampleWithoutReplacement(
  weights: ArrayLike<number>,
  k: number,
  rng: Random,
  options: SampleWithoutReplacementOptions = {},
): Int32Array {
  const { order = 'sorted' } = options;
  if (order !== 'sorted' && order !== 'draw') {
    throw new InvalidArgumentError(`sampleWithoutReplacement: order must be 'sorted' or 'draw', got ${String(order)}.`);
  }
  if (weights === null || typeof weights !== 'object' || typeof weights.length !== 'number') {
    throw new InvalidArgumentError('sampleWithoutReplacement: weights must be an array or typed array of numbers.');
  }
  const n = weights.length;
  let sum = 0;
  let positive = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i] as number;
    if (!(w >= 0) || w === Infinity || typeof w !== 'number') {
      throw new InvalidArgumentError(`sampleWithoutReplacement: weights[${i}] is ${w}; every weight must be a finite, non-negative number.`);
    }
    sum += w;
    if (w > 0) positive++;
    if (w > max) max = w;
  }
  if (!(sum > 0) || !Number.isFinite(sum)) {
    throw new InvalidArgumentError(`sampleWithoutReplacement: weights must have a positive, finite sum (got ${sum}); give at least one item a positive weight.`);
  }
  if (!Number.isInteger(k) || k < 0 || k > positive) {
    throw new InvalidArgumentError(
      `sampleWithoutReplacement: k must be an integer between 0 and the number of positive weights (${positive}), got ${k}.`,
    );
  }
  if (rng === undefined || rng === null || typeof rng.nextOpen !== 'function') {
    throw new InvalidArgumentError('sampleWithoutReplacement: pass a seeded generator from createRandom(seed).');
  }
  if (k === 0) return new Int32Array(0);
  // Keys are E / w with w scaled to mean 1 over the positive items (keeps keys near 1).
  let scale = positive / sum;
  let ws: ArrayLike<number> = weights;
  if (!Number.isFinite(scale)) {
    // subnormal weights: divide by the largest first so that the keys stay finite
    const copy = new Float64Array(n);
    let s2 = 0;
    for (let j = 0; j < n; j++) s2 += copy[j] = (weights[j] as number) / max;
    ws = copy;
    scale = positive / s2;
  }
  const heap = new MaxHeap(k);
  let i = 0;
  for (; i < n && heap.size < k; i++) {
    const w = (ws[i] as number) * scale;
    if (w > 0) heap.push(-Math.log(rng.nextOpen()) / w, i);
  }
  // Exponential jumps: with threshold T (largest kept key), item j beats it with probability
  // 1 - exp(-w_j T), so the weight skipped before the next entry is Exp(1) / T.
  let threshold = heap.keys[0] as number;
  let jump = -Math.log(rng.nextOpen()) / threshold;
  let acc = 0;
  for (; i < n; i++) {
    const w = (ws[i] as number) * scale;
    acc += w;
    if (acc >= jump && w > 0) {
      // key conditioned on being below the threshold: E / w given E < w T
      const key = -Math.log1p(Math.expm1(-w * threshold) * rng.nextOpen()) / w;
      heap.replaceTop(key, i);
      threshold = heap.keys[0] as number;
      jump = -Math.log(rng.nextOpen()) / threshold;
      acc = 0;
    }
  }
  const chosen = heap.items.slice(0, k);
  if (order === 'sorted') {
    chosen.sort();
  } else {
    const pos = Array.from({ length: k }, (_, j) => j);
    pos.sort((a, b) => (heap.keys[a] as number) - (heap.keys[b] as number));
    for (let j = 0; j < k; j++) chosen[j] = heap.items[pos[j] as number] as number;
  }
  return chosen;
}

/**
 * Draws `k` distinct indices uniformly from `0..n-1` and returns them sorted. Uses Floyd's
 * algorithm: k draws and O(k) memory, whatever n.
 *
 * @throws InvalidArgumentError unless 0 <= k <= n are integers.
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
