import { InvalidArgumentError, ShapeError } from '@dbvae/backend';

/** How per-bin gaps are combined: weighted mean of |gap| (`l1`, the usual ECE), root of the weighted mean square (`l2`), or the largest gap (`max`). */
export type CalibrationNorm = 'l1' | 'l2' | 'max';

/** Options of {@link expectedCalibrationError}. */
export interface EceOptions {
  /** Equal-width confidence bins on [0, 1]. Default 10. */
  numBins?: number;
  /** Default `l1`. */
  norm?: CalibrationNorm;
}

function checkBins(numBins: number, norm: string): void {
  if (!Number.isInteger(numBins) || numBins <= 0) throw new InvalidArgumentError(`numBins must be a positive integer, got ${numBins}.`);
  if (!['l1', 'l2', 'max'].includes(norm)) throw new InvalidArgumentError(`norm must be l1, l2 or max, got ${norm}.`);
}

function combine(gaps: Array<{ weight: number; gap: number }>, norm: CalibrationNorm): number {
  if (norm === 'max') return gaps.reduce((m, g) => Math.max(m, Math.abs(g.gap)), 0);
  if (norm === 'l2') return Math.sqrt(gaps.reduce((s, g) => s + g.weight * g.gap * g.gap, 0));
  return gaps.reduce((s, g) => s + g.weight * Math.abs(g.gap), 0);
}

/**
 * Expected calibration error of a classifier. The confidence of a sample is the probability
 * of its predicted class; samples go into `numBins` equal-width bins on [0, 1] (bin b holds
 * confidences in (b/B, (b+1)/B], zero in the first) and each non-empty bin contributes the
 * gap between its accuracy and its mean confidence, weighted by its share of samples.
 *
 * @param probs - Binary: P(class 1) per sample. Multi-class: one probability row per sample.
 * @param labels - True class per sample (0/1 for binary).
 * @throws InvalidArgumentError for probabilities outside [0, 1], bad labels, or no samples.
 */
export function expectedCalibrationError(probs: ArrayLike<number> | ArrayLike<number>[], labels: ArrayLike<number>, options: EceOptions = {}): number {
  const { numBins = 10, norm = 'l1' } = options;
  checkBins(numBins, norm);
  const n = probs.length;
  if (n === 0) throw new InvalidArgumentError('expectedCalibrationError: no samples.');
  if (labels.length !== n) throw new ShapeError(`expectedCalibrationError: ${n} predictions but ${labels.length} labels.`);
  const conf: number[] = [];
  const hit: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = probs[i] as number | ArrayLike<number>;
    const label = labels[i] as number;
    let pred: number;
    let c: number;
    if (typeof p === 'number') {
      pred = p >= 0.5 ? 1 : 0;
      c = pred === 1 ? p : 1 - p;
      if (label !== 0 && label !== 1) throw new InvalidArgumentError(`expectedCalibrationError: binary labels must be 0 or 1, got ${label}.`);
      if (!(p >= 0 && p <= 1)) throw new InvalidArgumentError(`expectedCalibrationError: probability ${p} is outside [0, 1] (pass probabilities, not logits).`);
    } else {
      pred = 0;
      c = -Infinity;
      for (let k = 0; k < p.length; k++) {
        const v = p[k] as number;
        if (!(v >= 0 && v <= 1)) throw new InvalidArgumentError(`expectedCalibrationError: probability ${v} is outside [0, 1].`);
        if (v > c) [c, pred] = [v, k];
      }
      if (!Number.isInteger(label) || label < 0 || label >= p.length) throw new InvalidArgumentError(`expectedCalibrationError: label ${label} is not a class index below ${p.length}.`);
    }
    conf.push(c);
    hit.push(pred === label ? 1 : 0);
  }
  const sums = Array.from({ length: numBins }, () => ({ count: 0, conf: 0, acc: 0 }));
  for (let i = 0; i < n; i++) {
    const c = conf[i] as number;
    const b = Math.min(numBins - 1, Math.max(0, Math.ceil(c * numBins) - 1));
    const s = sums[b] as { count: number; conf: number; acc: number };
    s.count++;
    s.conf += c;
    s.acc += hit[i] as number;
  }
  return combine(
    sums.filter((s) => s.count > 0).map((s) => ({ weight: s.count / n, gap: s.acc / s.count - s.conf / s.count })),
    norm,
  );
}

/** Standard normal CDF (Abramowitz and Stegun 7.1.26 erf, absolute error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Options of {@link regressionCalibrationError}. */
export interface RegressionCalibrationOptions {
  /** Number of confidence levels, p_j = (j - 0.5) / numLevels. Default 10. */
  numLevels?: number;
  /** Default `l1`. */
  norm?: CalibrationNorm;
}

/**
 * Calibration error of Gaussian predictive distributions (aleatoric variance from MVE, or
 * epistemic + aleatoric variance): for each level p_j the observed fraction of targets with
 * `Phi((y - mean) / sqrt(variance)) <= p_j` is compared with p_j (Kuleshov et al. 2018),
 * levels weighted equally. 0 for perfectly calibrated variances.
 * @throws InvalidArgumentError for non-positive variances, mismatched lengths or no samples.
 */
export function regressionCalibrationError(
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  y: ArrayLike<number>,
  options: RegressionCalibrationOptions = {},
): number {
  const { numLevels = 10, norm = 'l1' } = options;
  checkBins(numLevels, norm);
  const n = mean.length;
  if (n === 0) throw new InvalidArgumentError('regressionCalibrationError: no samples.');
  if (variance.length !== n || y.length !== n) throw new ShapeError('regressionCalibrationError: mean, variance and y need the same length.');
  const u: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = variance[i] as number;
    if (!(v > 0) || !Number.isFinite(v)) throw new InvalidArgumentError(`regressionCalibrationError: variance ${v} must be positive and finite.`);
    u.push(normalCdf(((y[i] as number) - (mean[i] as number)) / Math.sqrt(v)));
  }
  const gaps: Array<{ weight: number; gap: number }> = [];
  for (let j = 1; j <= numLevels; j++) {
    const p = (j - 0.5) / numLevels;
    const observed = u.filter((v) => v <= p).length / n;
    gaps.push({ weight: 1 / numLevels, gap: observed - p });
  }
  return combine(gaps, norm);
}
