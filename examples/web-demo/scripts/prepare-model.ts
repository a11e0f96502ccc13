/**
 * Trains the web demo's model in Node and writes it where the page loads it from:
 *
 *   public/model/model.json + weights.bin   the risk-wrapped classifier (@dbvae/risk-wrappers'
 *                                           own format: the lab CNN, its MC-dropout copy and
 *                                           the feature histogram's queue)
 *   public/model/meta.json                  input size, and reference distributions of the
 *                                           two risk scores on held-out SynthFaces images
 *   public/samples/*.png                    a few SynthFaces images to try the page with
 *
 * A small lab-style CNN (4 conv blocks, 8 base filters, dense 64) on 32x32 SynthFaces, wrapped
 * for representation bias (lab 3's histogram-VAE: a histogram of the latent means of a small
 * VAE head trained on the faces, log-probability score) and epistemic uncertainty (MC
 * dropout). Only this script imports @dbvae/core-data (Node only).
 *
 *   node --import tsx scripts/prepare-model.ts [--n 3000] [--epochs 4] [--seed 0] [--out public]
 *                                              [--tiny] [--if-missing]
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend, tf } from '@dbvae/backend';
import { generateSynthFaces, type SynthFacesData } from '@dbvae/core-data';
import { buildStandardClassifier, fileSystemIOHandler } from '@dbvae/models';
import { ComposedWrapper } from '@dbvae/risk-wrappers';
import { encodePng } from './png';

/** What the page reads from `model/meta.json`. */
export interface ModelMeta {
  /** Square input side the model was trained on. */
  size: number;
  /** Sorted log-probabilities (bias score) of held-out training-distribution faces. */
  referenceBias: number[];
  /** Sorted epistemic scores (std of the logit over MC-dropout passes) of the same images. */
  referenceEpistemic: number[];
  /** How the model was trained. */
  training: { n: number; epochs: number; seed: number; seconds: number; heldOutAccuracy: number };
}

const here = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({
  options: {
    n: { type: 'string' },
    epochs: { type: 'string' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: resolve(here, '..', 'public') },
    tiny: { type: 'boolean', default: process.env['WEB_DEMO_TINY'] === '1' },
    'if-missing': { type: 'boolean', default: false },
  },
});
const out = resolve(values.out);
const modelDir = join(out, 'model');
if (values['if-missing'] && existsSync(join(modelDir, 'model.json')) && existsSync(join(modelDir, 'meta.json'))) {
  console.log(`prepare-model: ${modelDir} already has a model (run "pnpm prepare-model" to retrain).`);
  process.exit(0);
}
const SIZE = 32;
const n = Number(values.n ?? (values.tiny ? 1000 : 3000));
const epochs = Number(values.epochs ?? (values.tiny ? 3 : 4));
const seed = Number(values.seed);
if (!Number.isInteger(n) || n < 64 || !Number.isInteger(epochs) || epochs < 1) throw new Error('prepare-model: --n must be an integer >= 64 and --epochs >= 1.');

function toTensor(d: SynthFacesData): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.tensor4d(d.images, [d.labels.length, d.height, d.width, 3], 'int32').toFloat(), 255) as tf.Tensor4D);
}

const t0 = Date.now();
await initBackend({ backend: ['wasm', 'cpu'] });
const train = generateSynthFaces({ n, size: SIZE, seed });
const heldOut = generateSynthFaces({ n: values.tiny ? 200 : 600, size: SIZE, seed: seed + 1 });
const x = toTensor(train);
const y = tf.tensor2d(Float32Array.from(train.labels), [n, 1]);

