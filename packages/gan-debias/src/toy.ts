import { createRandom, InvalidArgumentError } from '@dbvae/backend';
import { complementLatents } from './complement';
import { fitLinearSvm, linearAccuracy, linearScores, type LinearFitResult, type SvmLoss } from './linear-classifier';
import { positiveInt, type Matrix } from './matrix';
import { histogramKl, type HistogramKlOptions } from './metrics';

/** Options of {@link makeToyLatents}. */
export interface ToyLatentOptions {
  /** Latent dimensions. Default 512. */
  dims?: number;
  /** Group sizes in the order (t=0,g=0), (t=0,g=1), (t=1,g=0), (t=1,g=1). Default `[6000, 1000, 1000, 2000]`. */
  sizes?: [number, number, number, number];
  /** Per-group mean of every coordinate, same order. Default `[0.1, 0.2, -0.1, -0.2]`. */
  means?: [number, number, number, number];
  /** Standard deviation of every coordinate (covariance `std^2 I`). Default 1. */
  std?: number;
  /** Seed. Default 0. */
  seed?: number;
}

/** Toy latents with target and protected labels. */
export interface ToyLatents {
  /** Latents, group by group in the order of `sizes`. */
  z: Matrix;
  /** Target labels. */
  t: Uint8Array;
  /** Protected labels. */
  g: Uint8Array;
}

/**
 * The toy latent space of the latent de-biasing notebook: isotropic Gaussian latents in four
 * (target, protected) groups with shifted means, so that `t` and `g` are correlated (by default
 * 60% of samples are (0, 0) and 20% (1, 1)) and both are linearly separable to a degree.
 */
export function makeToyLatents(options: ToyLatentOptions = {}): ToyLatents {
  const dims = positiveInt(options.dims ?? 512, 'makeToyLatents: dims');
  const sizes = options.sizes ?? [6000, 1000, 1000, 2000];
  const means = options.means ?? [0.1, 0.2, -0.1, -0.2];
  const std = options.std ?? 1;
  if (!(std > 0) || !Number.isFinite(std)) throw new InvalidArgumentError(`makeToyLatents: std must be finite and positive, got ${std}.`);
  sizes.forEach((s, i) => positiveInt(s, `makeToyLatents: sizes[${i}]`));
  if (means.some((m) => !Number.isFinite(m))) throw new InvalidArgumentError('makeToyLatents: means must be finite.');
  const n = sizes.reduce((a, b) => a + b, 0);
  const rng = createRandom(options.seed ?? 0);
  const z = new Float64Array(n * dims);
  const t = new Uint8Array(n);
  const g = new Uint8Array(n);
  let row = 0;
  for (let k = 0; k < 4; k++) {
    for (let i = 0; i < sizes[k]!; i++, row++) {
      t[row] = k >= 2 ? 1 : 0;
      g[row] = k % 2;
      for (let j = 0; j < dims; j++) z[row * dims + j] = means[k]! + std * rng.normal();
    }
  }
  return { z: { data: z, rows: n, cols: dims }, t, g };
}

/** @internal Rows of a matrix by index. */
export function selectRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const out = new Float64Array(idx.length * m.cols);
  for (let i = 0; i < idx.length; i++) out.set(m.data.subarray(idx[i]! * m.cols, (idx[i]! + 1) * m.cols), i * m.cols);
  return { data: out, rows: idx.length, cols: m.cols };
}

/** Options of {@link toyReproduction}. */
export interface ToyReproductionOptions extends ToyLatentOptions {
  /** Training-set size (the rest after validation is test). Default 4000. */
  train?: number;
  /** Validation-set size. Default 1000. */
  validation?: number;
  /** SVM regularisation `C`. Default 1. */
  C?: number;
  /** SVM loss. Default `'squared-hinge'` (the notebook's `LinearSVC`). */
  loss?: SvmLoss;
  /** Histogram options of the KL comparison (default: the original definition, 50 bins per group). */
  kl?: HistogramKlOptions;
}

