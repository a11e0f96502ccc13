/**
 * The DCGAN recipe of this example: `@dbvae/models`' DCGAN generator and discriminator trained
 * with `ganTrainStep` on SynthFaces faces, in a few CPU minutes, and a load-or-train cache so
 * that later runs (and the latent-debias example) reuse the trained models.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRandom, tf } from '@dbvae/backend';
import { buildDcganDiscriminator, buildDcganGenerator, fileSystemIOHandler, ganTrainStep } from '@dbvae/models';

/** Everything that decides the trained generator (a saved one is reused only if they all match). */
export interface DcganRecipe {
  /** Noise size. */
  zDim: number;
  /** Base width of the generator and the discriminator. */
  hiddenDim: number;
  /** Training steps (one discriminator and one generator update each). */
  steps: number;
  batchSize: number;
  /** Adam learning rate of both networks (beta1 0.5). */
  learningRate: number;
  /** Target of the discriminator on real images (one-sided label smoothing). */
  realLabel: number;
  /** Number of real training faces and the seed they (and weights, batches, noise) derive from. */
  n: number;
  seed: number;
  /** SynthFaces' sexCue of the training faces; absent means 1 (recipes saved before it existed). */
  sexCue?: number;
}

/**
 * The generator: `buildDcganGenerator`'s 64x64 output average-pooled to 32x32 and upsampled
 * back (bilinear). The real faces are 32x32 faces upsampled the same way, so this costs the
 * generator nothing it could use, and it removes the stride-2 transposed convolutions'
 * one-pixel checkerboard, which the discriminator would otherwise learn to spot first.
 */
function buildGenerator(r: DcganRecipe): tf.LayersModel {
  const core = buildDcganGenerator({ zDim: r.zDim, hiddenDim: r.hiddenDim, seed: r.seed });
  const z = tf.input({ shape: [r.zDim], name: 'z' });
  let x = core.apply(z) as tf.SymbolicTensor;
  x = tf.layers.averagePooling2d({ poolSize: 2, strides: 2, name: 'to32' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear', name: 'to64' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: z, outputs: x, name: 'synthfaces_dcgan' });
}

/**
 * Sets every batch-norm layer's moving mean and variance to the statistics of one large batch
 * of prior noise (momentum 0 for one training-mode pass), so that inference (`predict`) gives
 * the images training produced. With the default momentum 0.99 the moving averages lag behind
 * a generator that changed fast in its last hundred steps.
 */
function recalibrateBatchNorm(generator: tf.LayersModel, zDim: number, seed: number): void {
  const layers = generator.layers.flatMap((l) => (l instanceof tf.LayersModel ? l.layers : [l])).filter((l) => l.getClassName() === 'BatchNormalization');
  const saved = layers.map((l) => (l as unknown as { momentum: number }).momentum);
  layers.forEach((l) => ((l as unknown as { momentum: number }).momentum = 0));
  tf.tidy(() => {
    generator.apply(tf.randomNormal([512, zDim], 0, 1, 'float32', seed), { training: true });
  });
  layers.forEach((l, i) => ((l as unknown as { momentum: number }).momentum = saved[i]!));
}

/** Trains the generator of `recipe` on `x64` ([n, 64, 64, 3] in [-1, 1]) and returns it. */
export function trainDcgan(x64: tf.Tensor4D, r: DcganRecipe, log: (msg: string) => void): tf.LayersModel {
  const generator = buildGenerator(r);
  // No batch norm in the discriminator: with separate real and fake batches it hides each
  // batch's colours from the discriminator, and the generator then stays at grey noise.
  const discriminator = buildDcganDiscriminator({ hiddenDim: r.hiddenDim, seed: r.seed + 1, batchNorm: 'none' });
  const gOpt = tf.train.adam(r.learningRate, 0.5);
  const dOpt = tf.train.adam(r.learningRate, 0.5);
  const rng = createRandom(r.seed + 7);
  const n = x64.shape[0];
  const t0 = performance.now();
  let d = 0;
  let g = 0;
  const every = Math.max(1, Math.floor(r.steps / 10));
  try {
    for (let s = 0; s < r.steps; s++) {
      const xb = tf.gather(x64, Array.from({ length: r.batchSize }, () => rng.int(n)));
      const l = ganTrainStep(generator, discriminator, gOpt, dOpt, xb, { seed: r.seed * 100_003 + 2 * s, realLabel: r.realLabel });
      xb.dispose();
      d += l.discriminator;
      g += l.generator;
      if ((s + 1) % every === 0) {
        log(`DCGAN step ${s + 1}/${r.steps}: mean loss of the last ${every} steps D ${(d / every).toFixed(3)}, G ${(g / every).toFixed(3)} (${((performance.now() - t0) / (s + 1)).toFixed(0)} ms/step)`);
        d = 0;
        g = 0;
      }
    }
  } finally {
    gOpt.dispose();
    dOpt.dispose();
    discriminator.dispose();
  }
  recalibrateBatchNorm(generator, r.zDim, r.seed + 8);
  return generator;
}

/**
 * Loads the model saved in `dir` when it was made from the same recipe (any JSON-able object),
 * or calls `train`, saves the result there (`model.json`, `weights.bin`, `recipe.json`) and
 * returns it. This is how the example reuses its DCGAN and attribute classifier across runs,
 * and how the latent-debias example reuses them.
 */
export async function loadOrTrain(
  dir: string,
  recipe: object,
  train: () => tf.LayersModel,
  options: { retrain: boolean; what: string; log: (msg: string) => void },
): Promise<tf.LayersModel> {
  const recipeFile = join(dir, 'recipe.json');
  if (!options.retrain && existsSync(recipeFile) && readFileSync(recipeFile, 'utf8') === JSON.stringify(recipe)) {
    options.log(`${options.what}: loaded from ${dir} (same recipe; --retrain to train again)`);
    return tf.loadLayersModel(fileSystemIOHandler(dir));
  }
  const model = train();
  await model.save(fileSystemIOHandler(dir));
  writeFileSync(recipeFile, JSON.stringify(recipe));
  options.log(`${options.what}: saved in ${dir}`);
  return model;
}
