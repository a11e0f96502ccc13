/**
 * SynthFaces faces with their attributes, and a small VAE trained on them whose decoder is
 * used as the generator: shared by the gan-bias and latent-debias examples.
 */
import { createRandom, tf } from '@dbvae/backend';
import { generateSynthFaces, type SynthAttributes, type SynthSkew } from '@dbvae/core-data';
import { DBVAE, dbvaeTrainStep } from '@dbvae/models';

/** Binary attributes read off SynthFaces' known per-image attributes. */
export const ATTRIBUTES: { name: string; of: (a: SynthAttributes) => boolean }[] = [
  { name: 'female', of: (a) => a.sex === 'female' },
  { name: 'darkSkin', of: (a) => a.skin === 'dark' },
  { name: 'longHair', of: (a) => a.hairLength === 'long' },
  { name: 'blondHair', of: (a) => a.hairColor === 'blond' },
  { name: 'hat', of: (a) => a.hat === true },
  { name: 'glasses', of: (a) => a.glasses === true },
  { name: 'plainBackground', of: (a) => a.background === 'plain' },
];

/** Faces only: classifier-resolution images and their attribute matrix. */
export interface Faces {
  /** [n, 64, 64, 3] in [-1, 1], downsampled to the VAE's 32x32 and back, so real and generated images share one blur. */
  x64: tf.Tensor4D;
  /** [n, 32, 32, 3] in [0, 1]: what the VAE trains on. */
  x32: tf.Tensor4D;
  /** attributes[i][j] = 1 when image i has ATTRIBUTES[j]. */
  attributes: number[][];
}

/**
 * The `--sex-cue` flag of the examples as a number, checked before any work: SynthFaces' `sexCue`,
 * in [0, 5] as `generateSynthFaces` accepts it.
 */
export function parseSexCue(text: string | undefined): number {
  const value = Number(text);
  if (!(value >= 0 && value <= 5)) throw new Error(`--sex-cue must be a number in [0, 5], got ${String(text)}.`);
  return value;
}

/**
 * n SynthFaces faces (default skew: long hair goes with female, dark skin is rare; `skew`
 * overrides it; `sexCue` scales how visible sex is, see `generateSynthFaces`).
 */
export function makeFaces(n: number, seed: number, skew?: Partial<SynthSkew>, sexCue = 1): Faces {
  const data = generateSynthFaces({ n, faceFraction: 1, size: 64, seed, sexCue, ...(skew ? { skew } : {}) });
  const attributes = data.attributes.map((a) => ATTRIBUTES.map((attr) => (attr.of(a) ? 1 : 0)));
  const [x32, x64] = tf.tidy(() => {
    const raw = tf.div(tf.tensor4d(data.images, [n, 64, 64, 3], 'int32').toFloat(), 255) as tf.Tensor4D;
    const small = tf.image.resizeBilinear(raw, [32, 32]);
    const back = tf.sub(tf.mul(tf.image.resizeBilinear(small, [64, 64]), 2), 1) as tf.Tensor4D;
    return [small, back];
  });
  return { x32, x64, attributes };
}

/** The VAE decoder as a generator: latent [n, k] -> image [n, 64, 64, 3] in [-1, 1] (differentiable). */
export function vaeGenerator(vae: DBVAE): (z: tf.Tensor2D) => tf.Tensor4D {
  return (z) =>
    tf.tidy(() => {
      const img = tf.clipByValue(vae.decode(z), 0, 1) as tf.Tensor4D;
      return tf.sub(tf.mul(tf.image.resizeBilinear(img, [64, 64]), 2), 1) as tf.Tensor4D;
    });
}

/** Options of {@link trainFaceVae}. */
export interface VaeOptions {
  latentDim: number;
  steps: number;
  batchSize: number;
  klWeight: number;
  seed: number;
  log: (msg: string) => void;
}

/**
 * Trains a DB-VAE on faces only (every batch is faces, so it is a plain VAE whose face logit is
 * pushed to "face"; no resampling), with Adam 1e-3 on L1 reconstruction + klWeight * KL.
 */
export function trainFaceVae(x32: tf.Tensor4D, o: VaeOptions): DBVAE {
  const vae = new DBVAE({ latentDim: o.latentDim, inputShape: [32, 32, 3], seed: o.seed });
  const opt = tf.train.adam(1e-3);
  const rng = createRandom(o.seed + 101);
  const n = x32.shape[0];
  const ones = tf.ones([o.batchSize, 1]);
  try {
    for (let s = 0; s < o.steps; s++) {
      const idx = Array.from({ length: o.batchSize }, () => rng.int(n));
      const xb = tf.gather(x32, idx);
      const l = dbvaeTrainStep(vae, opt, xb, ones, { seed: o.seed * 100_003 + s, klWeight: o.klWeight });
      xb.dispose();
      if ((s + 1) % Math.max(1, Math.floor(o.steps / 4)) === 0) o.log(`VAE step ${s + 1}/${o.steps}: L1 ${l.reconstruction.toFixed(4)}, KL ${l.kl.toFixed(2)}`);
    }
  } finally {
    ones.dispose();
    opt.dispose();
  }
  return vae;
}

/** Trains a classifier (logits out) on [-1, 1] images with sigmoid BCE, one random batch per step. */
export function trainOn(
  model: tf.LayersModel,
  step: (model: tf.LayersModel, opt: tf.Optimizer, x: tf.Tensor4D, y: tf.Tensor2D) => unknown,
  x: tf.Tensor4D,
  labels: number[][],
  steps: number,
  batchSize: number,
  seed: number,
): void {
  const opt = tf.train.adam(1e-3);
  const rng = createRandom(seed);
  try {
    for (let s = 0; s < steps; s++) {
      const idx = Array.from({ length: batchSize }, () => rng.int(x.shape[0]));
      const xb = tf.gather(x, idx);
      const yb = tf.tensor2d(idx.map((i) => labels[i]!));
      step(model, opt, xb, yb);
      tf.dispose([xb, yb]);
    }
  } finally {
    opt.dispose();
  }
}

/** Pearson correlation of two 0/1 (or real) columns. */
export function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
