import { createRandom, InvalidArgumentError, ShapeError } from '@dbvae/backend';
import type { LatentWalkResult } from './latent-walk';
import { positiveInt } from './matrix';
import { percentile } from './stats';

/** A bootstrap interval of one quantity. */
export interface Interval {
  /** On the walked latents as they are. */
  estimate: number;
  /** Median over the resamples. */
  median: number;
  /** Lower percentile. */
  low: number;
  /** Upper percentile. */
  high: number;
}

/** One attribute of {@link covarianceBootstrap}'s ranking. */
export interface RankedCovariate {
  /** Index among the classifier's outputs. */
  index: number;
  /** Its name. */
  name: string;
  /** Covariance of its logit change with the target's (as {@link biasReport}), with its interval. */
  covariance: Interval;
  /** Pearson correlation of the same changes, with its interval. */
  correlation: Interval;
  /** Rank by `|covariance|` among the non-target attributes (1 = largest), with its interval. */
  rank: Interval;
  /** Fraction of resamples in which it is among the top `topK`. */
  topKFrequency: number;
  /** Whether the covariance interval excludes 0 (the sign of the association is settled). */
  signSettled: boolean;
}

/** Options of {@link covarianceBootstrap}. */
export interface CovarianceBootstrapOptions {
  /** Resamples of the walked latents. Default 500. */
  resamples?: number;
  /** Seed of the resampling. Default 0. */
  seed?: number;
  /** Percentiles of the intervals. Default `[2.5, 97.5]`. */
  interval?: [number, number];
  /** The `k` of `topKFrequency`. Default 3. */
  topK?: number;
}

/** What {@link covarianceBootstrap} returns. */
export interface CovarianceBootstrap {
  /** The walked attribute. */
  target: {
    /** Its index among the classifier's outputs. */
    index: number;
    /** Its attribute name (`attr<index>` when the classifier gives none). */
    name: string;
  };
  /** Every other attribute, ordered by the estimate's `|covariance|`, largest first. */
  ranking: RankedCovariate[];
  /** Resamples drawn. */
  resamples: number;
}

/**
 * How solid is a bias report's ranking? Resamples the walked latents (whole trajectories, with
 * replacement), recomputes the covariance and correlation of every attribute's logit change
 * with the target's over all (step, latent) rows, and ranks the attributes by `|covariance|` in
 * each resample. An attribute whose interval excludes 0 and whose rank interval is narrow is a
 * property of this generator and classifier; one whose rank wanders comes and goes with the
 * sample of latents. (Run-to-run variation of the generator itself needs several trainings:
 * compare their rankings.)
 *
 * @param walk - A {@link latentWalk} result.
 * @param options - See {@link CovarianceBootstrapOptions}.
 * @throws ShapeError when the walk is inconsistent or has one latent; InvalidArgumentError on bad options.
 * @example
 * ```ts
 * const boot = covarianceBootstrap(walk, { resamples: 500, topK: 3 });
 * for (const a of boot.ranking) console.log(a.name, a.covariance.low, a.covariance.high, a.topKFrequency);
 * ```
 */
