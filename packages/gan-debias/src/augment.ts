import { tf, InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { complementLatents, type ComplementMode } from './complement';
import { linearScores, type LinearClassifier } from './linear-classifier';
import { asFunction, type LatentModel } from './model-fn';
import { positiveInt, toBinaryLabels, toMatrix, type Matrix, type MatrixLike } from './matrix';

/** Labelled real images to put in front of the generated ones. */
export interface RealData {
  /** Images `[n, h, w, c]` (not disposed). */
  images: tf.Tensor;
  /** 0/1 target labels. */
  targetLabels: ArrayLike<number>;
  /** 0/1 protected labels. */
  protectedLabels: ArrayLike<number>;
}

/** Options of {@link buildAugmentedSet}. */
export interface AugmentOptions {
  /** Latents to images. */
  generator: LatentModel;
  /** Sampled latents `z` (`[m, zDim]`); each gives `G(z)` and `G(z')`. */
  latents: MatrixLike;
  /** Latent-space target classifier `h_t` (unit `w`), from {@link fitLinearSvm}. */
  target: LinearClassifier;
  /** Latent-space protected classifier `h_g` (unit `w`). */
  protectedAttr: LinearClassifier;
  /** Real labelled data to include first. Optional. */
  real?: RealData;
  /** How complements are made; see {@link ComplementMode}. Default `'complement'`. */
  mode?: ComplementMode;
  /** Latents per generator call. Default 64. */
  batchSize?: number;
  /**
   * Labels of `G(z)` to use instead of the latent classifiers' predictions, e.g. your image
   * classifiers' predictions `f_t(G(z))`, `f_g(G(z))` as in the paper. `G(z')` gets the same
   * target label and the flipped protected label. Either may be given alone.
   */
  labels?: {
    /** 0/1 target labels of the latents' images. */
    target?: ArrayLike<number>;
    /** 0/1 protected labels of the latents' images. */
    protectedAttr?: ArrayLike<number>;
  };
}

/** The augmented training set. The caller owns (and must dispose) `images`. */
export interface AugmentedSet {
  /** Real images, then `G(z)` for every latent, then `G(z')` in the same order. */
  images: tf.Tensor;
  /** Target label of each image: the real label, or `h_t(z) >= 0` for both `G(z)` and `G(z')`. */
  targetLabels: Uint8Array;
  /** Protected label: the real label, `h_g(z) >= 0` for `G(z)` and its flip for `G(z')`. */
  protectedLabels: Uint8Array;
  /** Where each image comes from: 0 real, 1 generated `G(z)`, 2 complement `G(z')`. */
  source: Uint8Array;
  /** The latents `z` then `z'` (the generated part only). */
  latents: Matrix;
}

function generate(gen: (z: tf.Tensor2D) => tf.Tensor, z: Matrix, batchSize: number): tf.Tensor {
  const parts: tf.Tensor[] = [];
  try {
    for (let start = 0; start < z.rows; start += batchSize) {
      const rows = Math.min(batchSize, z.rows - start);
      const slice = Float32Array.from(z.data.subarray(start * z.cols, (start + rows) * z.cols));
      parts.push(tf.tidy(() => gen(tf.tensor2d(slice, [rows, z.cols]))));
    }
    return parts.length === 1 ? parts[0]!.clone() : tf.concat(parts, 0);
  } finally {
    for (const p of parts) p.dispose();
  }
}

/**
 * Builds the de-biasing training set of Ramaswamy, Kim and Russakovsky (CVPR 2021): real data,
 * plus `G(z)` and `G(z')` for every sampled latent, where `z'` keeps `z`'s target score and
 * flips its protected score ({@link complementLatents}). Generated images carry the
 * hallucinated target label of `z` (`h_t(z) >= 0` unless `labels.target` is given, the same
 * for both) and the protected label (`h_g(z) >= 0` unless `labels.protectedAttr` is given) for
 * `G(z)`, flipped for `G(z')`, so target and protected labels are decorrelated in the synthetic half.
 *
 * @throws ShapeError when the real labels do not match the real images or the generated and real
 *   image shapes differ; InvalidArgumentError on bad options.
 * @example
 * ```ts
 * const set = await buildAugmentedSet({ generator, latents: z, target: ht, protectedAttr: hg, real });
 * try { await trainMyClassifier(set.images, set.targetLabels); } finally { set.images.dispose(); }
 * ```
 */
export async function buildAugmentedSet(options: AugmentOptions): Promise<AugmentedSet> {
  const gen = asFunction(options.generator, 'buildAugmentedSet: generator');
  const z = toMatrix(options.latents, 'buildAugmentedSet: latents');
  const batchSize = positiveInt(options.batchSize ?? 64, 'buildAugmentedSet: batchSize');
  const zPrime = complementLatents(z, options.target, options.protectedAttr, { mode: options.mode ?? 'complement' });
  const st = linearScores(options.target, z);
  const sg = linearScores(options.protectedAttr, z);
  const m = z.rows;
  const real = options.real;
  let nReal = 0;
  let realT: Uint8Array | undefined;
  let realG: Uint8Array | undefined;
  if (real) {
    if (!(real.images instanceof tf.Tensor) || real.images.rank < 1) throw new ShapeError('buildAugmentedSet: real.images must be a tensor [n, ...].');
    nReal = real.images.shape[0]!;
    realT = toBinaryLabels(real.targetLabels, nReal, 'buildAugmentedSet: real.targetLabels');
    realG = toBinaryLabels(real.protectedLabels, nReal, 'buildAugmentedSet: real.protectedLabels');
  }
  const total = nReal + 2 * m;
  const targetLabels = new Uint8Array(total);
  const protectedLabels = new Uint8Array(total);
  const source = new Uint8Array(total);
  if (realT && realG) {
    targetLabels.set(realT);
    protectedLabels.set(realG);
  }
  const givenT = options.labels?.target !== undefined ? toBinaryLabels(options.labels.target, m, 'buildAugmentedSet: labels.target') : undefined;
  const givenG = options.labels?.protectedAttr !== undefined ? toBinaryLabels(options.labels.protectedAttr, m, 'buildAugmentedSet: labels.protectedAttr') : undefined;
  for (let i = 0; i < m; i++) {
    const t = givenT ? givenT[i]! : st[i]! >= 0 ? 1 : 0;
    const g = givenG ? givenG[i]! : sg[i]! >= 0 ? 1 : 0;
    targetLabels[nReal + i] = t;
    targetLabels[nReal + m + i] = t;
    protectedLabels[nReal + i] = g;
    protectedLabels[nReal + m + i] = 1 - g;
    source[nReal + i] = 1;
    source[nReal + m + i] = 2;
  }
  const latents: Matrix = { data: new Float64Array(2 * m * z.cols), rows: 2 * m, cols: z.cols };
  latents.data.set(z.data);
  latents.data.set(zPrime.data, m * z.cols);
  const generated = generate(gen, latents, batchSize);
  let images: tf.Tensor;
  try {
    if (generated.shape[0] !== 2 * m) throw new ShapeError(`buildAugmentedSet: the generator returned ${generated.shape[0]} images for ${2 * m} latents.`);
    if (real) {
      const a = real.images.shape.slice(1).join(',');
      const b = generated.shape.slice(1).join(',');
      if (a !== b) throw new ShapeError(`buildAugmentedSet: real images are [${a}] but generated ones are [${b}]; resize one to match.`);
      images = tf.concat([real.images, generated], 0);
    } else {
      images = generated.clone();
    }
  } finally {
    generated.dispose();
  }
  return { images, targetLabels, protectedLabels, source, latents };
}

/** Options of {@link trainDebiasedClassifier}. */
export interface TrainDebiasedOptions<T> extends AugmentOptions {
  /**
   * Trains the user's target classifier on the augmented set and returns whatever the user
   * wants back (a model, a history). The set's images are disposed after it resolves, so copy
   * what must outlive it.
   */
  train: (set: AugmentedSet) => T | Promise<T>;
}

/**
 * Builds the augmented set ({@link buildAugmentedSet}), hands it to the user's `train`
 * callback, and disposes the images afterwards (also when training throws).
 *
 * @returns What `train` returned.
 * @throws InvalidArgumentError when `train` is not a function; anything `train` throws.
 */
export async function trainDebiasedClassifier<T>(options: TrainDebiasedOptions<T>): Promise<T> {
  if (typeof options.train !== 'function') throw new InvalidArgumentError('trainDebiasedClassifier: train must be a function (set) => result.');
  const set = await buildAugmentedSet(options);
  try {
    return await options.train(set);
  } finally {
    set.images.dispose();
  }
}
