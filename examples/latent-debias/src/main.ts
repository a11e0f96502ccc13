/**
 * Fair attribute classification through latent-space de-biasing (Ramaswamy, Kim and
 * Russakovsky, CVPR 2021), after the GAN latent de-biasing notebook.
 *
 * (a) The notebook's toy example: 512-dimensional Gaussian latents in four (target, protected)
 *     groups, latent linear SVMs, complements z', target-score histograms per protected group.
 * (b) The same pipeline in a learned latent space on SynthFaces: by default the DCGAN and the
 *     attribute classifier that the gan-bias example trained and saved (run it first): prior
 *     samples z labelled by the attribute classifier on G(z), linear SVMs for a target and a
 *     protected attribute, complements z', a target classifier trained on real + G(z) + G(z')
 *     against one trained on real faces only, compared by AP / DEO / BA / KL with bootstrap
 *     intervals. `--generator vae` trains a small VAE here instead (SVMs on its latent means).
 *
 * Run from the repository root: pnpm --filter @dbvae/example-latent-debias start [--help]
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { initBackend, tf } from '@dbvae/backend';
import {
  buildAugmentedSet,
  complementLatents,
  fairnessReport,
  fitLinearSvm,
  histogramKl,
  imageGrid,
  linearAccuracy,
  linearScores,
  toyReproduction,
  type BootstrapSummary,
  type LatentModel,
  type LinearClassifier,
  type Matrix,
} from '@dbvae/gan-debias';
import { attributeClassifierTrainStep, buildAttributeClassifier, fileSystemIOHandler } from '@dbvae/models';
import { ATTRIBUTES, makeFaces, trainFaceVae, trainOn, vaeGenerator } from '@dbvae/example-shared';

// pnpm passes a literal '--' through to the script: drop it.
const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    generator: { type: 'string', default: 'dcgan' },
    models: { type: 'string', default: '../gan-bias/out/models' },
    target: { type: 'string', default: 'longHair' },
    protected: { type: 'string', default: 'female' },
    n: { type: 'string', default: '2048' },
    m: { type: 'string', default: '1024' },
    'latent-dim': { type: 'string', default: '16' },
    'kl-weight': { type: 'string', default: '5e-4' },
    'vae-steps': { type: 'string', default: '600' },
    'cls-steps': { type: 'string', default: '400' },
    resamples: { type: 'string', default: '500' },
    'skip-toy': { type: 'boolean', default: false },
    out: { type: 'string', default: 'out/latent-debias' },
    seed: { type: 'string', default: '0' },
    help: { type: 'boolean', default: false },
  },
});
const names = ATTRIBUTES.map((a) => a.name);
if (values.help) {
  console.log(`Usage: pnpm --filter @dbvae/example-latent-debias start [options]
  --generator dcgan|vae  dcgan (default): the DCGAN and attribute classifier saved by the gan-bias
                         example (run it first); vae: train a small VAE here
  --models <dir>       where gan-bias saved them                      default ../gan-bias/out/models
  --target <name>      target attribute, one of ${names.join(', ')}   default longHair
  --protected <name>   protected attribute (same choices)            default female
  --n <int>            real training faces (validation 256, test 512 more)  default 2048
  --m <int>            latents z for G(z) and G(z') (VAE: at most n)  default 1024
  --latent-dim <int>   VAE latent size (vae only)                    default 16
  --kl-weight <x>      weight of the VAE's KL term (vae only)        default 5e-4 (the lab's)
  --vae-steps <int>    VAE training steps, batch 32 (vae only)       default 600
  --cls-steps <int>    steps of each target classifier (batch 32)    default 400
  --resamples <int>    bootstrap resamples                           default 500
  --skip-toy           skip part (a)
  --out <dir>          folder for the G(z) / G(z') image grid         default out/latent-debias
  --seed <int>         seed of data, weights and batches             default 0`);
  process.exit(0);
}
const int = (key: keyof typeof values): number => {
  const v = Number(values[key]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${key} must be a positive integer, got ${String(values[key])}.`);
  return v;
};
const n = int('n');
const generatorKind = values.generator;
if (generatorKind !== 'dcgan' && generatorKind !== 'vae') throw new Error(`--generator must be dcgan or vae, got ${generatorKind}.`);
const dcgan = generatorKind === 'dcgan';
const modelsDir = resolve(values.models);
const m = dcgan ? int('m') : Math.min(int('m'), n);
const latentDim = int('latent-dim');
const vaeSteps = int('vae-steps');
const clsSteps = int('cls-steps');
const resamples = int('resamples');
const seed = Number(values.seed);
const klWeight = Number(values['kl-weight']);
if (!(klWeight >= 0)) throw new Error(`--kl-weight must be >= 0, got ${values['kl-weight']}.`);
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}.`);
const ti = names.indexOf(values.target);
const gi = names.indexOf(values.protected);
if (ti < 0 || gi < 0 || ti === gi) throw new Error(`--target and --protected must be two different names among ${names.join(', ')}.`);
const tName = values.target;
const gName = values.protected;

const t0 = performance.now();
const log = (msg: string): void => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${msg}`);
await initBackend({ backend: 'wasm' });
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const kl2 = (k: { ab: number; ba: number }): string => `${k.ab.toFixed(3)} / ${k.ba.toFixed(3)}`;

// ---- (a) toy example ----------------------------------------------------------------------------
if (!values['skip-toy']) {
  console.log('(a) Toy latents (notebook): 512 dims, groups (t,g) = (0,0) 6000, (0,1) 1000, (1,0) 1000, (1,1) 2000 with means 0.1, 0.2, -0.1, -0.2;');
  console.log('    train 4000 / validation 1000 / test 5000, linear SVMs (C = 1, unit-norm weights).');
  const r = toyReproduction({ seed });
  console.log(`    validation accuracy: target ${pct(r.targetAccuracy)}, protected ${pct(r.protectedAccuracy)}; cos(w_t, w_g) = ${r.cosine.toFixed(3)}`);
  console.log(`    KL(g=0 || g=1) / KL(g=1 || g=0) of the test target scores: before ${kl2(r.klBefore)}, after adding z' ${kl2(r.klAfter)}`);
  console.log(`    max |h_t(z') - h_t(z)| = ${r.maxTargetShift.toExponential(1)}, max |h_g(z') + h_g(z)| = ${r.maxProtectedError.toExponential(1)}`);
  log('toy example done\n');
}

// ---- (b) learned latent space -------------------------------------------------------------------
console.log(
  dcgan
    ? `(b) SynthFaces, target '${tName}', protected '${gName}': the DCGAN of the gan-bias example is the generator.`
    : `(b) SynthFaces, target '${tName}', protected '${gName}': a VAE's decoder is the generator.`,
);
const train = makeFaces(n, seed);
const val = makeFaces(256, seed + 1_000);
const test = makeFaces(512, seed + 2_000);
const col = (rows: number[][], j: number): number[] => rows.map((r) => r[j]!);
const tTrain = col(train.attributes, ti);
const gTrain = col(train.attributes, gi);
const gTest = col(test.attributes, gi);
const rate = (t: ArrayLike<number>, g: ArrayLike<number>, group: number): number => {
  let pos = 0;
  let all = 0;
  for (let i = 0; i < t.length; i++) {
    if (g[i] !== group) continue;
    all++;
    pos += t[i]!;
  }
  return pos / all;
};
log(`real training faces: P(${tName} | ${gName}=0) = ${pct(rate(tTrain, gTrain, 0))}, P(${tName} | ${gName}=1) = ${pct(rate(tTrain, gTrain, 1))}`);
const cosineOf = (a: LinearClassifier, b: LinearClassifier): number => a.w.reduce((sum, v, j) => sum + v * b.w[j]!, 0);
const signAgreement = (a: Float64Array, b: Float64Array): number => a.filter((v, i) => Math.sign(v) === Math.sign(b[i]!)).length / a.length;
/** Latent-space KL, as in the toy: target scores per protected group before and after adding the complements (group 0 gets z(g=0) and z'(g=1), and so on). */
const latentKl = (ht: LinearClassifier, hg: LinearClassifier, z: Matrix, groups: ArrayLike<number>, what: string): void => {
  const st = linearScores(ht, z);
  const stp = linearScores(ht, complementLatents(z, ht, hg));
  const split = (sc: Float64Array, group: number): number[] => Array.from(sc).filter((_, i) => groups[i] === group);
  const before = histogramKl(split(st, 0), split(st, 1));
  const after = histogramKl([...split(st, 0), ...split(stp, 1)], [...split(st, 1), ...split(stp, 0)]);
  log(`${what}, KL between the ${tName}-score histograms of ${gName}=0 and =1: before ${kl2(before)}, after adding z' ${kl2(after)}`);
};