export function covarianceBootstrap(walk: LatentWalkResult, options: CovarianceBootstrapOptions = {}): CovarianceBootstrap {
  const { samples: n, attributes: k, steps, targetIndex: t, changes } = walk;
  if (changes.length !== 2 * steps * n * k) throw new ShapeError('covarianceBootstrap: walk.changes does not match its steps, samples and attributes.');
  if (n < 2) throw new ShapeError('covarianceBootstrap: the walk has a single latent; resampling latents needs at least two.');
  if (k < 2) throw new InvalidArgumentError('covarianceBootstrap: the classifier has a single output; nothing can covary with the target.');
  const resamples = positiveInt(options.resamples ?? 500, 'covarianceBootstrap: resamples');
  const topK = Math.min(positiveInt(options.topK ?? 3, 'covarianceBootstrap: topK'), k - 1);
  const [pLo, pHi] = options.interval ?? [2.5, 97.5];
  if (!(pLo >= 0 && pHi <= 100 && pLo <= pHi)) throw new InvalidArgumentError(`covarianceBootstrap: interval must satisfy 0 <= low <= high <= 100, got [${pLo}, ${pHi}].`);
  const blocks = 2 * steps;
  // Per latent i, sums over its trajectory: of each change, of target x change, of its square.
  const sum = new Float64Array(n * k);
  const cross = new Float64Array(n * k);
  const square = new Float64Array(n * k);
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < n; i++) {
      const o = (b * n + i) * k;
      const xt = changes[o + t]!;
      for (let j = 0; j < k; j++) {
        const x = changes[o + j]!;
        sum[i * k + j]! += x;
        cross[i * k + j]! += xt * x;
        square[i * k + j]! += x * x;
      }
    }
  }
  const counts = new Float64Array(n);
  const stats = (): { cov: Float64Array; cor: Float64Array } => {
    const S = new Float64Array(k);
    const P = new Float64Array(k);
    const Q = new Float64Array(k);
    let m = 0;
    for (let i = 0; i < n; i++) {
      const c = counts[i]!;
      if (c === 0) continue;
      m += c;
      for (let j = 0; j < k; j++) {
        S[j]! += c * sum[i * k + j]!;
        P[j]! += c * cross[i * k + j]!;
        Q[j]! += c * square[i * k + j]!;
      }
    }
    const rows = m * blocks;
    const cov = new Float64Array(k);
    const cor = new Float64Array(k);
    const varT = (Q[t]! - (S[t]! * S[t]!) / rows) / (rows - 1);
    for (let j = 0; j < k; j++) {
      cov[j] = (P[j]! - (S[t]! * S[j]!) / rows) / (rows - 1);
      const varJ = (Q[j]! - (S[j]! * S[j]!) / rows) / (rows - 1);
      cor[j] = varT > 0 && varJ > 0 ? cov[j]! / Math.sqrt(varT * varJ) : Number.NaN;
    }
    return { cov, cor };
  };
  const others = Array.from({ length: k }, (_, j) => j).filter((j) => j !== t);
  const ranks = (cov: Float64Array): Float64Array => {
    const order = others.slice().sort((a, b) => Math.abs(cov[b]!) - Math.abs(cov[a]!) || a - b);
    const r = new Float64Array(k);
    order.forEach((j, pos) => (r[j] = pos + 1));
    return r;
  };
  counts.fill(1);
  const full = stats();
  const fullRanks = ranks(full.cov);
  const covSamples: number[][] = Array.from({ length: k }, () => []);
  const corSamples: number[][] = Array.from({ length: k }, () => []);
  const rankSamples: number[][] = Array.from({ length: k }, () => []);
  const rng = createRandom(options.seed ?? 0);
  for (let r = 0; r < resamples; r++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[rng.int(n)]!++;
    const { cov, cor } = stats();
    const rk = ranks(cov);
    for (const j of others) {
      covSamples[j]!.push(cov[j]!);
      if (!Number.isNaN(cor[j]!)) corSamples[j]!.push(cor[j]!);
      rankSamples[j]!.push(rk[j]!);
    }
  }
  const interval = (estimate: number, values: number[]): Interval =>
    values.length === 0
      ? { estimate, median: Number.NaN, low: Number.NaN, high: Number.NaN }
      : { estimate, median: percentile(values, 50), low: percentile(values, pLo), high: percentile(values, pHi) };
  const ranking: RankedCovariate[] = others
    .map((j) => {
      const covariance = interval(full.cov[j]!, covSamples[j]!);
      return {
        index: j,
        name: walk.attributeNames[j] ?? `attr${j}`,
        covariance,
        correlation: interval(full.cor[j]!, corSamples[j]!),
        rank: interval(fullRanks[j]!, rankSamples[j]!),
        topKFrequency: rankSamples[j]!.filter((v) => v <= topK).length / resamples,
        signSettled: covariance.low > 0 || covariance.high < 0,
      };
    })
    .sort((a, b) => a.rank.estimate - b.rank.estimate);
  return { target: { index: t, name: walk.attributeNames[t] ?? `attr${t}` }, ranking, resamples };
}
