/**
 * End-to-end example on SynthFaces (faces only): train a small multi-attribute classifier and a
 * small DCGAN from `@dbvae/models`, report which attributes covary with "female" along latent
 * walks, then de-bias a "long hair" classifier against "female" by latent-space augmentation
 * and compare AP / DEO / BA / KL with the baseline on real test faces.
 *
 * Small networks and few steps so that it runs in minutes on the wasm backend; the GAN is far
 * from converged, so treat the numbers as a demonstration of the pipeline, not a result.
 *
 * Run from the repository root:
 *   node --import tsx packages/gan-debias/scripts/synthfaces-example.ts [ganSteps=500] [clsSteps=300] [generatorLr=2e-4]
 * Writes the walk's trajectory grid as a PPM image to the system temp folder.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRandom, initBackend, tf } from '@dbvae/backend';
import { generateSynthFaces } from '@dbvae/core-data';
import { attributeClassifierTrainStep, buildAttributeClassifier, buildDcganDiscriminator, buildDcganGenerator, ganTrainStep } from '@dbvae/models';
import { biasReport, buildAugmentedSet, imageGrid, fairnessReport, fitLinearSvm, latentWalk, linearAccuracy, type Matrix } from '../src/index';

await initBackend({ backend: 'wasm' });
const ganSteps = Number(process.argv[2] ?? 500);
const clsSteps = Number(process.argv[3] ?? 300);
const gLr = Number(process.argv[4] ?? 2e-4);
const t0 = performance.now();
const log = (msg: string): void => console.log(`[${((performance.now() - t0) / 1000).toFixed(0)}s] ${msg}`);
const names = ['female', 'longHair', 'hat', 'glasses', 'darkSkin'];
const zDim = 32;
const batch = 32;

// Data: real faces in [-1, 1] with their known attributes.
const nTrain = 1280;
const nVal = 256;
const nTest = 512;
const data = generateSynthFaces({ n: nTrain + nVal + nTest, faceFraction: 1, seed: 11 });
const attrs = data.attributes.map((a) => [a.sex === 'female', a.hairLength === 'long', a.hat === true, a.glasses === true, a.skin === 'dark'].map(Number));
const all = tf.tidy(() => tf.tensor4d(data.images, [data.attributes.length, 64, 64, 3], 'int32').toFloat().div(127.5).sub(1)) as tf.Tensor4D;
const slice = (from: number, n: number): tf.Tensor4D => all.slice([from, 0, 0, 0], [n, -1, -1, -1]);
const train = slice(0, nTrain);
const val = slice(nTrain, nVal);
const test = slice(nTrain + nVal, nTest);
all.dispose();
const col = (from: number, n: number, j: number): number[] => attrs.slice(from, from + n).map((a) => a[j]!);
const rng = createRandom(5);
const batchOf = (x: tf.Tensor4D, labels: number[][]): { x: tf.Tensor4D; y: tf.Tensor2D } => {
  const idx = Array.from({ length: batch }, () => rng.int(x.shape[0]));
  return tf.tidy(() => ({ x: tf.gather(x, idx) as tf.Tensor4D, y: tf.tensor2d(idx.map((i) => labels[i]!)) }));
};

// 1. Attribute classifier on real faces.
const attrCls = buildAttributeClassifier({ hiddenDim: 8, nOutputs: names.length, seed: 1 });
const attrOpt = tf.train.adam(1e-3);
const trainAttrs = attrs.slice(0, nTrain);
for (let s = 0; s < clsSteps; s++) {
  const b = batchOf(train, trainAttrs);
  attributeClassifierTrainStep(attrCls, attrOpt, b.x, b.y);
  tf.dispose([b.x, b.y]);
}
const testLogits = tf.tidy(() => attrCls.predict(test) as tf.Tensor).arraySync() as number[][];
log(`attribute classifier test accuracy: ${names.map((n, j) => `${n} ${((100 * testLogits.filter((l, i) => (l[j]! > 0 ? 1 : 0) === attrs[nTrain + nVal + i]![j]).length) / nTest).toFixed(0)}%`).join(', ')}`);

// 2. DCGAN.
const gen = buildDcganGenerator({ zDim, hiddenDim: 8, seed: 2 });
const disc = buildDcganDiscriminator({ hiddenDim: 8, seed: 3 });
const gOpt = tf.train.adam(gLr, 0.5);
const dOpt = tf.train.adam(2e-4, 0.5);
for (let s = 0; s < ganSteps; s++) {
  const b = batchOf(train, trainAttrs);
  const losses = ganTrainStep(gen, disc, gOpt, dOpt, b.x, { seed: 1000 + 2 * s });
  tf.dispose([b.x, b.y]);
  if ((s + 1) % 100 === 0) log(`GAN step ${s + 1}: D ${losses.discriminator.toFixed(3)}, G ${losses.generator.toFixed(3)}`);
}

const writePpm = (file: string, grid: { width: number; height: number; data: Uint8Array }): void =>
  writeFileSync(file, Buffer.concat([Buffer.from(`P6\n${grid.width} ${grid.height}\n255\n`), Buffer.from(grid.data)]));
const samples = tf.tidy(() => gen.predict(tf.randomNormal([16, zDim], 0, 1, 'float32', 3)) as tf.Tensor4D);
writePpm(join(tmpdir(), 'gan-debias-samples.ppm'), imageGrid(samples, 2, 8, { valueRange: [-1, 1] }));
samples.dispose();
log(`GAN samples written to ${join(tmpdir(), 'gan-debias-samples.ppm')}`);

// 3. Bias detection: walk along "female".
const walkZ = tf.randomNormal([64, zDim], 0, 1, 'float32', 7) as tf.Tensor2D;
const walk = await latentWalk(gen, attrCls, walkZ, { target: 'female', attributeNames: names, steps: 10, stepSize: 0.1, objective: 'sum', images: { samples: 6, every: 2, valueRange: [-1, 1] } });
walkZ.dispose();
const report = biasReport(walk, { topK: 4 });
log(`latent walk along '${report.target.name}': attributes that covary with it`);
for (const a of report.top) console.log(`  ${a.name.padEnd(9)} cov ${a.covariance.toFixed(3).padStart(7)}  corr ${a.correlation.toFixed(2).padStart(5)}  slope ${a.regression.slope.toFixed(3)}`);
if (walk.trajectory) {
  const file = join(tmpdir(), 'gan-debias-walk.ppm');
  writePpm(file, walk.trajectory);
  log(`trajectory grid (rows = latents, columns = offsets ${walk.trajectoryOffsets!.join(', ')}) written to ${file}`);
}

// 4. De-biasing "longHair" (t) against "female" (g): hallucinate labels on G(z), fit latent SVMs.
const m = 1024;
const zAll = tf.randomNormal([m, zDim], 0, 1, 'float32', 9) as tf.Tensor2D;
const zLogits = tf.tidy(() => attrCls.predict(gen.predict(zAll) as tf.Tensor) as tf.Tensor).arraySync() as number[][];
const z: Matrix = { data: Float64Array.from(zAll.dataSync()), rows: m, cols: zDim };
zAll.dispose();
const tLab = zLogits.map((l) => (l[1]! > 0 ? 1 : 0));
const gLab = zLogits.map((l) => (l[0]! > 0 ? 1 : 0));
const count = (l: number[]): number => l.reduce((a, v) => a + v, 0);
if ([count(tLab), count(gLab)].some((c) => c === 0 || c === m)) {
  console.log(`The attribute classifier gives a single class on G(z) (longHair ${count(tLab)}/${m}, female ${count(gLab)}/${m}): the generator has not learned varied faces; train it longer. Stopping before de-biasing.`);
  process.exit(0);
}
const ht = fitLinearSvm(z, tLab, { seed: 1 });
const hg = fitLinearSvm(z, gLab, { seed: 2 });
log(`latent SVMs (training accuracy on hallucinated labels): longHair ${(100 * linearAccuracy(ht, z, tLab)).toFixed(1)}%, female ${(100 * linearAccuracy(hg, z, gLab)).toFixed(1)}%`);

const optimizers: tf.Optimizer[] = [attrOpt, gOpt, dOpt];
const trainTarget = async (images: tf.Tensor4D, t: ArrayLike<number>, seed: number): Promise<tf.LayersModel> => {
  const model = buildAttributeClassifier({ hiddenDim: 8, nOutputs: 1, seed });
  const opt = tf.train.adam(1e-3);
  optimizers.push(opt);
  const labels = Array.from(t, (v) => [v]);
  for (let s = 0; s < clsSteps; s++) {
    const b = batchOf(images, labels);
    attributeClassifierTrainStep(model, opt, b.x, b.y);
    tf.dispose([b.x, b.y]);
  }
  return model;
};
const realT = col(0, nTrain, 1);
const baseline = await trainTarget(train, realT, 21);
const set = await buildAugmentedSet({ generator: gen, latents: z, target: ht, protectedAttr: hg, real: { images: train, targetLabels: realT, protectedLabels: col(0, nTrain, 0) } });
const debiased = await trainTarget(set.images as tf.Tensor4D, set.targetLabels, 21);
set.images.dispose();

const scoresOf = (model: tf.LayersModel, x: tf.Tensor4D): Float32Array => tf.tidy(() => (model.predict(x) as tf.Tensor).reshape([-1]).dataSync() as Float32Array);
const fmt = (b: { median: number; low: number; high: number }): string => `${b.median.toFixed(3)} [${b.low.toFixed(3)}, ${b.high.toFixed(3)}]`;
log('target longHair, protected female, real test faces (bootstrap median [2.5%, 97.5%], 500 resamples):');
console.log('  model     | AP                    | DEO                   | BA                     | KL');
for (const [name, model] of [['baseline', baseline], ['debiased', debiased]] as const) {
  const r = fairnessReport(
    { scores: scoresOf(model, test), labels: col(nTrain + nVal, nTest, 1), groups: col(nTrain + nVal, nTest, 0), validation: { scores: scoresOf(model, val), labels: col(nTrain, nVal, 1) } },
    { seed: 1 },
  );
  console.log(`  ${name.padEnd(9)} | ${fmt(r.ap)} | ${fmt(r.deo)} | ${fmt(r.ba)} | ${fmt(r.kl)}`);
}
tf.dispose([train, val, test]);
[attrCls, gen, disc, baseline, debiased].forEach((mdl) => mdl.dispose());
optimizers.forEach((o) => o.dispose());
log(`done; live tensors ${tf.memory().numTensors}`);