/** Generator, latents z for G(z) and G(z'), and the latent SVMs h_t, h_g. */
interface LatentSetup {
  generator: LatentModel;
  zAug: Matrix;
  ht: LinearClassifier;
  hg: LinearClassifier;
  dispose: () => void;
}

/**
 * The paper's setting: a GAN has no encoder, so z are prior samples, labelled ("hallucinated")
 * by an attribute classifier run on G(z); h_t and h_g are fitted on those labels. The generator
 * and the attribute classifier are the ones the gan-bias example trained and saved.
 */
async function dcganSetup(): Promise<LatentSetup> {
  const dir = (name: string): string => join(modelsDir, name);
  if (!existsSync(join(dir('dcgan'), 'model.json')) || !existsSync(join(dir('attribute-classifier'), 'model.json'))) {
    throw new Error(`No saved DCGAN / attribute classifier under ${modelsDir}: run \`pnpm --filter @dbvae/example-gan-bias start\` first (it trains and saves them), or pass --generator vae.`);
  }
  const recipe = JSON.parse(readFileSync(join(dir('dcgan'), 'recipe.json'), 'utf8')) as { zDim: number; steps: number; seed: number };
  const clsRecipe = JSON.parse(readFileSync(join(dir('attribute-classifier'), 'recipe.json'), 'utf8')) as { attributes: string[] };
  if (clsRecipe.attributes.join() !== names.join()) throw new Error(`The saved attribute classifier has outputs ${clsRecipe.attributes.join(', ')}, expected ${names.join(', ')}.`);
  const generator = await tf.loadLayersModel(fileSystemIOHandler(dir('dcgan')));
  const attributes = await tf.loadLayersModel(fileSystemIOHandler(dir('attribute-classifier')));
  const zDim = recipe.zDim;
  log(`loaded the DCGAN (zDim ${zDim}, ${recipe.steps} steps, seed ${recipe.seed}) and the attribute classifier from ${modelsDir}`);
  // m latents to fit the SVMs and build the augmented set, 512 more to check them.
  const total = m + 512;
  const zAll = tf.randomNormal([total, zDim], 0, 1, 'float32', seed + 5) as tf.Tensor2D;
  const zData = Float64Array.from(zAll.dataSync());
  const logits = new Float32Array(total * names.length);
  for (let from = 0; from < total; from += 128) {
    const k = Math.min(128, total - from);
    const l = tf.tidy(() => attributes.predict(generator.predict(zAll.slice([from, 0], [k, -1])) as tf.Tensor) as tf.Tensor);
    logits.set(l.dataSync(), from * names.length);
    l.dispose();
  }
  zAll.dispose();
  const label = (j: number, from: number, count: number): number[] => Array.from({ length: count }, (_, i) => (logits[(from + i) * names.length + j]! > 0 ? 1 : 0));
  const tFit = label(ti, 0, m);
  const gFit = label(gi, 0, m);
  const tHeld = label(ti, m, 512);
  const gHeld = label(gi, m, 512);
  log(`attribute classifier on ${m} samples G(z): ${tName} ${pct(tFit.reduce((a, v) => a + v, 0) / m)}, ${gName} ${pct(gFit.reduce((a, v) => a + v, 0) / m)}; P(${tName} | ${gName}=0) = ${pct(rate(tFit, gFit, 0))}, P(${tName} | ${gName}=1) = ${pct(rate(tFit, gFit, 1))}`);
  const zFit: Matrix = { data: zData.subarray(0, m * zDim), rows: m, cols: zDim };
  const zHeld: Matrix = { data: zData.subarray(m * zDim), rows: 512, cols: zDim };
  const ht = fitLinearSvm(zFit, tFit, { seed: 1 });
  const hg = fitLinearSvm(zFit, gFit, { seed: 2 });
  log(
    `latent SVMs on the hallucinated labels, accuracy on 512 held-out samples: ${tName} ${pct(linearAccuracy(ht, zHeld, tHeld))}, ` +
      `${gName} ${pct(linearAccuracy(hg, zHeld, gHeld))}; cos(w_t, w_g) = ${cosineOf(ht, hg).toFixed(3)}`,
  );
  latentKl(ht, hg, zHeld, gHeld, '512 held-out latents');
  // Does flipping h_g in latent space flip the generated image? The attribute classifier on
  // G(z') should keep the target label of G(z) and flip its protected label.
  const heldPrime = complementLatents(zHeld, ht, hg);
  const [tPrime, gPrime] = tf.tidy(() => {
    const l = attributes.predict(generator.predict(tf.tensor2d(Float32Array.from(heldPrime.data), [512, zDim])) as tf.Tensor) as tf.Tensor2D;
    const d = l.arraySync();
    return [d.map((r) => (r[ti]! > 0 ? 1 : 0)), d.map((r) => (r[gi]! > 0 ? 1 : 0))];
  }) as unknown as [number[], number[]];
  const kept = tPrime.filter((v, i) => v === tHeld[i]).length / 512;
  const flipped = gPrime.filter((v, i) => v !== gHeld[i]).length / 512;
  log(`attribute classifier on G(z') vs G(z), 512 held-out samples: ${tName} label kept for ${pct(kept)}, ${gName} label flipped for ${pct(flipped)} (100% / 100% = a perfect complement)`);
  attributes.dispose();
  return { generator, zAug: zFit, ht, hg, dispose: () => generator.dispose() };
}

