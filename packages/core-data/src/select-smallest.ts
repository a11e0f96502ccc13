/**
 * Scratch memory of {@link selectSmallest}, module-level so that the repeated cuts of one
 * sampling pass (and successive sampling calls) allocate nothing: the side buffer (keys and
 * their items) that receives the keys inside the bracket, and the systematic sample of keys
 * the bracket is read from. The side buffer grows on demand; the caller drops it after a
 * one-off huge call with {@link releaseLargeSelectionScratch}.
 */
let sideKeys = new Float64Array(0);
let sideItems = new Int32Array(0);
const sampleKeys = new Float64Array(512);

/** Buffers below this size are cut by Floyd-Rivest alone (the sampled bracket does not pay off). */
let smallSelect = 4096;

/**
 * Replaces the size below which {@link selectSmallest} skips the sampled bracket; returns the
 * previous one. Lets the sampler's warm-up run the bracket path on small inputs.
 *
 * @internal
 */
export function setSmallSelectSize(size: number): number {
  const prev = smallSelect;
  smallSelect = size;
  return prev;
}

/**
 * Drops the side buffer when it holds more than `maxEntries` entries, so that a one-off huge
 * selection keeps no memory.
 *
 * @internal
 */
export function releaseLargeSelectionScratch(maxEntries: number): void {
  if (sideKeys.length > maxEntries) {
    sideKeys = new Float64Array(0);
    sideItems = new Int32Array(0);
  }
}

/** Swaps entries i and j of the parallel arrays. */
function swap2(keys: Float64Array, items: Int32Array, i: number, j: number): void {
  const tk = keys[i] as number;
  keys[i] = keys[j] as number;
  keys[j] = tk;
  const ti = items[i] as number;
  items[i] = items[j] as number;
  items[j] = ti;
}

/**
 * Floyd-Rivest selection (CACM 1975, algorithm SELECT) on parallel arrays: rearranges
 * `keys[left..right]` (and `items` alongside) so that `keys[m]` is the value it would have if
 * sorted, with no larger key before it and no smaller key after it. Expected
 * `n + min(m, n - m) + o(n)` comparisons.
 */
function floydRivest(keys: Float64Array, items: Int32Array, left: number, right: number, m: number): void {
  while (right > left) {
    if (right - left > 600) {
      // recurse on a sample-sized window around m so that the pivot lands close to rank m
      const n = right - left + 1;
      const i = m - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (i < n / 2 ? -1 : 1);
      const newLeft = Math.max(left, Math.floor(m - (i * s) / n + sd));
      const newRight = Math.min(right, Math.floor(m + ((n - i) * s) / n + sd));
      floydRivest(keys, items, newLeft, newRight, m);
    }
    const t = keys[m] as number;
    let i = left;
    let j = right;
    swap2(keys, items, left, m);
    if ((keys[right] as number) > t) swap2(keys, items, right, left);
    while (i < j) {
      swap2(keys, items, i, j);
      i++;
      j--;
      while ((keys[i] as number) < t) i++;
      while ((keys[j] as number) > t) j--;
    }
    if (keys[left] === t) swap2(keys, items, left, j);
    else {
      j++;
      swap2(keys, items, j, right);
    }
    if (j <= m) left = j + 1;
    if (m <= j) right = j - 1;
  }
}

/**
 * Sorts `keys[lo..hi]` ascending, moving `items` alongside: quicksort with a median-of-three
 * pivot (recursing into the smaller side) and insertion sort below 24 entries. No callbacks,
 * unlike `Array.prototype.sort` with a comparator (5x slower at k = 50,000).
 *
 * @param keys - The keys, sorted in place.
 * @param items - The items of the keys, permuted alongside.
 * @param lo - First index of the range.
 * @param hi - Last index of the range (inclusive).
 * @internal
 */
