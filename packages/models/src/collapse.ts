import { InvalidArgumentError, tf } from '@dbvae/backend';
import type { DBVAE } from './dbvae';
import { assertFiniteAtLeast } from './validate';

/** Thresholds of {@link detectPosteriorCollapse}. */
export interface CollapseOptions {
  /**
   * A latent dimension is "active" when the variance of its mean across the batch exceeds this
   * (Burda et al.'s active-unit criterion). The latent space has collapsed when fewer than
   * `minActiveUnits` dimensions are active. Default 0.01.
   */
  activeThreshold?: number;
  /** Fewest active dimensions for a healthy latent space. Default 1. */
  minActiveUnits?: number;
  /**
   * The reconstructions have collapsed when their per-pixel variance across the batch is below
   * this fraction of the inputs' (the decoder outputs about the same image whatever the input).
   * Default 0.05.
   */
  reconstructionRatio?: number;
}

/** What {@link detectPosteriorCollapse} measured on a batch of faces. */
export interface CollapseReport {
  /** Dimensions whose mean varies across the batch by more than `activeThreshold`. */
  activeUnits: number;
  /** Latent size k. */
  latentDim: number;
  /** Largest variance of a latent mean across the batch. */
  maxLatentVariance: number;
  /** Mean over pixels of the variance of the inputs across the batch. */
  inputVariance: number;
  /** Mean over pixels of the variance across the batch of the reconstructions (decoded means). */
  reconstructionVariance: number;
  /** reconstructionVariance / inputVariance (NaN when the inputs do not vary). */
  reconstructionRatio: number;
  /** Fewer than `minActiveUnits` active dimensions. */
  latentCollapsed: boolean;
  /** Reconstructions no longer depend on the input. */
  reconstructionCollapsed: boolean;
  /** Either of the two. */
  collapsed: boolean;
  /** A sentence saying what was found and what to try. */
  message: string;
}

function meanVarianceAcrossBatch(t: tf.Tensor): { perDim: Float32Array; mean: number } {
  return tf.tidy(() => {
    const flat = tf.reshape(t, [t.shape[0] as number, -1]);
    const { variance } = tf.moments(flat, 0);
    const perDim = variance.dataSync() as Float32Array;
    let s = 0;
    for (const v of perDim) s += v;
    return { perDim: Float32Array.from(perDim), mean: s / perDim.length };
  });
}

/**
 * Checks a DB-VAE for posterior collapse on a batch of faces (at least 2): (1) the latent means
 * barely vary across inputs (no active unit), (2) the decoded means barely vary compared with
 * the inputs, i.e. the decoder produces one image whatever it is shown. Inference mode; frees
 * what it allocates.
 *
 * @throws InvalidArgumentError for fewer than 2 images or bad thresholds.
 * @example
 * const report = detectPosteriorCollapse(model, faces);
 * if (report.collapsed) console.warn(report.message);
 */
export function detectPosteriorCollapse(model: DBVAE, faces: tf.Tensor4D, options: CollapseOptions = {}): CollapseReport {
  const { activeThreshold = 0.01, minActiveUnits = 1, reconstructionRatio: ratioThreshold = 0.05 } = options;
  assertFiniteAtLeast('detectPosteriorCollapse', 'activeThreshold', activeThreshold, 0);
  assertFiniteAtLeast('detectPosteriorCollapse', 'minActiveUnits', minActiveUnits, 0);
  assertFiniteAtLeast('detectPosteriorCollapse', 'reconstructionRatio', ratioThreshold, 0);
  if (faces.rank !== 4 || (faces.shape[0] as number) < 2) {
    throw new InvalidArgumentError(`detectPosteriorCollapse: pass a [n, H, W, C] batch of at least 2 faces, got shape [${faces.shape}].`);
  }
  const { mean, logit, logVar } = model.encode(faces);
  tf.dispose([logit, logVar]);
  const latent = meanVarianceAcrossBatch(mean);
  const recon = model.decode(mean);
  mean.dispose();
  const reconVar = meanVarianceAcrossBatch(recon).mean;
  recon.dispose();
  const inputVar = meanVarianceAcrossBatch(faces).mean;
  let activeUnits = 0;
  let maxLatentVariance = 0;
  for (const v of latent.perDim) {
    if (v > activeThreshold) activeUnits++;
    if (v > maxLatentVariance) maxLatentVariance = v;
  }
  const ratio = inputVar > 0 ? reconVar / inputVar : NaN;
  const latentCollapsed = activeUnits < minActiveUnits;
  const reconstructionCollapsed = inputVar > 0 && ratio < ratioThreshold;
  const collapsed = latentCollapsed || reconstructionCollapsed;
  const parts: string[] = [];
  if (latentCollapsed) parts.push(`only ${activeUnits}/${latent.perDim.length} latent dimensions vary across inputs (largest variance ${maxLatentVariance.toExponential(2)} <= ${activeThreshold})`);
  if (reconstructionCollapsed) parts.push(`reconstructions vary ${(ratio * 100).toFixed(2)}% as much as the inputs (threshold ${(ratioThreshold * 100).toFixed(1)}%)`);
  const message = collapsed
    ? `Posterior collapse: ${parts.join('; ')}. Try reconstruction reduction 'sum', a smaller klWeight, or a sigmoid decoder output.`
    : `No posterior collapse: ${activeUnits}/${latent.perDim.length} active latent dimensions, reconstructions vary ${(ratio * 100).toFixed(1)}% as much as the inputs.`;
  return {
    activeUnits,
    latentDim: latent.perDim.length,
    maxLatentVariance,
    inputVariance: inputVar,
    reconstructionVariance: reconVar,
    reconstructionRatio: ratio,
    latentCollapsed,
    reconstructionCollapsed,
    collapsed,
    message,
  };
}