/** A VAE trained here: z are the encoder's latent means of the real faces, h_t and h_g fitted on their true attributes. */
function vaeSetup(): LatentSetup {
  const vae = trainFaceVae(train.x32, { latentDim, steps: vaeSteps, batchSize: 32, klWeight, seed, log });
  const means = (x: tf.Tensor4D): Matrix => ({ data: vae.latentMeans(x, { batchSize: 128 }), rows: x.shape[0], cols: latentDim });
  const zTrain = means(train.x32);
  const zVal = means(val.x32);
  const zTest = means(test.x32);
  const ht = fitLinearSvm(zTrain, tTrain, { seed: 1 });
  const hg = fitLinearSvm(zTrain, gTrain, { seed: 2 });
  log(
    `latent SVMs on the faces' latent means, validation accuracy: ${tName} ${pct(linearAccuracy(ht, zVal, col(val.attributes, ti)))}, ` +
      `${gName} ${pct(linearAccuracy(hg, zVal, col(val.attributes, gi)))}; cos(w_t, w_g) = ${cosineOf(ht, hg).toFixed(3)}`,
  );
  latentKl(ht, hg, zTest, gTest, 'test latents');
  // Does flipping h_g in latent space flip the decoded image? Decode z', encode again, re-score;
  // as a control, the same round trip of z itself should keep the sign of h_g.
  const roundTrip = (z: Matrix): Matrix =>
    tf.tidy(() => {
      const back = vae.encode(tf.clipByValue(vae.decode(tf.tensor2d(Float32Array.from(z.data), [z.rows, z.cols])), 0, 1)).mean;
      return { data: back.dataSync() as Float32Array, rows: z.rows, cols: z.cols };
    });
  const kCheck = Math.min(m, 512);
  const zCheck: Matrix = { data: zTrain.data.subarray(0, kCheck * latentDim), rows: kCheck, cols: latentDim };
  const hgZ = linearScores(hg, zCheck);
  const keep = signAgreement(hgZ, linearScores(hg, roundTrip(zCheck)));
  const flipped = 1 - signAgreement(hgZ, linearScores(hg, roundTrip(complementLatents(zCheck, ht, hg))));
  log(`decode + re-encode: h_g keeps its sign for ${pct(keep)} of z (control) and flips it for ${pct(flipped)} of z' (100% = the protected attribute really flipped in G(z'))`);
  return { generator: vaeGenerator(vae), zAug: { data: zTrain.data.subarray(0, m * latentDim), rows: m, cols: latentDim }, ht, hg, dispose: () => vae.dispose() };
}

