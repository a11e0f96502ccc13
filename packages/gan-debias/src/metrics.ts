import { InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { GanDebiasError } from './errors';
import { positiveInt, toBinaryLabels, toScores } from './matrix';

/**
 * Average precision of scores against binary labels, as the step-wise area under the
 * precision-recall curve: `AP = sum_k (R_k - R_{k-1}) P_k` over the distinct score thresholds
 * from highest to lowest (tied scores enter together), the definition of scikit-learn's
 * `average_precision_score`.
 *
 * @param scores - Higher means more likely positive.
 * @param labels - 0/1 labels.
 * @throws GanDebiasError when there is no positive label (AP is undefined).
 * @example
 * ```ts
 * averagePrecision([0.9, 0.8, 0.7], [1, 0, 1]); // (1/2)(1) + (1/2)(2/3) = 0.8333
 * ```
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const s = toScores(scores, undefined, 'averagePrecision: scores');
  const y = toBinaryLabels(labels, s.length, 'averagePrecision: labels');
  let totalPos = 0;
  for (let i = 0; i < y.length; i++) totalPos += y[i]!;
  if (totalPos === 0) throw new GanDebiasError('averagePrecision: no positive labels, so precision-recall is undefined; evaluate on a set with positives.');
  const order = Array.from({ length: s.length }, (_, i) => i).sort((a, b) => s[b]! - s[a]!);
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let r = 0; r < order.length; r++) {
    const i = order[r]!;
    if (y[i] === 1) tp++;
    else fp++;
    const next = order[r + 1];
    if (next !== undefined && s[next] === s[i]) continue; // ties enter together
    const recall = tp / totalPos;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

/**
 * The decision threshold at which the number of predicted positives equals the number of true
 * positives (the calibration of Ramaswamy et al.): the `P`-th highest score, where `P` is the
 * count of label 1. Predict positive when `score >= threshold`; with ties at the threshold more
 * than `P` samples are predicted positive.
 *
 * @param scores - Validation scores.
 * @param labels - Validation 0/1 labels.
 * @throws GanDebiasError when there are no positive labels.
 */
export function calibrateThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const s = toScores(scores, undefined, 'calibrateThreshold: scores');
  const y = toBinaryLabels(labels, s.length, 'calibrateThreshold: labels');
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i]!;
  if (pos === 0) throw new GanDebiasError('calibrateThreshold: the validation labels have no positives; a threshold cannot match zero predicted positives.');
  const sorted = Float64Array.from(s).sort().reverse();
  return sorted[pos - 1]!;
}

/** Recall per group (true-positive rate) at a threshold. */
function groupRecalls(s: Float64Array, y: Uint8Array, g: Uint8Array, threshold: number): [number, number] {
  const tp = [0, 0];
  const p = [0, 0];
  for (let i = 0; i < s.length; i++) {
    if (y[i] !== 1) continue;
    const gi = g[i]!;
    p[gi]!++;
    if (s[i]! >= threshold) tp[gi]!++;
  }
  if (p[0] === 0 || p[1] === 0) {
    throw new GanDebiasError(`equalOpportunityDifference: group ${p[0] === 0 ? 0 : 1} has no positive samples, so its recall is undefined.`);
  }
  return [tp[0]! / p[0]!, tp[1]! / p[1]!];
}

/**
 * Difference in equality of opportunity: `DEO = |recall(g=0) - recall(g=1)|`, recall being the
 * true-positive rate at `score >= threshold` (equivalently `|FNR(g=0) - FNR(g=1)|`).
 * Use {@link calibrateThreshold} on validation data to choose the threshold.
 *
 * @param scores - Test scores.
 * @param labels - True 0/1 target labels.
 * @param groups - 0/1 protected-attribute labels.
 * @param threshold - Decision threshold.
 * @throws GanDebiasError when a group has no positives.
 */
export function equalOpportunityDifference(scores: ArrayLike<number>, labels: ArrayLike<number>, groups: ArrayLike<number>, threshold: number): number {
  const s = toScores(scores, undefined, 'equalOpportunityDifference: scores');
  const y = toBinaryLabels(labels, s.length, 'equalOpportunityDifference: labels');
  const g = toBinaryLabels(groups, s.length, 'equalOpportunityDifference: groups');
  if (Number.isNaN(threshold)) throw new InvalidArgumentError('equalOpportunityDifference: threshold is NaN.');
  const [r0, r1] = groupRecalls(s, y, g, threshold);
  return Math.abs(r0 - r1);
}

