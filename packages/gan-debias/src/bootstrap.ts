import { createRandom, InvalidArgumentError } from '@dbvae/backend';
import { DbvaeError } from '@dbvae/backend';
import { positiveInt } from './matrix';
import { percentile } from './stats';

/** Options of {@link bootstrap}. */
export interface BootstrapOptions {
  /** Number of resamples. Default 500 (as Ramaswamy et al.). */
  resamples?: number;
  /** Seed of the resampling. Default 0. */
  seed?: number;
  /** Lower and upper percentiles (0..100) of the reported spread. Default `[2.5, 97.5]`. */
  interval?: [number, number];
}

/** A bootstrap summary of one statistic. */
export interface BootstrapSummary {
  /** The statistic on the full sample. */
  estimate: number;
  /** Median over the resamples. */
  median: number;
  /** Lower percentile of the resamples. */
  low: number;
  /** Upper percentile of the resamples. */
  high: number;
  /** Resamples on which the statistic was defined (it may be undefined, e.g. a group with no positives, and then is skipped). */
  valid: number;
}

/**
 * Non-parametric bootstrap: resamples `n` indices with replacement `resamples` times (seeded),
 * evaluates `statistic` on each and summarises with the median and percentiles (numpy's
 * linear interpolation). A resample on which the statistic throws a dbvae error or returns
 * `NaN` is skipped and not counted in `valid`.
 *
 * @param n - Sample size.
 * @param statistic - Computes the statistic from a list of indices (with repeats).
 * @param options - See {@link BootstrapOptions}.
 * @throws InvalidArgumentError on bad options; the statistic's own error if it fails on the full sample;
 *   InvalidArgumentError when no resample gives a defined value.
 * @example
 * ```ts
 * const ap = bootstrap(scores.length, (idx) => averagePrecision(pick(scores, idx), pick(labels, idx)));
 * ```
 */
export function bootstrap(n: number, statistic: (indices: Int32Array) => number, options: BootstrapOptions = {}): BootstrapSummary {
  return bootstrapPooled(n, (idx) => [statistic(idx)], options, (full) => full[0]!);
}

/**
 * @internal The bootstrap of a statistic with several values per sample (e.g. the four
 * directional KLs), summarised over the pool of all values of all resamples, as the original
 * gan-debiasing evaluation summarises its KLs; `estimate` is `summarize` of the full sample's values.
 */
export function bootstrapPooled(
  n: number,
  statistic: (indices: Int32Array) => number[],
  options: BootstrapOptions,
  summarize: (fullSampleValues: number[]) => number,
): BootstrapSummary {
  positiveInt(n, 'bootstrap: n');
  const resamples = positiveInt(options.resamples ?? 500, 'bootstrap: resamples');
  const [pLo, pHi] = options.interval ?? [2.5, 97.5];
  if (!(pLo >= 0 && pHi <= 100 && pLo <= pHi)) throw new InvalidArgumentError(`bootstrap: interval must satisfy 0 <= low <= high <= 100, got [${pLo}, ${pHi}].`);
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const estimate = summarize(statistic(all));
  const rng = createRandom(options.seed ?? 0);
  const values: number[] = [];
  let valid = 0;
  const idx = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) idx[i] = rng.int(n);
    let v: number[];
    try {
      v = statistic(idx);
    } catch (e) {
      if (e instanceof DbvaeError) continue;
      throw e;
    }
    if (v.some((x) => Number.isNaN(x))) continue;
    values.push(...v);
    valid++;
  }
  if (values.length === 0) throw new InvalidArgumentError('bootstrap: the statistic was undefined on every resample; use a larger or more balanced sample.');
  return { estimate, median: percentile(values, 50), low: percentile(values, pLo), high: percentile(values, pHi), valid };
}

/** @internal Gathers `values[idx[i]]`. */
export function pick<T extends ArrayLike<number>>(values: T, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = values[idx[i]!]!;
  return out;
}
