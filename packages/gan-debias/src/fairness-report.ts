import { InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { bootstrap, bootstrapPooled, pick, type BootstrapOptions, type BootstrapSummary } from './bootstrap';
import { toBinaryLabels, toScores } from './matrix';
import {
  averagePrecision,
  biasAmplification,
  calibrateThreshold,
  equalOpportunityDifference,
  scoreHistogramKl,
  type HistogramKlOptions,
  type KlDefinition,
} from './metrics';

/** Inputs of {@link fairnessReport}. */
export interface FairnessReportInput {
  /** Test scores (higher = more likely target). */
  scores: ArrayLike<number>;
  /** True 0/1 target labels of the test set. */
  labels: ArrayLike<number>;
  /** 0/1 protected labels of the test set. */
  groups: ArrayLike<number>;
  /**
   * Validation scores and labels to calibrate the threshold with {@link calibrateThreshold}
   * (predicted positives = true positives). Required unless `threshold` is given.
   */
  validation?: {
    /** Validation scores (logits or probabilities, as `scores`). */
    scores: ArrayLike<number>;
    /** Validation 0/1 labels. */
    labels: ArrayLike<number>;
  };
  /** A fixed decision threshold instead of calibration. */
  threshold?: number;
}

/** Options of {@link fairnessReport}. */
export interface FairnessReportOptions extends BootstrapOptions {
  /** Histogram options of the KL metric; by default the original definition (see {@link KlDefinition}). */
  kl?: HistogramKlOptions;
}

/** AP, DEO, BA and KL of one classifier, each with its bootstrap summary. */
export interface FairnessReport {
  /** The decision threshold used for DEO and BA. */
  threshold: number;
  /** Average precision ({@link averagePrecision}). */
  ap: BootstrapSummary;
  /** Difference in equality of opportunity ({@link equalOpportunityDifference}). */
  deo: BootstrapSummary;
  /** Bias amplification, attribute to task ({@link biasAmplification}). */
  ba: BootstrapSummary;
  /**
   * KL between the groups' score histograms within each true class ({@link scoreHistogramKl}).
   * With the default `'original'` definition, as the original evaluation: the median and
   * percentiles of the pool of the four directional KLs of every resample (`estimate`: the
   * median of the full sample's four); with `'shared-symmetric'`, of the per-resample summary.
   */
  kl: BootstrapSummary;
}

/**
 * The four fairness metrics of Ramaswamy et al. for one classifier on one test set, each as the
 * full-sample estimate with the median and percentile spread over seeded bootstrap resamples of
 * the test set (default 500). The threshold is calibrated once on validation data and kept
 * fixed across resamples.
 *
 * @throws ShapeError when lengths differ; InvalidArgumentError when neither `validation` nor
 *   `threshold` is given; GanDebiasError when a metric is undefined on the full test set.
 * @example
 * ```ts
 * const r = fairnessReport({ scores, labels, groups, validation: { scores: vs, labels: vl } }, { seed: 1 });
 * console.log(r.deo.median, r.deo.low, r.deo.high);
 * ```
 */
export function fairnessReport(input: FairnessReportInput, options: FairnessReportOptions = {}): FairnessReport {
  const s = toScores(input.scores, undefined, 'fairnessReport: scores');
  const y = toBinaryLabels(input.labels, s.length, 'fairnessReport: labels');
  const g = toBinaryLabels(input.groups, s.length, 'fairnessReport: groups');
  let threshold: number;
  if (input.threshold !== undefined) {
    if (!Number.isFinite(input.threshold)) throw new InvalidArgumentError(`fairnessReport: threshold must be finite, got ${input.threshold}.`);
    threshold = input.threshold;
  } else if (input.validation) {
    if (input.validation.scores.length !== input.validation.labels.length) throw new ShapeError('fairnessReport: validation scores and labels differ in length.');
    threshold = calibrateThreshold(input.validation.scores, input.validation.labels);
  } else {
    throw new InvalidArgumentError('fairnessReport: pass validation scores and labels to calibrate the threshold, or a fixed threshold.');
  }
  const n = s.length;
  const sub = (idx: Int32Array): { s: Float64Array; y: Float64Array; g: Float64Array } => ({ s: pick(s, idx), y: pick(y, idx), g: pick(g, idx) });
  const seed = options.seed ?? 0;
  const boot = (f: (d: { s: Float64Array; y: Float64Array; g: Float64Array }) => number): BootstrapSummary =>
    bootstrap(n, (idx) => f(sub(idx)), { ...options, seed });
  return {
    threshold,
    ap: boot((d) => averagePrecision(d.s, d.y)),
    deo: boot((d) => equalOpportunityDifference(d.s, d.y, d.g, threshold)),
    ba: boot((d) => biasAmplification(d.s.map((v) => (v >= threshold ? 1 : 0)), d.y, d.g)),
    kl:
      (options.kl?.definition ?? 'original') === 'original'
        ? bootstrapPooled(
            n,
            (idx) => {
              const d = sub(idx);
              return scoreHistogramKl(d.s, d.y, d.g, options.kl).perClass.flatMap((c) => [c.kl01, c.kl10]);
            },
            { ...options, seed },
            (four) => {
              const v = four.slice().sort((a, b) => a - b);
              return (v[1]! + v[2]!) / 2;
            },
          )
        : boot((d) => scoreHistogramKl(d.s, d.y, d.g, options.kl).kl),
  };
}
