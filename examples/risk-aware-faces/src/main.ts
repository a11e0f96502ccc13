/**
 * Lab 3 with @dbvae/risk-wrappers on SynthFaces: wrap the lab CNN with HistogramVAEWrapper,
 * show that accuracy rises with representation (before), then resample faces by inverse
 * representation every epoch and show the curve flattens (after).
 *
 * Run from the repository root: node --import tsx examples/risk-aware-faces/src/main.ts
 * Environment: EPOCHS (default 5), N_TRAIN (default 3000), SIZE (default 32), TEMPER (default 0.5:
 * weights 1 / p(face)^TEMPER), SEED (default 1: the training and test faces, the model's
 * initialisation and the batches all derive from it), OUT (optional: a JSON file for the summary).
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createRandom, initBackend, tf } from '@dbvae/backend';
import { generateSynthFaces, sampleWithoutReplacement, type SynthFacesData } from '@dbvae/core-data';
import { buildStandardClassifier } from '@dbvae/models';
import { HistogramVAEWrapper, accuracyVsRisk, correctPredictions } from '@dbvae/risk-wrappers';

const EPOCHS = Number(process.env['EPOCHS'] ?? 5);
const N_TRAIN = Number(process.env['N_TRAIN'] ?? 3000);
const SIZE = Number(process.env['SIZE'] ?? 32);
const BATCH = 32;
/** Exponent of the inverse density: 1 is the lab's 1 / p; smaller values temper the weights. */
const TEMPER = Number(process.env['TEMPER'] ?? 0.5);
/** One seed for everything random in a run, so runs over several seeds are independent. */
const SEED = Number(process.env['SEED'] ?? 1);
const OUT = process.env['OUT'] ? resolve(process.env['OUT']) : undefined;
// The summary goes to a new file only: never over a file this run did not write. Checked before
// the minutes of training, as is the folder's write access.
if (OUT) {
  if (existsSync(OUT)) throw new Error(`OUT=${OUT} already exists: remove it or name a new file (this example never overwrites a file).`);
  accessSync(dirname(OUT), constants.W_OK);
}

/** What one trained model scored on the test faces. */
interface Outcome {
  /** Accuracy per group (fraction of its faces classified as faces). */
  groups: Record<string, number>;
  /** Highest minus lowest group accuracy. */
  groupGap: number;
  /** Most minus least represented quintile's accuracy. */
  quintileSpread: number;
}

function toTensor(d: SynthFacesData, idx?: ArrayLike<number>): tf.Tensor4D {
  const px = d.height * d.width * 3;
  const rows = idx ? Array.from(idx) : Array.from(d.labels, (_, i) => i);
  const out = new Float32Array(rows.length * px);
  rows.forEach((r, j) => {
    for (let k = 0; k < px; k++) out[j * px + k] = (d.images[r * px + k] as number) / 255;
  });
  return tf.tensor4d(out, [rows.length, d.height, d.width, 3]);
}

function makeWrapper(): HistogramVAEWrapper {
  // Before and after start from the same initial weights: only the sampling differs.
  const model = buildStandardClassifier({ inputShape: [SIZE, SIZE, 3], nFilters: 8, denseUnits: 64, seed: SEED });
  const w = new HistogramVAEWrapper(model, { latentDim: 16, numBins: 5, queueSize: 2000, decoder: 'auto', onlyClass: 1, weight: 1e-3, seed: SEED, mode: 'joint' });
  w.compile({ optimizer: tf.train.adam(5e-4), loss: 'binaryCrossentropy' });
  return w;
}

/** Log-representation of each training face; weights 1 / p(face) computed in log space. */
function inverseBiasWeights(w: HistogramVAEWrapper, faces: tf.Tensor4D): Float64Array {
  const out = w.predict(faces, { batchSize: 256 });
  const logp = out.perSample('bias');
  out.dispose();
  let max = -Infinity;
  for (const v of logp) max = Math.max(max, -TEMPER * v);
  return Float64Array.from(logp, (v) => Math.exp(-TEMPER * v - max));
}