/**
 * Directional bias amplification from attribute to task, `BiasAmp_{A->T}` of Wang and
 * Russakovsky (ICML 2021), for a binary protected attribute `A = g` in {0, 1} and the
 * single task `T = (t = 1)`:
 *
 * `BA = 1/|A| sum_a [ y_a * D_a + (1 - y_a) * (-D_a) ]`, with
 * `y_a = 1[ P(g = a, t = 1) > P(g = a) P(t = 1) ]` (is `a` positively correlated with the task
 * in the data) and `D_a = P(t_hat = 1 | g = a) - P(t = 1 | g = a)` (how much more often the
 * model predicts the task for group `a` than the data has it).
 *
 * Positive values mean the model amplifies the data's correlation, negative that it reduces
 * it. Including the task `t = 0` as a second task gives the same value (its terms mirror these).
 * Returned as a fraction (multiply by 100 for the paper's units).
 *
 * @param predictions - Predicted 0/1 target labels (e.g. `score >= threshold`).
 * @param labels - True 0/1 target labels.
 * @param groups - 0/1 protected-attribute labels.
 * @throws GanDebiasError when a group is empty.
 */
export function biasAmplification(predictions: ArrayLike<number>, labels: ArrayLike<number>, groups: ArrayLike<number>): number {
  const n = labels.length;
  if (n === 0) throw new ShapeError('biasAmplification: no samples given.');
  const yh = toBinaryLabels(predictions, n, 'biasAmplification: predictions');
  const y = toBinaryLabels(labels, n, 'biasAmplification: labels');
  const g = toBinaryLabels(groups, n, 'biasAmplification: groups');
  const count = [0, 0];
  const pos = [0, 0];
  const predPos = [0, 0];
  let totalPos = 0;
  for (let i = 0; i < n; i++) {
    const a = g[i]!;
    count[a]!++;
    pos[a]! += y[i]!;
    predPos[a]! += yh[i]!;
    totalPos += y[i]!;
  }
  if (count[0] === 0 || count[1] === 0) throw new GanDebiasError(`biasAmplification: group ${count[0] === 0 ? 0 : 1} is empty.`);
  const pT = totalPos / n;
  let sum = 0;
  for (const a of [0, 1]) {
    const pA = count[a]! / n;
    const pAT = pos[a]! / n;
    const ya = pAT > pA * pT ? 1 : 0;
    const delta = predPos[a]! / count[a]! - pos[a]! / count[a]!;
    sum += ya * delta + (1 - ya) * -delta;
  }
  return sum / 2;
}

/**
 * Which KL between score histograms:
 * - `'original'` (default): the definition of the original gan-debiasing evaluation code
 *   (Ramaswamy et al.): each group's scores in `bins` equal-width bins over *that group's own*
 *   min..max (numpy's `np.histogram(scores, bins=50)`), the integer counts smoothed by a
 *   Gaussian filter (`scipy.ndimage.gaussian_filter(counts, sigma=1)`: reflect mode, radius
 *   `round(4 sigma)`, and, because the counts are integers, the smoothed counts truncated to
 *   integers as scipy does), each normalised and `1e-6` added to every bin (not renormalised);
 *   the per-class summary of {@link scoreHistogramKl} is the **median of the four directional
 *   values** `KL(P0||P1)`, `KL(P1||P0)` of the positives and of the negatives (the original
 *   pools them over bootstrap resamples and takes the median; {@link fairnessReport} does the same).
 * - `'shared-symmetric'`: this library's earlier definition: both groups on the same bins
 *   over the pooled range (`binning: 'per-group'` to change that), each bin's probability plus
 *   `smoothing` and renormalised, summary the mean over the two classes of
 *   `KL(P0||P1) + KL(P1||P0)` (about twice the original's value).
 */
export type KlDefinition = 'original' | 'shared-symmetric';

/** Options of {@link histogramKl} and {@link scoreHistogramKl}. */
export interface HistogramKlOptions {
  /** See {@link KlDefinition}. Default `'original'`. */
  definition?: KlDefinition;
  /** Number of equal-width bins. Default 50 (as Ramaswamy et al.). */
  bins?: number;
  /** `'original'` only: standard deviation, in bins, of the Gaussian smoothing of the counts. Default 1. */
  sigma?: number;
  /**
   * `'shared-symmetric'` only. `'shared'` (default): both histograms use the same bins over the
   * range of the pooled scores, so bin `i` means the same scores in both. `'per-group'`: each
   * histogram spans its own min..max, so bins are compared by index even though they cover
   * different scores.
   */
  binning?: 'shared' | 'per-group';
  /** `'shared-symmetric'` only: added to every bin's probability before renormalising, so empty bins stay finite. Default 1e-3. */
  smoothing?: number;
}