const { generator, zAug, ht, hg, dispose: disposeSetup } = dcgan ? await dcganSetup() : vaeSetup();

// The augmented set: real faces + G(z) + G(z') for the m latents, labelled by the latent SVMs
// (z's predicted target label for both, z's protected label flipped for z').
const set = await buildAugmentedSet({ generator, latents: zAug, target: ht, protectedAttr: hg, real: { images: train.x64, targetLabels: tTrain, protectedLabels: gTrain } });
const synT = set.targetLabels.subarray(n);
const synG = set.protectedLabels.subarray(n);
log(`augmented set: ${n} real + ${2 * m} generated; in the generated half P(${tName} | ${gName}=0) = ${pct(rate(synT, synG, 0))}, P(${tName} | ${gName}=1) = ${pct(rate(synT, synG, 1))}`);

// A few examples: real face, G(z), G(z') side by side.
const outDir = resolve(values.out);
mkdirSync(outDir, { recursive: true });
{
  const k = 6;
  const idx = Array.from({ length: k }, (_, i) => i);
  const tiles = tf.tidy(() => {
    const real = tf.gather(set.images, idx);
    const gz = tf.gather(set.images, idx.map((i) => n + i));
    const gzp = tf.gather(set.images, idx.map((i) => n + m + i));
    return tf.stack([real, gz, gzp], 1).reshape([3 * k, 64, 64, 3]) as tf.Tensor4D;
  });
  const grid = imageGrid(tiles, k, 3, { valueRange: [-1, 1] });
  tiles.dispose();
  const png = resolve(outDir, 'real-gz-gzprime.png');
  await sharp(Buffer.from(grid.data), { raw: { width: grid.width, height: grid.height, channels: 3 } })
    .resize(grid.width * 3, grid.height * 3, { kernel: 'nearest' })
    .png()
    .toFile(png);
  log(`rows of (real face, G(z), G(z')) written to ${png}`);
}