async function train(w: HistogramVAEWrapper, train: SynthFacesData, debias: boolean): Promise<void> {
  const faces = Array.from(train.labels.keys()).filter((i) => train.labels[i] === 1);
  const nonFaces = Array.from(train.labels.keys()).filter((i) => train.labels[i] === 0);
  const facesTensor = toTensor(train, faces);
  const rng = createRandom(1000 * (SEED - 1) + 7); // seed 1: the stream of the first published run
  const steps = Math.floor(train.labels.length / BATCH);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    // Epoch 1 is uniform (the histogram is empty); later epochs resample by inverse bias.
    const pFaces = debias && epoch > 0 ? inverseBiasWeights(w, facesTensor) : new Float64Array(faces.length).fill(1);
    let loss = 0;
    for (let s = 0; s < steps; s++) {
      const f = sampleWithoutReplacement(pFaces, BATCH / 2, rng);
      const nf = Array.from({ length: BATCH / 2 }, () => nonFaces[rng.int(nonFaces.length)] as number);
      const idx = [...Array.from(f, (i) => faces[i] as number), ...nf];
      const x = toTensor(train, idx);
      const y = tf.tensor2d(idx.map((i) => train.labels[i] as number), [idx.length, 1]);
      loss += w.trainOnBatch(x, y);
      tf.dispose([x, y]);
    }
    console.log(`  epoch ${epoch + 1}/${EPOCHS} loss ${(loss / steps).toFixed(2)}`);
  }
  facesTensor.dispose();
}

function report(name: string, w: HistogramVAEWrapper, test: SynthFacesData): Outcome {
  const x = toTensor(test);
  const y = tf.ones([test.labels.length, 1]);
  const out = w.predict(x, { batchSize: 256 });
  const correct = correctPredictions(out.yHat, y);
  const chunks = accuracyVsRisk(out.perSample('bias'), correct, { numChunks: 5 });
  console.log(`\n${name}: test-face accuracy by representation quintile (log p, least represented first)`);
  for (const c of chunks) console.log(`  <=${c.percentile}%  mean log p ${c.meanRisk.toFixed(1)}  accuracy ${(100 * c.accuracy).toFixed(1)}%`);
  const groups = new Map<string, number[]>();
  const logps = new Map<string, number[]>();
  const bias = out.perSample('bias');
  test.attributes.forEach((a, i) => {
    const g = a.group ?? '?';
    groups.set(g, [...(groups.get(g) ?? []), correct[i] as number]);
    logps.set(g, [...(logps.get(g) ?? []), bias[i] as number]);
  });
  const meanOf = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
  console.log(`  mean log p by group: ${[...logps.entries()].sort().map(([g, v]) => `${g} ${meanOf(v).toFixed(1)}`).join(', ')}`);
  const accs = [...groups.entries()].sort().map(([g, c]) => [g, c.reduce((s, v) => s + v, 0) / c.length] as const);
  console.log(`  by group: ${accs.map(([g, a]) => `${g} ${(100 * a).toFixed(1)}%`).join(', ')}`);
  const spread = Math.max(...accs.map((a) => a[1])) - Math.min(...accs.map((a) => a[1]));
  const quintileSpread = (chunks.at(-1)?.accuracy ?? 0) - (chunks[0]?.accuracy ?? 0);
  console.log(`  accuracy spread: lowest-to-highest quintile ${(100 * quintileSpread).toFixed(1)} points, across groups ${(100 * spread).toFixed(1)} points`);
  out.dispose();
  tf.dispose([x, y]);
  return { groups: Object.fromEntries(accs), groupGap: spread, quintileSpread };
}

async function main(): Promise<void> {
  const backend = await initBackend();
  console.log(`backend: ${backend.name}; ${N_TRAIN} training images of ${SIZE}x${SIZE}, ${EPOCHS} epochs, seed ${SEED}`);
  // Seed 1 keeps the data of the README's first published run (training seed 1, test seed 2).
  const trainSet = generateSynthFaces({ n: N_TRAIN, seed: 2 * SEED - 1, size: SIZE });
  const testSet = generateSynthFaces({ n: 800, seed: 2 * SEED, size: SIZE, faceFraction: 1, groups: ['LF', 'LM', 'DF', 'DM'] });

  console.log('\nBefore: uniform sampling');
  const before = makeWrapper();
  await train(before, trainSet, false);
  const beforeOutcome = report('Before', before, testSet);

  console.log('\nAfter: faces resampled by inverse representation every epoch');
  const after = makeWrapper();
  await train(after, trainSet, true);
  const afterOutcome = report('After', after, testSet);
  const points = (v: number): string => (100 * v).toFixed(1);
  console.log(`\nseed ${SEED}: group gap ${points(beforeOutcome.groupGap)} -> ${points(afterOutcome.groupGap)} points, quintile spread ${points(beforeOutcome.quintileSpread)} -> ${points(afterOutcome.quintileSpread)} points`);
  if (OUT) {
    const settings = { seed: SEED, epochs: EPOCHS, trainingImages: N_TRAIN, size: SIZE, temper: TEMPER };
    await writeFile(OUT, `${JSON.stringify({ settings, before: beforeOutcome, after: afterOutcome }, null, 2)}\n`, { flag: 'wx' });
  }
}

await main();