export function sortPairs(keys: Float64Array, items: Int32Array, lo: number, hi: number): void {
  while (hi - lo >= 24) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as number) < (keys[lo] as number)) swap2(keys, items, mid, lo);
    if ((keys[hi] as number) < (keys[lo] as number)) swap2(keys, items, hi, lo);
    if ((keys[hi] as number) < (keys[mid] as number)) swap2(keys, items, hi, mid);
    const pivot = keys[mid] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((keys[i] as number) < pivot) i++;
      while ((keys[j] as number) > pivot) j--;
      if (i <= j) {
        swap2(keys, items, i, j);
        i++;
        j--;
      }
    }
    if (j - lo < hi - i) {
      sortPairs(keys, items, lo, j);
      lo = i;
    } else {
      sortPairs(keys, items, i, hi);
      hi = j;
    }
  }
  for (let i = lo + 1; i <= hi; i++) {
    const key = keys[i] as number;
    const item = items[i] as number;
    let j = i - 1;
    while (j >= lo && (keys[j] as number) > key) {
      keys[j + 1] = keys[j] as number;
      items[j + 1] = items[j] as number;
      j--;
    }
    keys[j + 1] = key;
    items[j + 1] = item;
  }
}

/**
 * Moves the k smallest keys of `keys[0..size)` (with their items) to the front, in no
 * particular order, and returns a threshold T with: every moved key <= T, and every key left
 * behind >= T.
 *
 * Large buffers: brackets rank k between two quantiles (k/size -+ 3 standard deviations) of
 * a systematic sample of 512 keys, checks the bracket by counting, then in one pass keeps the
 * keys below the lower bound in place and copies those inside the bracket to a side buffer,
 * where Floyd-Rivest picks the few that are still needed. The counting and copying loops are
 * branch-free (`+(a < b)`), since the comparisons are unpredictable by construction. Small
 * buffers, or a bracket that misses rank k: Floyd-Rivest on the whole buffer.
 *
 * @param keys - The keys, rearranged in place.
 * @param items - The items of the keys, moved alongside.
 * @param size - Number of valid entries.
 * @param k - How many to keep, 1 <= k <= size.
 * @returns The threshold T.
 * @internal
 */
export function selectSmallest(keys: Float64Array, items: Int32Array, size: number, k: number): number {
  if (size >= smallSelect) {
    const s = sampleKeys.length;
    const stride = size / s;
    for (let j = 0; j < s; j++) sampleKeys[j] = keys[Math.floor(j * stride)] as number;
    sampleKeys.sort();
    const p = k / size;
    const sd = 3 * Math.sqrt(s * p * (1 - p)) + 2;
    const rLo = Math.floor(s * p - sd);
    const rHi = Math.ceil(s * p + sd);
    const lo = rLo >= 0 ? (sampleKeys[rLo] as number) : -Infinity;
    const hi = rHi < s ? (sampleKeys[rHi] as number) : Infinity;
    let below = 0;
    let inside = 0;
    for (let j = 0; j < size; j++) {
      const key = keys[j] as number;
      below += +(key < lo);
      inside += +(key < hi);
    }
    inside -= below;
    const need = k - below;
    if (need >= 0 && need <= inside && lo < hi) {
      if (sideKeys.length < inside + 1) {
        sideKeys = new Float64Array(Math.max(inside + 1, 2 * sideKeys.length));
        sideItems = new Int32Array(sideKeys.length);
      }
      const sk = sideKeys;
      const si = sideItems;
      let m = 0;
      let c = 0;
      for (let j = 0; j < size; j++) {
        const key = keys[j] as number;
        const item = items[j] as number;
        // always write, advance only when kept (slots m <= j and c <= inside were read already / are spare)
        keys[m] = key;
        items[m] = item;
        m += +(key < lo);
        sk[c] = key;
        si[c] = item;
        c += +(key >= lo && key < hi);
      }
      if (need === 0) return lo;
      if (need < c) floydRivest(sk, si, 0, c - 1, need - 1);
      keys.set(sk.subarray(0, need), m);
      items.set(si.subarray(0, need), m);
      let t = -Infinity;
      for (let j = 0; j < need; j++) t = Math.max(t, sk[j] as number);
      return t;
    }
  }
  floydRivest(keys, items, 0, size - 1, k - 1);
  return keys[k - 1] as number;
}
