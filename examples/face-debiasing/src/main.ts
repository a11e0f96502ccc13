/**
 * MIT 6.S191 lab 2, end to end, on SynthFaces (a seeded synthetic face / non-face set whose
 * faces are 90% light-skinned, with "dark-skin" coloured non-faces as a spurious cue):
 *
 *   1. generate a biased training set and a balanced test set (LF / LM / DF / DM) in memory;
 *   2. train the lab's standard CNN;
 *   3. train the debiasing VAE (DB-VAE) with adaptive resampling of the faces;
 *   4. report, for both, the recall on the faces of each group, its mean and variance across
 *      groups, the accuracy on non-faces, and how the resampling weights moved each epoch.
 *
 *   pnpm --filter @dbvae/example-face-debiasing start
 *   pnpm --filter @dbvae/example-face-debiasing start --size 64 --n 20000 --epochs 2
 */
import { parseArgs } from 'node:util';
import { formatBackendDescription, initBackend, tf } from '@dbvae/backend';
import { FaceDataset, generateSynthFaces, type SynthGroup } from '@dbvae/core-data';
import { buildStandardClassifier, DBVAE, trainClassifier, trainDBVAE, type EpochRecord } from '@dbvae/models';
import { samplingWeights, weightStats } from '@dbvae/resampling';

const GROUPS: SynthGroup[] = ['LF', 'LM', 'DF', 'DM'];
const GROUP_NAMES: Record<SynthGroup, string> = { LF: 'light female', LM: 'light male', DF: 'dark female', DM: 'dark male' };

