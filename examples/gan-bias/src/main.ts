/**
 * GAN bias detection by latent walks (the GAN course's bias notebook) on SynthFaces.
 *
 * 1. A generator: by default a DCGAN (`@dbvae/models`) trained on SynthFaces faces, saved under
 *    out/models/ and reused by later runs and by the latent-debias example; `--generator vae`
 *    uses the decoder of a small VAE instead (any model from latents to images will do).
 * 2. A multi-attribute classifier trained on real SynthFaces faces and their known attributes
 *    (also saved under out/models/).
 * 3. `latentWalk` moves latents up and down the gradient of one attribute's logit; `biasReport`
 *    ranks the other attributes whose logits move with it (covariance, Pearson correlation).
 *
 * Run from the repository root: pnpm --filter @dbvae/example-gan-bias start [-- --help]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { initBackend, tf } from '@dbvae/backend';
import { biasReport, covarianceBootstrap, imageGrid, latentWalk, type LatentModel } from '@dbvae/gan-debias';
import { attributeClassifierTrainStep, buildAttributeClassifier } from '@dbvae/models';
import { ATTRIBUTES, makeFaces, parseSexCue, pearson, trainFaceVae, trainOn, vaeGenerator } from '@dbvae/example-shared';
import { renderChartSvg, svgToPng } from '@dbvae/cli';
import { loadOrTrain, trainDcgan, type DcganRecipe } from './dcgan';
import { regressionChart } from './regression-chart';

// pnpm passes a literal '--' through to the script: drop it.
const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    generator: { type: 'string', default: 'dcgan' },
    target: { type: 'string', default: 'female' },
    n: { type: 'string', default: '2048' },
    'latent-dim': { type: 'string' },
    'kl-weight': { type: 'string', default: '5e-4' },
    'vae-steps': { type: 'string', default: '600' },
    'gan-steps': { type: 'string', default: '1500' },
    'gan-hidden': { type: 'string', default: '16' },
    'gan-batch': { type: 'string', default: '32' },
    'gan-lr': { type: 'string', default: '5e-4' },
    'real-label': { type: 'string', default: '0.9' },
    'cls-steps': { type: 'string', default: '400' },
    'sex-cue': { type: 'string', default: '1' },
    samples: { type: 'string', default: '64' },
    steps: { type: 'string' },
    'step-size': { type: 'string' },
    'top-k': { type: 'string', default: '4' },
    resamples: { type: 'string', default: '500' },
    gradient: { type: 'string', default: 'fresh' },
    out: { type: 'string', default: 'out/gan-bias' },
    models: { type: 'string', default: 'out/models' },
    retrain: { type: 'boolean', default: false },
    seed: { type: 'string', default: '0' },
    help: { type: 'boolean', default: false },
  },
});
const names = ATTRIBUTES.map((a) => a.name);
/** Default walk step for the DCGAN (its logit gradients are larger than the VAE decoder's). */
const STEP_DCGAN = 0.1;
if (values.help) {
  console.log(`Usage: pnpm --filter @dbvae/example-gan-bias start [-- options]
  --generator dcgan|vae  generator: a DCGAN (default) or a VAE decoder             default dcgan
  --target <name>        attribute to walk along, one of ${names.join(', ')}    default female
  --n <int>              real training faces                                   default 2048
  --latent-dim <int>     DCGAN noise size / VAE latent size                    default 64 / 16
  --gan-steps <int>      DCGAN training steps                                  default 1500
  --gan-hidden <int>     DCGAN base width (generator and discriminator)        default 16
  --gan-batch <int>      DCGAN batch size                                      default 32
  --gan-lr <x>           Adam learning rate of both DCGAN networks (beta1 0.5) default 5e-4
  --real-label <x>       discriminator target on real faces (label smoothing)  default 0.9
  --kl-weight <x>        weight of the VAE's KL term (L1 reconstruction)      default 5e-4 (the lab's)
  --vae-steps <int>      VAE training steps (batch 32)                         default 600
  --cls-steps <int>      attribute classifier training steps (batch 32)       default 400
  --sex-cue <x>          how visible sex is in the faces, in [0, 5] (SynthFaces' sexCue)  default 1
  --samples <int>        latents walked                                        default 64
  --steps <int>          walk steps in each direction                          default DCGAN 10, VAE 12
  --step-size <x>        step size (each latent follows its own logit's gradient) default DCGAN ${STEP_DCGAN}, VAE 0.5
  --top-k <int>          attributes reported                                   default 4
  --resamples <int>      bootstrap resamples of the walked latents             default 500
  --gradient fresh|accumulated  walk steps: fresh gradient, or the notebook's never-cleared sum  default fresh
  --out <dir>            output folder (PNG + JSON), relative to the example  default out/gan-bias
  --models <dir>         where the DCGAN and the attribute classifier are saved and reused  default out/models
  --retrain              train them again even if a saved one has the same recipe
  --seed <int>           seed of data, weights, batches and walk latents       default 0`);
  process.exit(0);
}
const generatorKind = values.generator;
if (generatorKind !== 'vae' && generatorKind !== 'dcgan') throw new Error(`--generator must be dcgan or vae, got ${generatorKind}.`);
const dcgan = generatorKind === 'dcgan';
const int = (key: keyof typeof values, fallback?: number): number => {
  const v = values[key] === undefined && fallback !== undefined ? fallback : Number(values[key]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${key} must be a positive integer, got ${String(values[key])}.`);
  return v;
};
const n = int('n');
const latentDim = int('latent-dim', dcgan ? 64 : 16);
const vaeSteps = int('vae-steps');
const clsSteps = int('cls-steps');
const sexCue = parseSexCue(values['sex-cue']);
const samples = int('samples');
const steps = int('steps', dcgan ? 10 : 12);
const topK = int('top-k');
const resamples = int('resamples');
const gradient = values.gradient;
if (gradient !== 'fresh' && gradient !== 'accumulated') throw new Error(`--gradient must be fresh or accumulated, got ${gradient}.`);
const seed = Number(values.seed);
const klWeight = Number(values['kl-weight']);
if (!(klWeight >= 0)) throw new Error(`--kl-weight must be >= 0, got ${values['kl-weight']}.`);
const stepSize = values['step-size'] === undefined ? (dcgan ? STEP_DCGAN : 0.5) : Number(values['step-size']);
const ganLr = Number(values['gan-lr']);
const realLabel = Number(values['real-label']);
if (!(ganLr > 0)) throw new Error(`--gan-lr must be positive, got ${values['gan-lr']}.`);
if (!(realLabel > 0 && realLabel <= 1)) throw new Error(`--real-label must be in (0, 1], got ${values['real-label']}.`);
if (!names.includes(values.target)) throw new Error(`--target must be one of ${names.join(', ')}, got ${values.target}.`);
if (!(stepSize > 0)) throw new Error(`--step-size must be positive, got ${values['step-size']}.`);
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}.`);
const outDir = resolve(values.out);
const modelsDir = resolve(values.models);
// sexCue joins the recipes only when it is not the default, so models saved before it still load
const cueRecipe = sexCue === 1 ? {} : { sexCue };
const recipe: DcganRecipe = { zDim: latentDim, hiddenDim: int('gan-hidden'), steps: int('gan-steps'), batchSize: int('gan-batch'), learningRate: ganLr, realLabel, n, seed, ...cueRecipe };

const t0 = performance.now();
const log = (msg: string): void => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${msg}`);
await initBackend({ backend: 'wasm' });
log(`SynthFaces: ${n} training faces + ${samples} held-out faces, generator ${generatorKind}, target '${values.target}', seed ${seed}`);

// ---- data: real faces and their known attributes ----------------------------------------------
const train = makeFaces(n, seed, undefined, sexCue);
const test = makeFaces(Math.max(samples, 256), seed + 1_000, undefined, sexCue);
const targetIndex = names.indexOf(values.target);
const column = (rows: number[][], j: number): number[] => rows.map((r) => r[j]!);
const dataCorrelation = names.map((_, j) => pearson(column(train.attributes, targetIndex), column(train.attributes, j)));

// ---- 1. the generator --------------------------------------------------------------------------
const disposers: (() => void)[] = [];
let generator: LatentModel;
let walkStart: tf.Tensor2D;
if (generatorKind === 'vae') {
  const vae = trainFaceVae(train.x32, { latentDim, steps: vaeSteps, batchSize: 32, klWeight, seed, log });
  disposers.push(() => vae.dispose());
  generator = vaeGenerator(vae);
  // Walks start at the latent means of held-out real faces: where the decoder was trained.
  walkStart = tf.tidy(() => vae.encode(test.x32.slice([0, 0, 0, 0], [samples, -1, -1, -1])).mean);
} else {
  const gen = await loadOrTrain(resolve(modelsDir, 'dcgan'), recipe, () => trainDcgan(train.x64, recipe, log), { retrain: values.retrain, what: 'DCGAN generator', log });
  disposers.push(() => gen.dispose());
  generator = gen;
  // Walks start from prior noise: a GAN has no encoder, and its whole prior maps to faces.
  walkStart = tf.randomNormal([samples, latentDim], 0, 1, 'float32', seed + 3) as tf.Tensor2D;
}

// ---- 2. the multi-attribute classifier ----------------------------------------------------------
const classifier = await loadOrTrain(
  resolve(modelsDir, 'attribute-classifier'),
  { attributes: names, hiddenDim: 8, steps: clsSteps, batchSize: 32, learningRate: 1e-3, n, seed, ...cueRecipe },
  () => {
    const model = buildAttributeClassifier({ hiddenDim: 8, nOutputs: names.length, seed: seed + 11 });
    trainOn(model, attributeClassifierTrainStep, train.x64, train.attributes, clsSteps, 32, seed + 12);
    return model;
  },
  { retrain: values.retrain, what: 'attribute classifier', log },
);
disposers.push(() => classifier.dispose());
const testLogitsTensor = classifier.predict(test.x64) as tf.Tensor;
const testLogits = testLogitsTensor.arraySync() as number[][];
testLogitsTensor.dispose();
const accuracy = names.map((_, j) => testLogits.filter((l, i) => (l[j]! > 0 ? 1 : 0) === test.attributes[i]![j]).length / testLogits.length);
log(`attribute classifier, accuracy on ${testLogits.length} held-out real faces: ${names.map((nm, j) => `${nm} ${(100 * accuracy[j]!).toFixed(0)}%`).join(', ')}`);

// Does the generator make varied faces? The classifier's positive rate on 512 samples G(z)
// beside the true rate in the training faces, and a grid of 64 samples.
mkdirSync(outDir, { recursive: true });
const sampleFile = resolve(outDir, `samples-${generatorKind}.png`);
// (A VAE trained this briefly does not fill its prior, so its samples look worse than its walks.)
const generated = tf.tidy(() => {
  const z = tf.randomNormal([512, latentDim], 0, 1, 'float32', seed + 4) as tf.Tensor2D;
  return (typeof generator === 'function' ? generator(z) : generator.predict(z)) as tf.Tensor4D;
});
const first64 = generated.slice([0, 0, 0, 0], [64, -1, -1, -1]);
const sampleGrid = imageGrid(first64, 8, 8, { valueRange: [-1, 1] });
first64.dispose();
const generatedRates = tf.tidy(() => tf.mean(tf.cast(tf.greater(classifier.predict(generated) as tf.Tensor, 0), 'float32'), 0).arraySync() as number[]);
generated.dispose();
await sharp(Buffer.from(sampleGrid.data), { raw: { width: sampleGrid.width, height: sampleGrid.height, channels: 3 } })
  .resize(sampleGrid.width * 2, sampleGrid.height * 2, { kernel: 'nearest' })
  .png()
  .toFile(sampleFile);
const trueRates = names.map((_, j) => column(train.attributes, j).reduce((a, v) => a + v, 0) / n);
log(`positive rate on 512 generated faces (in the real training faces): ${names.map((nm, j) => `${nm} ${(100 * generatedRates[j]!).toFixed(0)}% (${(100 * trueRates[j]!).toFixed(0)}%)`).join(', ')}`);
log(`64 generated faces: ${sampleFile}`);

// ---- 3. latent walk and bias report -------------------------------------------------------------
const every = Math.max(1, Math.floor(steps / 3));
const walk = await latentWalk(generator, classifier, walkStart, {
  target: values.target,
  attributeNames: names,
  steps,
  stepSize,
  objective: 'sum',
  gradient,
  images: { samples: Math.min(8, samples), every, valueRange: [-1, 1] },
});
walkStart.dispose();
const report = biasReport(walk, { topK: Math.min(topK, names.length - 1) });
const targetChange = (offset: number): number => {
  const block = Array.from(walk.offsets).indexOf(offset);
  let sum = 0;
  for (let i = 0; i < walk.samples; i++) sum += walk.changes[(block * walk.samples + i) * walk.attributes + targetIndex]!;
  return sum / walk.samples;
};
log(`walked ${walk.samples} latents ${steps} steps each way: mean '${values.target}' logit change ${targetChange(-steps).toFixed(2)} (down) .. +${targetChange(steps).toFixed(2)} (up)`);
console.log(`\nAttributes whose classifier logits move with '${values.target}' along the walk (top ${report.top.length} by |covariance|),`);
console.log(`beside the true correlation of the two attributes in the ${n} training faces:\n`);
console.log(`  attribute        | covariance | correlation | slope  | correlation in the data`);
console.log(`  -----------------|------------|-------------|--------|------------------------`);
for (const a of report.top) {
  console.log(
    `  ${a.name.padEnd(16)} | ${a.covariance.toFixed(3).padStart(10)} | ${a.correlation.toFixed(2).padStart(11)} | ${a.regression.slope.toFixed(3).padStart(6)} | ${dataCorrelation[a.index]!.toFixed(2).padStart(6)}`,
  );
}

// How solid is the ranking? Bootstrap over the walked latents (whole trajectories resampled).
const boot = covarianceBootstrap(walk, { resamples, seed: seed + 9, topK });
console.log(`\nCovariance with '${values.target}' with 95% bootstrap intervals over the ${walk.samples} walked latents (${resamples} resamples):\n`);
console.log(`  rank | attribute        | covariance [95% interval]      | correlation [95% interval] | rank interval | in top ${topK} | sign settled`);
console.log(`  -----|------------------|--------------------------------|----------------------------|---------------|----------|-------------`);
for (const a of boot.ranking) {
  const iv = (x: { median: number; low: number; high: number; estimate: number }, d: number): string => `${x.estimate.toFixed(d)} [${x.low.toFixed(d)}, ${x.high.toFixed(d)}]`;
  console.log(
    `  ${String(a.rank.estimate).padStart(4)} | ${a.name.padEnd(16)} | ${iv(a.covariance, 3).padEnd(30)} | ${iv(a.correlation, 2).padEnd(26)} | ${`${a.rank.low}..${a.rank.high}`.padEnd(13)} | ${`${(100 * a.topKFrequency).toFixed(0)}%`.padStart(8)} | ${a.signSettled ? 'yes' : 'no'}`,
  );
}

// ---- outputs -------------------------------------------------------------------------------------
const pngFile = resolve(outDir, `walk-${values.target}.png`);
if (walk.trajectory) {
  const g = walk.trajectory;
  // Scale up 3x (nearest neighbour) so the 64x64 tiles are easy to see.
  await sharp(Buffer.from(g.data), { raw: { width: g.width, height: g.height, channels: 3 } })
    .resize(g.width * 3, g.height * 3, { kernel: 'nearest' })
    .png()
    .toFile(pngFile);
}
const regressionFile = resolve(outDir, `regression-${values.target}.png`);
writeFileSync(regressionFile, await svgToPng(await renderChartSvg(regressionChart(values.target, report.top))));
const jsonFile = resolve(outDir, `report-${values.target}.json`);
writeFileSync(
  jsonFile,
  JSON.stringify(
    {
      options: { generator: generatorKind, target: values.target, n, latentDim, ...(dcgan ? { dcgan: recipe } : { vaeSteps, klWeight }), clsSteps, samples, steps, stepSize, gradient, resamples, seed },
      classifierAccuracy: Object.fromEntries(names.map((nm, j) => [nm, accuracy[j]])),
      generatedPositiveRate: Object.fromEntries(names.map((nm, j) => [nm, generatedRates[j]])),
      meanTargetChange: { down: targetChange(-steps), up: targetChange(steps) },
      top: report.top.map((a) => ({ name: a.name, covariance: a.covariance, correlation: a.correlation, slope: a.regression.slope, dataCorrelation: dataCorrelation[a.index], binned: a.binned })),
      covarianceWithTarget: Object.fromEntries(names.map((nm, j) => [nm, report.covariance.data[targetIndex * names.length + j]])),
      correlationWithTarget: Object.fromEntries(names.map((nm, j) => [nm, report.correlation.data[targetIndex * names.length + j]])),
      trajectoryOffsets: walk.trajectoryOffsets,
      bootstrap: boot,
    },
    null,
    2,
  ),
);
console.log(`\nTrajectory grid (rows = walked latents, columns = step offsets ${walk.trajectoryOffsets?.join(', ')}): ${pngFile}`);
console.log(`Regression plots (mean change per step offset, least-squares line): ${regressionFile}`);
console.log(`Report: ${jsonFile}`);

tf.dispose([train.x32, train.x64, test.x32, test.x64]);
for (const d of disposers) d();
log(`done; live tensors ${tf.memory().numTensors}`);