const model = buildStandardClassifier({ inputShape: [SIZE, SIZE, 3], nFilters: 8, denseUnits: 64, seed, name: 'web_demo_cnn' });
// Representation bias as in lab 3 (HistogramVAEWrapper): a small VAE head on the CNN's
// features, trained on the faces only, and a histogram of its latent means over those faces.
// Epistemic uncertainty: MC dropout (the wrapper inserts dropout after the hidden layers).
const wrapped = new ComposedWrapper(model, {
  histogram: { source: 'latent', score: 'logProb', numBins: 5, queueSize: 2000 },
  vae: { latentDim: 8, decoder: 'auto', onlyClass: 1, weight: 1e-3 },
  dropout: { rate: 0.1, passes: 16 },
  // The wrapper trains the CNN from scratch here (Capsa's joint training), and the page's
  // epistemic score is the MC-dropout spread (the VAE's reconstruction error stays in named).
  mode: 'joint',
  combine: { epistemic: 'epistemic.mcDropout' },
  seed,
});
wrapped.compile({ optimizer: tf.train.adam(1e-3), loss: 'sigmoidCrossEntropy' });
await wrapped.fit(x, y, {
  epochs,
  batchSize: 32,
  seed,
  callbacks: { onEpochEnd: (epoch, logs) => console.log(`prepare-model: epoch ${epoch + 1}/${epochs} loss ${logs.loss.toFixed(4)}`) },
});

// Reference distributions and accuracy on held-out images of the training distribution.
const hx = toTensor(heldOut);
const risk = wrapped.predict(hx, { batchSize: 128 });
const logits = risk.perSample('yHat');
const bias = risk.perSample('bias');
const epistemic = risk.perSample('epistemic');
risk.dispose();
let correct = 0;
logits.forEach((l, i) => (correct += (l > 0 ? 1 : 0) === heldOut.labels[i] ? 1 : 0));
const heldOutAccuracy = correct / logits.length;
// Mean representation score per kind of image, to see the histogram at work.
const groupMeans = new Map<string, [number, number]>();
heldOut.attributes.forEach((a, i) => {
  const key = a.group ?? `non-face`;
  const [s, c] = groupMeans.get(key) ?? [0, 0];
  groupMeans.set(key, [s + (bias[i] as number), c + 1]);
});
console.log(`prepare-model: mean log p (representation) by group: ${[...groupMeans].sort().map(([g, [s, c]]) => `${g} ${(s / c).toFixed(1)}`).join(', ')}`);
const sorted = (a: Float32Array): number[] => Array.from(a).filter(Number.isFinite).sort((p, q) => p - q);

await wrapped.save(fileSystemIOHandler(modelDir));
const meta: ModelMeta = {
  size: SIZE,
  // The histogram holds training faces only, so representation is ranked among held-out faces.
  referenceBias: sorted(bias.filter((_, i) => heldOut.labels[i] === 1)),
  referenceEpistemic: sorted(epistemic),
  training: { n, epochs, seed, seconds: (Date.now() - t0) / 1000, heldOutAccuracy },
};
await writeFile(join(modelDir, 'meta.json'), JSON.stringify(meta));

// A few images to try: the first light and dark faces and two non-faces of the held-out set.
const samples = join(out, 'samples');
await mkdir(samples, { recursive: true });
const px = SIZE * SIZE * 3;
const picks: Array<[string, number]> = [];
const find = (name: string, pred: (i: number) => boolean): void => {
  const i = heldOut.attributes.findIndex((_, j) => pred(j));
  if (i >= 0) picks.push([name, i]);
};
find('face-light', (i) => heldOut.attributes[i]?.skin === 'light');
find('face-dark', (i) => heldOut.attributes[i]?.skin === 'dark');
// Non-faces that do not look like faces: a texture and a scene (the skin-coloured blobs are a
// deliberate look-alike in the training data, confusing as a sample).
find('not-a-face-1', (i) => heldOut.labels[i] === 0 && heldOut.attributes[i]?.nonFaceKind === 'texture');
find('not-a-face-2', (i) => heldOut.labels[i] === 0 && heldOut.attributes[i]?.nonFaceKind === 'scene');
for (const [name, i] of picks) {
  await writeFile(join(samples, `${name}.png`), encodePng(heldOut.images.subarray(i * px, (i + 1) * px), SIZE, SIZE));
}

tf.dispose([x, y, hx]);
wrapped.dispose();
console.log(`prepare-model: held-out accuracy ${(100 * heldOutAccuracy).toFixed(1)}%, wrote ${modelDir} and ${picks.length} samples in ${meta.training.seconds.toFixed(0)} s`);