/** What {@link toyReproduction} measured. */
export interface ToyReproductionResult {
  /** Validation accuracy of the latent target SVM. */
  targetAccuracy: number;
  /** Validation accuracy of the latent protected SVM. */
  protectedAccuracy: number;
  /** Cosine of the angle between `w_t` and `w_g`. */
  cosine: number;
  /** KL between the test target-score histograms of g=0 and g=1, before (`z` only). */
  klBefore: {
    /** KL(g=0 ‖ g=1). */
    ab: number;
    /** KL(g=1 ‖ g=0). */
    ba: number;
  };
  /** The same after adding complements: g=0 is `z`(g=0) with `z'`(g=1), g=1 is `z`(g=1) with `z'`(g=0). */
  klAfter: {
    /** KL(g=0 ‖ g=1). */
    ab: number;
    /** KL(g=1 ‖ g=0). */
    ba: number;
  };
  /** Largest `|h_t(z') - h_t(z)|` over the test set (0 up to rounding). */
  maxTargetShift: number;
  /** Largest `|h_g(z') + h_g(z)|` over the test set (0 up to rounding). */
  maxProtectedError: number;
  /** Fraction of test latents whose predicted protected label (`h_g >= 0`) differs between `z` and `z'` (1 for a complement; 0 for `z' = z`). */
  protectedFlipRate: number;
  /** Fraction of test latents whose predicted target label (`h_t >= 0`) is the same for `z` and `z'`. */
  targetKeepRate: number;
  /** The fitted target classifier `h_t`. */
  target: LinearFitResult;
  /** The fitted protected classifier `h_g`. */
  protectedAttr: LinearFitResult;
}

/**
 * Reproduces the toy example of the latent de-biasing notebook: sample {@link makeToyLatents},
 * split at random into train / validation / test, fit unit-norm linear SVMs for `t` and `g` on
 * train, measure their validation accuracy, compute every test latent's complement and compare
 * the target-score histograms of the two protected groups before and after.
 */
export function toyReproduction(options: ToyReproductionOptions = {}): ToyReproductionResult {
  const data = makeToyLatents(options);
  const n = data.z.rows;
  const nTrain = positiveInt(options.train ?? 4000, 'toyReproduction: train');
  const nVal = positiveInt(options.validation ?? 1000, 'toyReproduction: validation');
  if (nTrain + nVal >= n) throw new InvalidArgumentError(`toyReproduction: train + validation (${nTrain + nVal}) must leave test samples out of ${n}.`);
  const rng = createRandom((options.seed ?? 0) + 1);
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const tr = perm.slice(0, nTrain);
  const va = perm.slice(nTrain, nTrain + nVal);
  const te = perm.slice(nTrain + nVal);
  const pickL = (l: Uint8Array, idx: number[]): Uint8Array => Uint8Array.from(idx, (i) => l[i]!);
  const zTr = selectRows(data.z, tr);
  const zVa = selectRows(data.z, va);
  const zTe = selectRows(data.z, te);
  const C = options.C ?? 1;
  const ht = fitLinearSvm(zTr, pickL(data.t, tr), { C, seed: 1, loss: options.loss });
  const hg = fitLinearSvm(zTr, pickL(data.g, tr), { C, seed: 2, loss: options.loss });
  const targetAccuracy = linearAccuracy(ht, zVa, pickL(data.t, va));
  const protectedAccuracy = linearAccuracy(hg, zVa, pickL(data.g, va));
  let cosine = 0;
  for (let j = 0; j < ht.w.length; j++) cosine += ht.w[j]! * hg.w[j]!;
  const gTe = pickL(data.g, te);
  const zPrime = complementLatents(zTe, ht, hg);
  const st = linearScores(ht, zTe);
  const stp = linearScores(ht, zPrime);
  const sg = linearScores(hg, zTe);
  const sgp = linearScores(hg, zPrime);
  let maxTargetShift = 0;
  let maxProtectedError = 0;
  let flipped = 0;
  let kept = 0;
  for (let i = 0; i < st.length; i++) {
    maxTargetShift = Math.max(maxTargetShift, Math.abs(stp[i]! - st[i]!));
    maxProtectedError = Math.max(maxProtectedError, Math.abs(sgp[i]! + sg[i]!));
    if (sgp[i]! >= 0 !== sg[i]! >= 0) flipped++;
    if (stp[i]! >= 0 === st[i]! >= 0) kept++;
  }
  const before: [number[], number[]] = [[], []];
  const after: [number[], number[]] = [[], []];
  for (let i = 0; i < st.length; i++) {
    const gi = gTe[i]!;
    const own = gi === 0 ? 0 : 1;
    before[own].push(st[i]!);
    after[own].push(st[i]!);
    after[own === 0 ? 1 : 0].push(stp[i]!);
  }
  return {
    targetAccuracy,
    protectedAccuracy,
    cosine,
    klBefore: histogramKl(before[0], before[1], options.kl),
    klAfter: histogramKl(after[0], after[1], options.kl),
    maxTargetShift,
    maxProtectedError,
    protectedFlipRate: flipped / st.length,
    targetKeepRate: kept / st.length,
    target: ht,
    protectedAttr: hg,
  };
}
