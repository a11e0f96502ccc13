import { InvalidArgumentError, ShapeError } from '@dbvae/backend';

/**
 * Representation score of samples under per-dimension latent histograms (the DB-VAE's density
 * estimate): for each dimension `j`, `bins` equal-width bins over the reference samples' range
 * with probabilities `q_j(b) = (count_j(b) / n + alpha) / (1 + bins * alpha)`; a sample's
 * score is the mean over dimensions of `log q_j(b_ij)` (values outside the range fall into the
 * end bins). Higher means better represented; the exponential of `k` times the score is the
 * product density of the paper, kept in log space so it cannot underflow.
 * @param reference Latent means of the reference set (the training faces), row-major `[n, k]`.
 * @param samples Latent means to score, row-major `[m, k]`.
 * @throws ShapeError when a length is not a multiple of `k`; InvalidArgumentError for no reference samples, non-finite values, `bins < 1` or `alpha < 0`.
 * @example
 * latentLogDensity(new Float32Array([0, 0, 1]), new Float32Array([0, 1]), 1, { bins: 2, alpha: 0 });
 * // reference: two samples in bin 0, one in bin 1 -> [log(2/3), log(1/3)]
 */
export function latentLogDensity(reference: ArrayLike<number>, samples: ArrayLike<number>, k: number, options: { bins?: number; alpha?: number } = {}): Float64Array {
  const bins = options.bins ?? 10;
  const alpha = options.alpha ?? 0.001;
  if (!Number.isInteger(k) || k < 1) throw new InvalidArgumentError(`latentLogDensity: k must be a positive integer, got ${k}.`);
  if (!Number.isInteger(bins) || bins < 1) throw new InvalidArgumentError(`latentLogDensity: bins must be a positive integer, got ${bins}.`);
  if (!(alpha >= 0)) throw new InvalidArgumentError(`latentLogDensity: alpha must be >= 0, got ${alpha}.`);
  if (reference.length % k !== 0 || samples.length % k !== 0) throw new ShapeError(`latentLogDensity: lengths ${reference.length} and ${samples.length} are not multiples of k = ${k}.`);
  const n = reference.length / k;
  const m = samples.length / k;
  if (n === 0) throw new InvalidArgumentError('latentLogDensity: no reference samples.');
  for (const arr of [reference, samples]) for (let i = 0; i < arr.length; i++) if (!Number.isFinite(arr[i] as number)) throw new InvalidArgumentError('latentLogDensity: latents contain NaN or Infinity.');
  const out = new Float64Array(m);
  const counts = new Float64Array(bins);
  for (let j = 0; j < k; j++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = reference[i * k + j] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const width = (hi - lo) / bins;
    const bin = (v: number) => (width > 0 ? Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width))) : 0);
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[bin(reference[i * k + j] as number)]! += 1;
    const norm = 1 + bins * alpha;
    for (let i = 0; i < m; i++) out[i]! += Math.log(((counts[bin(samples[i * k + j] as number)] as number) / n + alpha) / norm) / k;
  }
  return out;
}
