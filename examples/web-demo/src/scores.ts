/** Pure helpers that turn the wrapper's raw outputs into the numbers the page shows. */

/** Numerically stable logistic function. */
export function sigmoid(logit: number): number {
  if (logit >= 0) return 1 / (1 + Math.exp(-logit));
  const e = Math.exp(logit);
  return e / (1 + e);
}

/**
 * Percentile rank of `value` in an ascending `reference` sample, in [0, 100]: the share of
 * reference values below it, ties counted half. 50 is a typical value; 0 lies below them all.
 */
export function percentileRank(value: number, reference: readonly number[]): number {
  if (reference.length === 0 || !Number.isFinite(value)) return Number.NaN;
  let below = 0;
  let equal = 0;
  for (const r of reference) {
    if (r < value) below++;
    else if (r === value) equal++;
  }
  return (100 * (below + equal / 2)) / reference.length;
}

/** What `model/meta.json` holds (written by scripts/prepare-model.ts). */
export interface ModelMeta {
  size: number;
  /** Sorted representation scores (log p) of held-out faces. */
  referenceBias: number[];
  /** Sorted epistemic scores of held-out images (faces and non-faces). */
  referenceEpistemic: number[];
  training: { n: number; epochs: number; seed: number; seconds: number; heldOutAccuracy: number };
}

/** One image's scores as displayed. */
export interface Scores {
  /** Face probability in [0, 1]. */
  probability: number;
  /** Raw representation score: log-probability of the features under the training histogram. */
  logDensity: number;
  /** Representation percentile in [0, 100] (low = under-represented). */
  representation: number;
  /** Raw epistemic score: standard deviation of the logit over MC-dropout passes. */
  epistemic: number;
  /** Epistemic percentile in [0, 100] (high = uncertain). */
  epistemicPercentile: number;
}

/** Combines one sample's raw wrapper outputs with the reference distributions. */
export function toScores(logit: number, logDensity: number, epistemic: number, meta: ModelMeta): Scores {
  return {
    probability: sigmoid(logit),
    logDensity,
    representation: percentileRank(logDensity, meta.referenceBias),
    epistemic,
    epistemicPercentile: percentileRank(epistemic, meta.referenceEpistemic),
  };
}
