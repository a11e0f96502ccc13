import { InvalidArgumentError, type Random } from '@dbvae/backend';

/**
 * Throws unless `weights` is array-like (an array or typed array). `label` starts the message,
 * e.g. `'weights'` or `'getBatch: pPos'`.
 *
 * @internal
 */
export function requireArrayLike(weights: ArrayLike<number>, label: string): void {
  if (weights === null || typeof weights !== 'object' || typeof weights.length !== 'number') {
    throw new InvalidArgumentError(`${label} must be an array or typed array of numbers.`);
  }
}

/**
 * Throws unless `weights` has exactly `length` entries (one per item). `label` starts the message.
 *
 * @internal
 */
export function requireLength(weights: ArrayLike<number>, length: number, label: string): void {
  if (weights.length !== length) {
    throw new InvalidArgumentError(`${label} has length ${weights.length} but must have length ${length} (one entry per item).`);
  }
}

/** Throws unless the sum of the weights is positive and finite. `label` starts the message. */
function requirePositiveSum(sum: number, label: string): void {
  if (sum === Infinity) {
    throw new InvalidArgumentError(`${label} sum to Infinity: every entry is finite, but they are too large to add up in float64; divide them by their largest value (only their ratios matter).`);
  }
  if (!(sum > 0) || !Number.isFinite(sum)) {
    throw new InvalidArgumentError(`${label} must have a positive, finite sum (got ${sum}); give at least one item a positive weight.`);
  }
}

/**
 * Divides finite weights whose sum overflows to Infinity by their largest entry (the ratios,
 * all that sampling needs, are kept) and returns the new sum.
 */
function rescaleToMaxOne(weights: Float64Array): number {
  let max = 0;
  for (const w of weights) if (w > max) max = w;
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    weights[i] = (weights[i] as number) / max;
    sum += weights[i] as number;
  }
  return sum;
}

/**
 * Checks a probability (or weight) vector and returns it normalised to sum 1, as float64.
 * Entries must be finite and non-negative and their sum positive.
 *
 * @param weights - The weights; need not sum to 1.
 * @param expectedLength - When given, the vector must have exactly this length.
 * @param name - Name used in error messages. Default `'weights'`.
 * @returns A new Float64Array of the weights divided by their sum.
 * @throws InvalidArgumentError on a wrong length, a negative / NaN / infinite entry, or a zero sum.
 * @example
 * normalizeProbabilities([1, 3]); // Float64Array [0.25, 0.75]
 */
export function normalizeProbabilities(weights: ArrayLike<number>, expectedLength?: number, name = 'weights'): Float64Array {
  requireArrayLike(weights, name);
  if (expectedLength !== undefined) requireLength(weights, expectedLength, name);
  const n = weights.length;
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
  if (sum === Infinity) sum = rescaleToMaxOne(out);
  requirePositiveSum(sum, name);
  for (let i = 0; i < n; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/** The error for an invalid weight. */
function badWeight(weights: ArrayLike<number>, i: number, what: string, name: string): InvalidArgumentError {
  return new InvalidArgumentError(`${what}: ${name}[${i}] is ${String(weights[i])}; every weight must be a finite, non-negative number.`);
}

/** Results of {@link scanWeights}. */
let scanSum = 0;
let scanPositive = 0;
let scanSumSq = 0;

/**
 * One pass over the weights: sets scanSum, scanPositive (number of positive entries) and
 * scanSumSq (sum of squares). Throws on an entry that is not a finite non-negative number
 * (plain arrays are also checked for non-numbers: null, booleans and strings compare like
 * numbers). The loop is written for V8: bound `i < weights.length` (lets the optimiser drop
 * the bounds check), zeros counted on the rare branch, results stored to module variables
 * (no type feedback needed after a loop compiled on-stack).
 */
function scanWeights(weights: ArrayLike<number>, what: string, name: string): void {
  if (!ArrayBuffer.isView(weights)) {
    for (let i = 0; i < weights.length; i++) if (typeof weights[i] !== 'number') throw badWeight(weights, i, what, name);
  }
  let sum = 0;
  let sq = 0;
  let zeros = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    if (!(w > 0 && w < Infinity)) {
      if (w === 0) zeros++;
      else throw badWeight(weights, i, what, name);
    }
    sum += w;
    sq += w * w;
  }
  scanSum = sum;
  scanPositive = weights.length - zeros;
  scanSumSq = sq;
}

/** What {@link checkWeightedSample} learnt about the weights in its pass over them. */
export interface WeightScan {
  /** Sum of the weights. */
  sum: number;
  /** Number of positive weights. */
  positive: number;
  /** Sum of the squared weights. */
  sumSq: number;
}

/**
 * Validates the inputs of a weighted sample without replacement in one pass over the weights:
 * array-like, finite non-negative entries with a positive finite sum, an integer `k` between 0
 * and the number of positive weights, a seeded generator.
 *
 * @param weights - The weights.
 * @param k - Number of items to draw.
 * @param rng - The generator to draw with.
 * @param what - The caller, first word of error messages (e.g. `'sampleWithoutReplacement'`).
 * @param name - The weights' name in error messages (e.g. `'weights'`).
 * @returns The sum, positive count and sum of squares of the weights.
 * @throws InvalidArgumentError on the first problem found.
 * @internal
 */
export function checkWeightedSample(weights: ArrayLike<number>, k: number, rng: Random, what: string, name: string): WeightScan {
  requireArrayLike(weights, `${what}: ${name}`);
  scanWeights(weights, what, name);
  const sum = scanSum;
  const positive = scanPositive;
  const sumSq = scanSumSq;
  requirePositiveSum(sum, `${what}: ${name}`);
  if (!Number.isInteger(k) || k < 0 || k > positive) {
    throw new InvalidArgumentError(`${what}: k must be an integer between 0 and the number of positive weights (${positive}), got ${k}.`);
  }
  if (rng === undefined || rng === null || typeof rng.next !== 'function') {
    throw new InvalidArgumentError(`${what}: pass a seeded generator from createRandom(seed).`);
  }
  return { sum, positive, sumSq };
}