// Two target classifiers with the same architecture, seed and number of steps.
const trainTarget = (x: tf.Tensor4D, labels: ArrayLike<number>): tf.LayersModel => {
  const model = buildAttributeClassifier({ hiddenDim: 8, nOutputs: 1, seed: seed + 21 });
  trainOn(model, attributeClassifierTrainStep, x, Array.from(labels, (v) => [v]), clsSteps, 32, seed + 22);
  return model;
};
const baseline = trainTarget(train.x64, tTrain);
log(`baseline classifier trained on ${n} real faces (${clsSteps} steps)`);
const debiased = trainTarget(set.images as tf.Tensor4D, set.targetLabels);
set.images.dispose();
log(`de-biased classifier trained on real + G(z) + G(z') (${clsSteps} steps)`);

const scores = (model: tf.LayersModel, x: tf.Tensor4D): Float32Array => tf.tidy(() => (model.predict(x) as tf.Tensor).reshape([-1]).dataSync() as Float32Array);
const fmt = (b: BootstrapSummary, digits = 3): string => `${b.median.toFixed(digits)} [${b.low.toFixed(digits)}, ${b.high.toFixed(digits)}]`;
const tTest = col(test.attributes, ti);
const rows: [string, ReturnType<typeof fairnessReport>][] = [];
for (const [name, model] of [
  ['baseline (real only)', baseline],
  ['de-biased (+G(z), G(z\'))', debiased],
] as const) {
  rows.push([
    name,
    fairnessReport(
      { scores: scores(model, test.x64), labels: tTest, groups: gTest, validation: { scores: scores(model, val.x64), labels: col(val.attributes, ti) } },
      { seed: 1, resamples },
    ),
  ]);
}
console.log(`\nTarget '${tName}', protected '${gName}', ${test.attributes.length} real test faces (P(${tName} | ${gName}=0) = ${pct(rate(tTest, gTest, 0))}, =1: ${pct(rate(tTest, gTest, 1))}).`);
console.log(`Bootstrap median [2.5%, 97.5%] over ${resamples} resamples; threshold calibrated on 256 validation faces. AP higher is better, DEO / BA / KL lower is fairer.\n`);
console.log(`  model                     | AP                    | DEO                    | BA                      | KL`);
console.log(`  --------------------------|-----------------------|------------------------|-------------------------|----------------------`);
for (const [name, r] of rows) console.log(`  ${name.padEnd(25)} | ${fmt(r.ap)} | ${fmt(r.deo)} | ${fmt(r.ba)} | ${fmt(r.kl)}`);

tf.dispose([train.x32, train.x64, val.x32, val.x64, test.x32, test.x64]);
[baseline, debiased].forEach((mdl) => mdl.dispose());
disposeSetup();
log(`done; live tensors ${tf.memory().numTensors}`);
