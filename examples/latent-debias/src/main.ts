/**
 * Fair attribute classification through latent-space de-biasing (Ramaswamy, Kim and
 * Russakovsky, CVPR 2021), after the GAN latent de-biasing notebook.
 *
 * (a) The notebook's toy example: 512-dimensional Gaussian latents in four (target, protected)
 *     groups, latent linear SVMs, complements z', target-score histograms per protected group.
 * (b) The same pipeline in a learned latent space: a small VAE trained on SynthFaces faces (its
 *     decoder is the generator G), linear SVMs on the faces' latent means for a target and a
 *     protected attribute, complements z', a target classifier trained on real + G(z) + G(z')
 *     against one trained on real faces only, compared by AP / DEO / BA / KL with bootstrap intervals.
 *
 * Run from the repository root: pnpm --filter @dbvae/example-latent-debias start [--help]
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
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
  type Matrix,
} from '@dbvae/gan-debias';
import { attributeClassifierTrainStep, buildAttributeClassifier } from '@dbvae/models';
import { ATTRIBUTES, makeFaces, trainFaceVae, trainOn, vaeGenerator } from '@dbvae/example-shared';

// pnpm passes a literal '--' through to the script: drop it.
const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
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
  --target <name>      target attribute, one of ${names.join(', ')}   default longHair
  --protected <name>   protected attribute (same choices)            default female
  --n <int>            real training faces (validation 256, test 512 more)  default 2048
  --m <int>            latents z sampled for G(z) and G(z') (at most n)     default 1024
  --latent-dim <int>   VAE latent size                               default 16
  --kl-weight <x>      weight of the VAE's KL term (L1 reconstruction)  default 5e-4 (the lab's)
  --vae-steps <int>    VAE training steps (batch 32)                 default 600
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
const m = Math.min(int('m'), n);
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
console.log(`(b) SynthFaces, target '${tName}', protected '${gName}': a VAE's decoder is the generator.`);
const train = makeFaces(n, seed);
const val = makeFaces(256, seed + 1_000);
const test = makeFaces(512, seed + 2_000);
const col = (rows: number[][], j: number): number[] => rows.map((r) => r[j]!);
const tTrain = col(train.attributes, ti);
const gTrain = col(train.attributes, gi);
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

const vae = trainFaceVae(train.x32, { latentDim, steps: vaeSteps, batchSize: 32, klWeight, seed, log });
const means = (x: tf.Tensor4D): Matrix => ({ data: vae.latentMeans(x, { batchSize: 128 }), rows: x.shape[0], cols: latentDim });
const zTrain = means(train.x32);
const zVal = means(val.x32);
const zTest = means(test.x32);
const ht = fitLinearSvm(zTrain, tTrain, { seed: 1 });
const hg = fitLinearSvm(zTrain, gTrain, { seed: 2 });
let cosine = 0;
for (let j = 0; j < latentDim; j++) cosine += ht.w[j]! * hg.w[j]!;
log(
  `latent SVMs on the faces' latent means, validation accuracy: ${tName} ${pct(linearAccuracy(ht, zVal, col(val.attributes, ti)))}, ` +
    `${gName} ${pct(linearAccuracy(hg, zVal, col(val.attributes, gi)))}; cos(w_t, w_g) = ${cosine.toFixed(3)}`,
);

// Latent-space KL, as in the toy: target scores of the test latents per true protected group,
// before and after adding the complements (group 0 gets z(g=0) and z'(g=1), and so on).
const gTest = col(test.attributes, gi);
const zTestPrime = complementLatents(zTest, ht, hg);
const st = linearScores(ht, zTest);
const stp = linearScores(ht, zTestPrime);
const split = (s: Float64Array, group: number): number[] => Array.from(s).filter((_, i) => gTest[i] === group);
const klBefore = histogramKl(split(st, 0), split(st, 1));
const klAfter = histogramKl([...split(st, 0), ...split(stp, 1)], [...split(st, 1), ...split(stp, 0)]);
log(`test latents, KL between the ${tName}-score histograms of ${gName}=0 and =1: before ${kl2(klBefore)}, after adding z' ${kl2(klAfter)}`);

// Does flipping h_g in latent space flip the decoded image? Decode z', encode again, re-score;
// as a control, the same round trip of z itself should keep the sign of h_g.
const roundTrip = (z: Matrix): Matrix =>
  tf.tidy(() => {
    const back = vae.encode(tf.clipByValue(vae.decode(tf.tensor2d(Float32Array.from(z.data), [z.rows, z.cols])), 0, 1)).mean;
    return { data: back.dataSync() as Float32Array, rows: z.rows, cols: z.cols };
  });
const kCheck = Math.min(m, 512);
const zCheck: Matrix = { data: zTrain.data.subarray(0, kCheck * latentDim), rows: kCheck, cols: latentDim };
const signAgreement = (a: Float64Array, b: Float64Array): number => a.filter((v, i) => Math.sign(v) === Math.sign(b[i]!)).length / a.length;
const hgZ = linearScores(hg, zCheck);
const keep = signAgreement(hgZ, linearScores(hg, roundTrip(zCheck)));
const flipped = 1 - signAgreement(hgZ, linearScores(hg, roundTrip(complementLatents(zCheck, ht, hg))));
log(`decode + re-encode: h_g keeps its sign for ${pct(keep)} of z (control) and flips it for ${pct(flipped)} of z' (100% = the protected attribute really flipped in G(z'))`);

// The augmented set: real faces + G(z) + G(z') for the first m training latents, labelled by
// the latent SVMs (z's predicted target label for both, z's protected label flipped for z').
const generator = vaeGenerator(vae);
const zAug: Matrix = { data: zTrain.data.subarray(0, m * latentDim), rows: m, cols: latentDim };
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
vae.dispose();
log(`done; live tensors ${tf.memory().numTensors}`);