// `pnpm start -- --seed 1` passes the `--` through: drop it.
const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    n: { type: 'string', default: '4000' },
    size: { type: 'string', default: '32' },
    epochs: { type: 'string', default: '3' },
    'batch-size': { type: 'string', default: '32' },
    'latent-dim': { type: 'string', default: '32' },
    alpha: { type: 'string', default: '0.001' },
    'test-per-group': { type: 'string', default: '200' },
    seed: { type: 'string', default: '0' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`Usage: node --import tsx src/main.ts [options]
  --n <int>               training images (half faces)            default 4000
  --size <16k>            image side in pixels (multiple of 16)    default 32 (the lab's is 64)
  --epochs <int>          epochs for both models                   default 3
  --batch-size <int>      batch size                               default 32
  --latent-dim <int>      DB-VAE latent size                       default 32 (the lab's is 100)
  --alpha <x>             debiasing smoothing (smaller = stronger) default 0.001
  --test-per-group <int>  about this many test faces per group, as many non-faces in all x4 default 200
  --seed <int>            seed of data, weights and batches        default 0`);
  process.exit(0);
}
const n = Number(values.n);
const size = Number(values.size);
const epochs = Number(values.epochs);
const batchSize = Number(values['batch-size']);
const latentDim = Number(values['latent-dim']);
const alpha = Number(values.alpha);
const testPerGroup = Number(values['test-per-group']);
const seed = Number(values.seed);
if (!Number.isInteger(size) || size < 16 || size % 16 !== 0) throw new Error(`--size must be a multiple of 16 (the DB-VAE decoder upsamples by 16), got ${values.size}.`);
for (const [name, v] of Object.entries({ n, epochs, batchSize, latentDim, testPerGroup })) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, got ${v}.`);
}
if (!(alpha >= 0)) throw new Error(`--alpha must be >= 0, got ${values.alpha}.`);

const t0 = Date.now();
const description = await initBackend();
console.log(formatBackendDescription(description));
console.log(`SynthFaces: ${n} training images of ${size}x${size}, ${epochs} epochs, batch ${batchSize}, seed ${seed}\n`);

// ---- data ---------------------------------------------------------------------------------
const train = generateSynthFaces({ n, size, seed });
const trainSet = FaceDataset.fromArrays({ images: train.images, labels: train.labels, height: size, width: size, seed });
// Group of each training face, in the dataset's face order (faceIndices are ascending rows).
const trainFaceGroups = Array.from(trainSet.faceIndices, (row) => train.attributes[row]?.group as SynthGroup);
const groupCount = (g: SynthGroup): number => trainFaceGroups.filter((x) => x === g).length;
console.log(`training faces per group: ${GROUPS.map((g) => `${g} ${groupCount(g)}`).join(', ')} (non-faces ${trainSet.numNonFaces})`);

// Balanced test set: faces cycle through the four groups; as many non-faces again.
const test = generateSynthFaces({ n: 8 * testPerGroup, size, seed: seed + 1_000, groups: GROUPS });
const testX = tf.tidy(() => tf.div(tf.tensor4d(test.images, [test.labels.length, size, size, 3], 'int32').toFloat(), 255) as tf.Tensor4D);

/** Per-group recall on faces, and the accuracy on non-faces, from face probabilities. */
function evaluate(probabilities: Float32Array): { recall: Record<SynthGroup, number>; nonFace: number; counts: Record<string, number> } {
  const hits: Record<string, [number, number]> = { LF: [0, 0], LM: [0, 0], DF: [0, 0], DM: [0, 0], none: [0, 0] };
  test.attributes.forEach((a, i) => {
    const key = a.label === 1 ? (a.group as string) : 'none';
    const cell = hits[key] as [number, number];
    const saysFace = (probabilities[i] as number) > 0.5;
    cell[0] += (a.label === 1) === saysFace ? 1 : 0;
    cell[1] += 1;
  });
  const rate = (k: string): number => {
    const [ok, all] = hits[k] as [number, number];
    return ok / all;
  };
  const counts = Object.fromEntries(Object.entries(hits).map(([k, [, all]]) => [k, all]));
  return { recall: { LF: rate('LF'), LM: rate('LM'), DF: rate('DF'), DM: rate('DM') }, nonFace: rate('none'), counts };
}

function logEpoch(what: string): (r: EpochRecord) => void {
  return (r) => {
    const l = r.meanLosses;
    const extra = what === 'DB-VAE' ? `  kl ${l.kl.toFixed(3)}  recon ${l.reconstruction.toFixed(4)}` : '';
    console.log(`  ${what} epoch ${r.epoch + 1}/${epochs}  loss ${l.total.toFixed(4)}  class ${l.classification.toFixed(4)}${extra}  ${r.imagesPerSecond.toFixed(0)} img/s  ${r.seconds.toFixed(1)} s`);
  };
}

// ---- standard CNN -------------------------------------------------------------------------
console.log('\n[1/2] standard CNN (the lab\'s classifier)');
const cnn = buildStandardClassifier({ inputShape: [size, size, 3], seed });
const cnnHistory = await trainClassifier(cnn, trainSet, { epochs, batchSize, seed, onEpochEnd: logEpoch('CNN'), progressBar: false });
cnnHistory.optimizer.dispose();
const cnnProb = tf.tidy(() => tf.sigmoid(cnn.predict(testX, { batchSize: 128 }) as tf.Tensor).dataSync() as Float32Array);
const cnnEval = evaluate(cnnProb);

// ---- DB-VAE -------------------------------------------------------------------------------
console.log('\n[2/2] DB-VAE with adaptive resampling');
const dbvae = new DBVAE({ latentDim, inputShape: [size, size, 3], seed });
interface WeightRow {
  epoch: number;
  range: [number, number] | undefined;
  share: Record<SynthGroup, number>;
  ess: number;
}
const weightRows: WeightRow[] = [];
/** Expected share of each group among the sampled faces under the weights this model gives now. */
function groupShares(): { share: Record<SynthGroup, number>; ess: number } {
  const means = dbvae.latentMeans(trainSet.faceBatches(64));
  const p = samplingWeights(means, { shape: [trainSet.numFaces, latentDim], alpha });
  const share = { LF: 0, LM: 0, DF: 0, DM: 0 };
  p.forEach((w, i) => (share[trainFaceGroups[i] as SynthGroup] += w));
  return { share, ess: weightStats(p).effectiveSampleFraction };
}
// Shares of the weights each epoch uses: epoch 1's come from the untrained encoder (exactly what
// trainDBVAE computes at its start), epoch e + 1's from the encoder at the end of epoch e.
const shares = [groupShares()];
const dbvaeHistory = await trainDBVAE(dbvae, trainSet, {
  epochs,
  batchSize,
  seed,
  alpha,
  progressBar: false,
  collapse: { warmupEpochs: 1 },
  onWarning: (w) => console.log(`  warning (epoch ${w.epoch + 1}): ${w.message}`),
  onEpochEnd: (r) => {
    logEpoch('DB-VAE')(r);
    const used = shares[r.epoch] as { share: Record<SynthGroup, number>; ess: number };
    weightRows.push({ epoch: r.epoch + 1, range: r.samplingWeightRange, ...used });
    if (r.epoch + 1 < epochs) shares.push(groupShares());
  },
});
dbvaeHistory.optimizer.dispose();
const dbvaeProb = tf.tidy(() => dbvae.predict(testX).dataSync() as Float32Array);
const dbvaeEval = evaluate(dbvaeProb);

// ---- report -------------------------------------------------------------------------------
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`.padStart(7);
const meanVar = (r: Record<SynthGroup, number>): [number, number] => {
  const xs = GROUPS.map((g) => r[g]);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return [mean, xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length];
};
const c = cnnEval.counts;
console.log(`\nRecall on the balanced test faces (${GROUPS.map((g) => `${g} ${c[g]}`).join(', ')}), accuracy on ${c['none']} test non-faces:\n`);
console.log(`  model    ${GROUPS.map((g) => g.padStart(7)).join('')}     mean  variance  non-faces`);
for (const [name, e] of [
  ['CNN     ', cnnEval],
  ['DB-VAE  ', dbvaeEval],
] as const) {
  const [mean, variance] = meanVar(e.recall);
  console.log(`  ${name} ${GROUPS.map((g) => pct(e.recall[g])).join('')}  ${pct(mean)}  ${variance.toExponential(2).padStart(8)}  ${pct(e.nonFace)}`);
}
console.log(`  (groups: ${GROUPS.map((g) => `${g} = ${GROUP_NAMES[g]}`).join(', ')}; variance is the population variance of the four recalls)`);

const faces = trainSet.numFaces;
console.log(`\nDB-VAE sampling weights per epoch (${faces} training faces; uniform weight = ${(1 / faces).toExponential(2)}):`);
console.log(`  per epoch: the largest and smallest face probability, each group's expected share of the sampled faces,`);
console.log(`  and the effective sample size as a fraction of the faces (1 = uniform).`);
console.log(`  Share of each group in the data: ${GROUPS.map((g) => `${g} ${pct(groupCount(g) / faces).trim()}`).join(', ')}\n`);
console.log(`  epoch  max / min weight     ${GROUPS.map((g) => g.padStart(7)).join('')}   ESS/n`);
for (const row of weightRows) {
  const range = row.range ? `${row.range[0].toExponential(2)} / ${row.range[1].toExponential(2)}` : 'uniform'.padEnd(19);
  console.log(`  ${String(row.epoch).padStart(5)}  ${range}  ${GROUPS.map((g) => pct(row.share[g])).join('')}   ${row.ess.toFixed(3)}`);
}
console.log(`\ntotal ${((Date.now() - t0) / 1000).toFixed(0)} s`);

testX.dispose();
cnn.dispose();
dbvae.dispose();