/** `'shared-symmetric'` histogram: probabilities plus `smoothing`, renormalised. */
function histogram(values: Float64Array, lo: number, hi: number, bins: number, smoothing: number): Float64Array {
  const h = new Float64Array(bins);
  const width = (hi - lo) / bins;
  for (const v of values) {
    let b = width > 0 ? Math.floor((v - lo) / width) : 0;
    if (b >= bins) b = bins - 1; // the top edge belongs to the last bin
    if (b < 0) b = 0;
    h[b]!++;
  }
  let total = 0;
  for (let i = 0; i < bins; i++) {
    h[i] = h[i]! / values.length + smoothing;
    total += h[i]!;
  }
  for (let i = 0; i < bins; i++) h[i] = h[i]! / total;
  return h;
}

function kl(p: Float64Array, q: Float64Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > 0) s += p[i]! * Math.log(p[i]! / q[i]!);
  return s;
}

function range(v: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

/** Bin counts as `np.histogram(values, bins)`: `bins + 1` edges from `np.linspace(lo, hi)`, the top edge in the last bin; `lo == hi` widens to `lo - 0.5 .. hi + 0.5`. */
function numpyHistogram(values: Float64Array, bins: number): Float64Array {
  let [lo, hi] = range(values);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const step = (hi - lo) / bins;
  const edge = (i: number): number => (i === bins ? hi : i * step + lo);
  const norm = bins / (hi - lo);
  const counts = new Float64Array(bins);
  for (const v of values) {
    let b = Math.floor((v - lo) * norm);
    if (b === bins) b = bins - 1;
    // numpy corrects the arithmetic index by one where rounding put it on the wrong side of an edge
    if (v < edge(b)) b--;
    else if (b !== bins - 1 && v >= edge(b + 1)) b++;
    counts[b]!++;
  }
  return counts;
}

/** `sum_i a[i]` in numpy's pairwise order for at most 128 values (8 running sums, then the rest). */
function numpySum(a: number[]): number {
  if (a.length < 8) return a.reduce((s, v) => s + v, 0);
  const r = a.slice(0, 8);
  let i = 8;
  for (; i + 8 <= a.length; i += 8) for (let j = 0; j < 8; j++) r[j]! += a[i + j]!;
  let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
  for (; i < a.length; i++) res += a[i]!;
  return res;
}

/**
 * `scipy.ndimage.gaussian_filter` of integer counts: the kernel `exp(-x^2 / (2 sigma^2))` on
 * `x = -r..r`, `r = floor(4 sigma + 0.5)`, normalised; reflect mode (`d c b a | a b c d | d c b a`);
 * results truncated toward zero, as scipy writes them into the counts' integer dtype.
 */
function gaussianSmoothCounts(counts: Float64Array, sigma: number): Float64Array {
  const r = Math.floor(4 * sigma + 0.5);
  const raw: number[] = [];
  for (let x = -r; x <= r; x++) raw.push(Math.exp((-0.5 / (sigma * sigma)) * x * x));
  const total = numpySum(raw);
  const w = raw.map((v) => v / total);
  const n = counts.length;
  const at = (i: number): number => {
    // reflect about the half-sample edges; repeat for kernels wider than the signal
    let k = i;
    for (;;) {
      if (k < 0) k = -k - 1;
      else if (k >= n) k = 2 * n - k - 1;
      else return counts[k]!;
    }
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = counts[i]! * w[r]!;
    for (let j = 1; j <= r; j++) acc += (at(i + j) + at(i - j)) * w[r + j]!;
    out[i] = Math.trunc(acc);
  }
  return out;
}

/** The original evaluation's smoothed histogram of one group (see {@link KlDefinition}). */
function originalHistogram(values: Float64Array, bins: number, sigma: number, name: string): Float64Array {
  const s = gaussianSmoothCounts(numpyHistogram(values, bins), sigma);
  let total = 0;
  for (const v of s) total += v;
  if (!(total > 0)) {
    throw new GanDebiasError(`${name}: the smoothed histogram of ${values.length} scores is empty (integer-truncated smoothing of too few scores); use more samples or the 'shared-symmetric' definition.`);
  }
  const p = new Float64Array(bins);
  for (let i = 0; i < bins; i++) p[i] = s[i]! / total + 1e-6;
  return p;
}

/**
 * KL divergences, both directions, between the smoothed histograms of two score samples:
 * `KL(P_a || P_b) = sum_i P_a(i) log(P_a(i) / P_b(i))` in nats.
 *
 * By default the original evaluation's histograms (per-group bins, Gaussian-smoothed counts);
 * see {@link KlDefinition}.
 *
 * @param a - First sample (non-empty).
 * @param b - Second sample (non-empty).
 * @param options - Definition, bins and smoothing; see {@link HistogramKlOptions}.
 * @throws GanDebiasError (`'original'`) when a sample is too small for its smoothed histogram to keep any count.
 * @returns `{ ab: KL(P_a || P_b), ba: KL(P_b || P_a) }`.
 */
export function histogramKl(a: ArrayLike<number>, b: ArrayLike<number>, options: HistogramKlOptions = {}): {
  /** KL(P_a ‖ P_b). */
  ab: number;
  /** KL(P_b ‖ P_a). */
  ba: number;
} {
  const sa = toScores(a, undefined, 'histogramKl: a');
  const sb = toScores(b, undefined, 'histogramKl: b');
  const bins = positiveInt(options.bins ?? 50, 'histogramKl: bins');
  const definition = options.definition ?? 'original';
  let pa: Float64Array;
  let pb: Float64Array;
  if (definition === 'original') {
    const sigma = options.sigma ?? 1;
    if (!(sigma > 0) || !Number.isFinite(sigma)) throw new InvalidArgumentError(`histogramKl: sigma must be a finite positive number, got ${sigma}.`);
    pa = originalHistogram(sa, bins, sigma, 'histogramKl');
    pb = originalHistogram(sb, bins, sigma, 'histogramKl');
    return { ab: kl(pa, pb), ba: kl(pb, pa) };
  }
  if (definition !== 'shared-symmetric') throw new InvalidArgumentError(`histogramKl: definition must be 'original' or 'shared-symmetric', got '${String(definition)}'.`);
  const smoothing = options.smoothing ?? 1e-3;
  if (!(smoothing > 0) || !Number.isFinite(smoothing)) throw new InvalidArgumentError(`histogramKl: smoothing must be a finite positive number, got ${smoothing}.`);
  const binning = options.binning ?? 'shared';
  if (binning === 'shared') {
    const [loA, hiA] = range(sa);
    const [loB, hiB] = range(sb);
    const lo = Math.min(loA, loB);
    const hi = Math.max(hiA, hiB);
    pa = histogram(sa, lo, hi, bins, smoothing);
    pb = histogram(sb, lo, hi, bins, smoothing);
  } else if (binning === 'per-group') {
    pa = histogram(sa, ...range(sa), bins, smoothing);
    pb = histogram(sb, ...range(sb), bins, smoothing);
  } else {
    throw new InvalidArgumentError(`histogramKl: binning must be 'shared' or 'per-group', got '${String(binning)}'.`);
  }
  return { ab: kl(pa, pb), ba: kl(pb, pa) };
}

/** Per-class result of {@link scoreHistogramKl}. */
export interface ClassKl {
  /** The true class (0 or 1). */
  label: number;
  /** `KL(P_{g=0} || P_{g=1})` of the scores of this class. */
  kl01: number;
  /** `KL(P_{g=1} || P_{g=0})`. */
  kl10: number;
}

/**
 * KL divergence between the score histograms of the two protected groups within each true
 * class, both directions. The summary `kl` is, by default (`'original'`), the median of the
 * four directional values (positives and negatives, both directions), as the original
 * evaluation code; with `definition: 'shared-symmetric'` the mean over the two classes of
 * `KL(P0 || P1) + KL(P1 || P0)` (see {@link KlDefinition}). Zero means the classifier's scores
 * do not depend on the group once the true class is known.
 *
 * @param scores - Classifier scores.
 * @param labels - True 0/1 target labels.
 * @param groups - 0/1 protected labels.
 * @param options - See {@link HistogramKlOptions}.
 * @throws GanDebiasError when a (class, group) cell is empty.
 */
export function scoreHistogramKl(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  groups: ArrayLike<number>,
  options: HistogramKlOptions = {},
): {
  /** Mean over the two classes of KL(P0 ‖ P1) + KL(P1 ‖ P0). */
  kl: number;
  /** Both directions for each class. */
  perClass: ClassKl[];
} {
  const s = toScores(scores, undefined, 'scoreHistogramKl: scores');
  const y = toBinaryLabels(labels, s.length, 'scoreHistogramKl: labels');
  const g = toBinaryLabels(groups, s.length, 'scoreHistogramKl: groups');
  const perClass: ClassKl[] = [];
  for (const label of [0, 1]) {
    const cells: number[][] = [[], []];
    for (let i = 0; i < s.length; i++) if (y[i] === label) cells[g[i]!]!.push(s[i]!);
    if (cells[0]!.length === 0 || cells[1]!.length === 0) {
      throw new GanDebiasError(`scoreHistogramKl: no samples with label ${label} in group ${cells[0]!.length === 0 ? 0 : 1}; each (class, group) cell needs scores.`);
    }
    const { ab, ba } = histogramKl(cells[0]!, cells[1]!, options);
    perClass.push({ label, kl01: ab, kl10: ba });
  }
  if ((options.definition ?? 'original') === 'original') {
    const v = perClass.flatMap((c) => [c.kl01, c.kl10]).sort((x, y) => x - y);
    return { kl: (v[1]! + v[2]!) / 2, perClass };
  }
  const kl = perClass.reduce((acc, c) => acc + c.kl01 + c.kl10, 0) / perClass.length;
  return { kl, perClass };
}
