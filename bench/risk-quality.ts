/**
 * Quality of the risk scores `dbvae risk` and `wrap()` give around a trained lab CNN on
 * SynthFaces (not speed): per seed, a standard CNN (the lab's, 64x64) is trained once on a skewed
 * training set (dark skin 10% of faces); every estimator is fitted on that training set (never on
 * the evaluation sets) and scores:
 * - balanced test faces (LF, LM, DF, DM) and test non-faces (labelled: accuracy, ECE, mistakes);
 * - out-of-distribution images: uniform noise, constant images, colour-shifted test faces
 *   (channels rotated) and non-face scenes.
 * Metrics: representation AUROC of `bias` (common groups above rare ones); OOD AUROC of
 * `epistemic` (and of -bias) against the test faces; error-detection AUROC of each risk and the
 * area under the risk-coverage curve (AURC, lower is better); ECE and accuracy wrapped vs
 * unwrapped; for post-hoc estimators the largest gap between the wrapper's own `yHat` and the
 * model's output; one joint (Capsa-style) configuration for the accuracy it costs.
 * Median [min, max] over the seeds.
 * The joint configuration trains a fresh CNN from the unwrapped one's initial weights with the
 * same optimizer and epochs, so its accuracy is compared with the unwrapped model like for like.
 * Usage: node --import tsx bench/risk-quality.ts [--seeds 1,2,3] [--train 1000] [--per-group 100] [--cnn-epochs 8] [--only name,name]
 */
import { parseArgs } from 'node:util';
import { createRandom, initBackend, tf } from '@dbvae/backend';
import { generateSynthFaces, type SynthFacesData } from '@dbvae/core-data';
import { buildStandardClassifier } from '@dbvae/models';
import { imagesToTensor } from '@dbvae/core-data';
import { ComposedWrapper, auroc, expectedCalibrationError, wrap, type WrapOptions } from '@dbvae/risk-wrappers';
import { fitRisk, fitWrapped, scoreRiskChunk, type FittedRisk, type WrapperKind } from '@dbvae/cli';
import { printTable, runMain, saveSuiteResult } from './lib';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    train: { type: 'string', default: '1000' },
    'per-group': { type: 'string', default: '100' },
    'cnn-epochs': { type: 'string', default: '8' },
    epochs: { type: 'string', default: '2' },
    only: { type: 'string' },
  },
});
const seeds = String(values.seeds).split(',').map(Number);
const nTrain = Number(values.train);
const perGroup = Number(values['per-group']);
const cnnEpochs = Number(values['cnn-epochs']);
const riskEpochs = Number(values.epochs);
const SIZE = 64;
const GROUPS = ['LF', 'LM', 'DF', 'DM'] as const;
const OOD_KINDS = ['noise', 'constant', 'colour-shift', 'scene'] as const;

interface Config {
  name: string;
  kind?: WrapperKind;
  wrap?: WrapOptions;
  /** Joint mode: train a fresh copy of the CNN (same initial weights, optimizer and epochs as the unwrapped one) with its risks. */
  jointFromScratch?: boolean;
}
const VAE = { latentDim: 32, decoder: 'auto' as const, onlyClass: 1 };
const CONFIGS: Config[] = ([
  { name: 'histogram-vae', kind: 'histogram-vae' },
  { name: 'mve', kind: 'mve' },
  { name: 'dropout', kind: 'dropout' },
  { name: 'ensemble', kind: 'ensemble' },
  { name: 'wrap{bias}', wrap: { bias: true } },
  { name: 'wrap{bias,vae,mve}', wrap: { bias: true, epistemic: 'vae', vae: VAE, aleatoric: true } },
  { name: 'wrap{bias,dropout}', wrap: { bias: true, epistemic: 'dropout' } },
  { name: 'wrap{bias: histogram}', wrap: { bias: { density: 'histogram' } } },
  { name: 'wrap{bias,vae} latent histogram', wrap: { bias: { source: 'latent' }, epistemic: 'vae', vae: VAE } },
  // Capsa's joint training of the model with its risks, from the same initial weights as the unwrapped CNN.
  { name: 'histogram-vae joint', wrap: { bias: true, epistemic: 'vae', vae: VAE, mode: 'joint' }, jointFromScratch: true },
] satisfies Config[]).filter((c) => values.only === undefined || String(values.only).split(',').includes(c.name));

type Metrics = Record<string, number>;

function packed(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Area under the risk-coverage curve: mean, over coverages k/n, of the error rate among the k least risky samples. */
function aurc(risk: ArrayLike<number>, correct: ArrayLike<number>): number {
  const order = Array.from(risk, (_, i) => i).sort((a, b) => (risk[a] as number) - (risk[b] as number));
  let errors = 0;
  let sum = 0;
  order.forEach((i, k) => {
    errors += correct[i] ? 0 : 1;
    sum += errors / (k + 1);
  });
  return sum / order.length;
}

/** The evaluation sets of one seed, all RGB uint8 64x64. */
function evaluationSets(seed: number): { faces: SynthFacesData; nonFaces: SynthFacesData; ood: Record<(typeof OOD_KINDS)[number], Uint8Array>; oodCount: number } {
  const faces = generateSynthFaces({ n: 4 * perGroup, seed: 200 + seed, faceFraction: 1, groups: [...GROUPS] });
  const nonFaces = generateSynthFaces({ n: 4 * perGroup, seed: 300 + seed, faceFraction: 0 });
  const k = perGroup;
  const px = SIZE * SIZE * 3;
  const rng = createRandom(400 + seed);
  const noise = new Uint8Array(k * px).map(() => rng.int(256));
  const constant = new Uint8Array(k * px);
  for (let i = 0; i < k; i++) {
    const rgb = [rng.int(256), rng.int(256), rng.int(256)];
    for (let p = 0; p < SIZE * SIZE; p++) constant.set(rgb, i * px + p * 3);
  }
  // Test faces with their channels rotated (R,G,B -> G,B,R): the same shapes in colours no face has.
  const colourShift = faces.images.slice(0, k * px);
  for (let p = 0; p < colourShift.length; p += 3) {
    const [r, g, b] = [colourShift[p] as number, colourShift[p + 1] as number, colourShift[p + 2] as number];
    colourShift[p] = g;
    colourShift[p + 1] = b;
    colourShift[p + 2] = r;
  }
  const pool = generateSynthFaces({ n: 12 * k, seed: 500 + seed, faceFraction: 0, spuriousFraction: 0 });
  const scenes = pool.attributes.flatMap((a, i) => (a.nonFaceKind === 'scene' ? [i] : [])).slice(0, k);
  if (scenes.length < k) throw new Error(`only ${scenes.length} scenes drawn`);
  const scene = packed(scenes.map((i) => pool.images.subarray(i * px, (i + 1) * px)));
  return { faces, nonFaces, ood: { noise, constant, 'colour-shift': colourShift, scene }, oodCount: k };
}

async function trainCnn(seed: number): Promise<{ model: tf.LayersModel; train: SynthFacesData }> {
  const train = generateSynthFaces({ n: nTrain, seed: 100 + seed });
  const model = buildStandardClassifier({ seed });
  const x = tf.tidy(() => tf.tensor4d(train.images, [nTrain, SIZE, SIZE, 3], 'int32').toFloat().div(255));
  const y = tf.tensor2d(Float32Array.from(train.labels), [nTrain, 1]);
  model.compile({ optimizer: tf.train.adam(5e-4), loss: tf.losses.sigmoidCrossEntropy });
  // SynthFaces comes shuffled; tfjs's own shuffle is not seeded.
  await model.fit(x, y, { epochs: cnnEpochs, batchSize: 32, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  return { model, train };
}

/**
 * Joint mode as a user would run it: a fresh CNN with the unwrapped one's seed (so the same
 * initial weights), wrapped and trained with its risks by the same optimizer for the same epochs
 * on the same images; the histogram is then refilled from the training faces, as `fitWrapped` does.
 */
async function fitJointFromScratch(config: Config, train: SynthFacesData, seed: number): Promise<FittedRisk> {
  const wrapper = wrap(buildStandardClassifier({ seed }), { ...config.wrap, seed, mode: 'joint' });
  const x = imagesToTensor({ images: train.images, height: SIZE, width: SIZE }, {});
  const y = tf.tensor2d(Float32Array.from(train.labels), [nTrain, 1]);
  try {
    wrapper.compile({ optimizer: tf.train.adam(5e-4), loss: 'binaryCrossentropy' });
    await wrapper.fit(x, y, { epochs: cnnEpochs, batchSize: 32, seed });
    if (wrapper instanceof ComposedWrapper && wrapper.histogram) {
      const faces = tf.gather(x, [...train.labels].flatMap((l, i) => (l === 1 ? [i] : [])));
      wrapper.fitHistogram(faces, { reset: true });
      faces.dispose();
    }
  } finally {
    tf.dispose([x, y]);
  }
  return { kind: config.name, predictionSource: 'joint', riskSource: 'frozen-model', wrapper, seed, dispose: () => wrapper.dispose() };
}

function score(fitted: FittedRisk, images: Uint8Array) {
  return scoreRiskChunk(fitted, { images, height: SIZE, width: SIZE });
}

function column(rows: { bias?: number; epistemic?: number; aleatoric?: number }[], key: 'bias' | 'epistemic' | 'aleatoric'): number[] | undefined {
  return rows[0]?.[key] === undefined ? undefined : rows.map((r) => r[key] as number);
}

/** Every named epistemic estimate of the rows (`epistemic.vae`, `epistemic.mutualInformation`, ...). */
function namedEpistemic(rows: { named?: Record<string, number> }[]): Record<string, number[]> {
  const names = Object.keys(rows[0]?.named ?? {}).filter((k) => k.startsWith('epistemic.'));
  return Object.fromEntries(names.map((k) => [k, rows.map((r) => r.named?.[k] as number)]));
}

async function evaluateConfig(config: Config, model: tf.LayersModel, train: SynthFacesData, sets: ReturnType<typeof evaluationSets>, modelProbs: Float32Array, seed: number): Promise<Metrics> {
  const fitData = { images: train.images, labels: train.labels, height: SIZE, width: SIZE };
  const t0 = performance.now();
  const fitted = config.jointFromScratch
    ? await fitJointFromScratch(config, train, seed)
    : config.kind
      ? await fitRisk(model, fitData, { wrapper: config.kind, epochs: riskEpochs, seed })
      : await fitWrapped(model, fitData, { wrap: { ...config.wrap, seed }, epochs: riskEpochs, seed, kind: config.name });
  const m: Metrics = { fitSeconds: (performance.now() - t0) / 1000 };
  try {
    const labelledImages = packed([sets.faces.images, sets.nonFaces.images]);
    const labels: number[] = [...sets.faces.labels, ...sets.nonFaces.labels];
    const rows = score(fitted, labelledImages);
    const probs = rows.map((r) => r.prediction as number);
    const correct: number[] = probs.map((p, i) => ((p >= 0.5 ? 1 : 0) === labels[i] ? 1 : 0));
    const modelCorrect: number[] = Array.from(modelProbs, (p, i) => ((p >= 0.5 ? 1 : 0) === labels[i] ? 1 : 0));
    m.accuracy = correct.reduce((a, b) => a + b, 0) / correct.length;
    m.accuracyUnwrapped = modelCorrect.reduce((a, b) => a + b, 0) / modelCorrect.length;
    m.ece = expectedCalibrationError(probs, labels);
    m.eceUnwrapped = expectedCalibrationError(modelProbs, labels);
    if (fitted.predictionSource === 'model') {
      // The wrapper's own output against the frozen model's: identical in post-hoc mode.
      const x = tf.tidy(() => tf.tensor4d(labelledImages, [labels.length, SIZE, SIZE, 3], 'int32').toFloat().div(255));
      const out = fitted.wrapper.predict(x, { batchSize: 64 });
      const own = tf.tidy(() => tf.sigmoid(out.yHat).dataSync() as Float32Array);
      out.dispose();
      x.dispose();
      m.postHocMaxGap = Math.max(...Array.from(own, (p, i) => Math.abs(p - (modelProbs[i] as number))));
    }
    // Representation: common groups (LF, LM) should have higher bias than rare ones (DF, DM).
    const nFaces = sets.faces.labels.length;
    const faceRows = rows.slice(0, nFaces);
    const bias = column(faceRows, 'bias');
    const common: number[] = sets.faces.attributes.map((a) => (a.group === 'LF' || a.group === 'LM' ? 1 : 0));
    if (bias) m.rareAuroc = auroc(bias, common);
    // Mistakes: each risk as a flag (for bias, low = risky), and the plain confidence as the baseline.
    const risks: Record<string, number[] | undefined> = {
      epistemic: column(rows, 'epistemic'),
      aleatoric: column(rows, 'aleatoric'),
      negBias: column(rows, 'bias')?.map((b) => -b),
      confidence: probs.map((p) => 1 - Math.abs(2 * p - 1)),
    };
    const mistakes = correct.map((c) => 1 - c);
    for (const [name, r] of Object.entries(namedEpistemic(rows))) risks[name] = r;
    for (const [name, r] of Object.entries(risks)) {
      if (!r) continue;
      if (mistakes.some((e) => e === 1) && mistakes.some((e) => e === 0)) m[`errAuroc.${name}`] = auroc(r, mistakes);
      m[`aurc.${name}`] = aurc(r, correct);
    }
    // Out of distribution: each kind against the test faces.
    const faceEpi = column(faceRows, 'epistemic');
    const faceNamed = namedEpistemic(faceRows);
    for (const kind of OOD_KINDS) {
      const ood = score(fitted, sets.ood[kind]);
      const isOod = [...faceRows.map(() => 0), ...ood.map(() => 1)];
      const oodNamed = namedEpistemic(ood);
      for (const [name, r] of Object.entries(faceNamed)) m[`oodNamed.${name}.${kind}`] = auroc([...r, ...(oodNamed[name] as number[])], isOod);
      const oodEpi = column(ood, 'epistemic');
      if (faceEpi && oodEpi) m[`oodEpi.${kind}`] = auroc([...faceEpi, ...oodEpi], isOod);
      const oodBias = column(ood, 'bias');
      if (bias && oodBias) {
        m[`oodBias.${kind}`] = auroc([...bias, ...oodBias].map((b) => -b), isOod);
        const lowestFace = Math.min(...bias);
        m[`aboveLowestFace.${kind}`] = oodBias.filter((b) => b > lowestFace).length / oodBias.length;
        const medianFace = median(bias);
        m[`aboveMedianFace.${kind}`] = oodBias.filter((b) => b > medianFace).length / oodBias.length;
      }
    }
  } finally {
    fitted.dispose();
  }
  return m;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const backend = await initBackend({ backend: 'wasm' });
  console.log(`risk-quality on ${backend.name}: seeds ${seeds.join(',')}, ${nTrain} training images (CNN ${cnnEpochs} epochs, risk ${riskEpochs} epochs), ${perGroup} test faces per group, ${4 * perGroup} non-faces, ${perGroup} images per OOD kind`);
  const perSeed: Record<string, Metrics[]> = {};
  const t0 = performance.now();
  for (const seed of seeds) {
    const { model, train } = await trainCnn(seed);
    const sets = evaluationSets(seed);
    const labelled = packed([sets.faces.images, sets.nonFaces.images]);
    const n = sets.faces.labels.length + sets.nonFaces.labels.length;
    const modelProbs = tf.tidy(() => tf.sigmoid(model.predict(tf.tensor4d(labelled, [n, SIZE, SIZE, 3], 'int32').toFloat().div(255)) as tf.Tensor).dataSync() as Float32Array);
    for (const config of CONFIGS) {
      const m = await evaluateConfig(config, model, train, sets, modelProbs, seed);
      (perSeed[config.name] ??= []).push(m);
      console.log(`seed ${seed} ${config.name}: ${Object.entries(m).map(([k, v]) => `${k}=${v.toFixed(3)}`).join(' ')} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
    model.dispose();
  }
  const summary: Record<string, Record<string, { median: number; min: number; max: number }>> = {};
  for (const [name, list] of Object.entries(perSeed)) {
    summary[name] = {};
    for (const key of Object.keys(list[0] as Metrics)) {
      const xs = list.map((m) => m[key]).filter((v): v is number => v !== undefined);
      (summary[name] as Record<string, unknown>)[key] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
    }
  }
  const cell = (name: string, key: string): string => {
    const s = summary[name]?.[key];
    return s ? `${s.median.toFixed(2)} [${s.min.toFixed(2)}, ${s.max.toFixed(2)}]` : '-';
  };
  const bestEpi = (name: string): string => cell(name, summary[name]?.['errAuroc.epistemic'] ? 'errAuroc.epistemic' : 'errAuroc.aleatoric');
  // The best named epistemic estimate for mistakes (by median), with its name.
  const bestNamed = (name: string): string => {
    const keys = Object.keys(summary[name] ?? {}).filter((k) => k.startsWith('errAuroc.epistemic.'));
    const best = keys.sort((a, b) => (summary[name]?.[b]?.median ?? 0) - (summary[name]?.[a]?.median ?? 0))[0];
    return best ? `${best.replace('errAuroc.epistemic.', '')} ${cell(name, best)}` : '-';
  };
  console.log('\nMedian [min, max] over seeds');
  printTable(
    ['estimator', 'rare AUROC (bias)', 'OOD epi noise', 'OOD epi const', 'OOD epi colour', 'OOD epi scene', 'OOD -bias noise', 'OOD -bias const', 'noise/const above median face', 'noise/const above lowest face', 'err AUROC epi/alea', 'err AUROC best named epi', 'err AUROC conf', 'AURC risk', 'AURC conf', 'ECE', 'ECE unwrapped', 'acc', 'acc unwrapped', 'post-hoc gap'],
    Object.keys(summary).map((name) => [
      name,
      cell(name, 'rareAuroc'),
      cell(name, 'oodEpi.noise'),
      cell(name, 'oodEpi.constant'),
      cell(name, 'oodEpi.colour-shift'),
      cell(name, 'oodEpi.scene'),
      cell(name, 'oodBias.noise'),
      cell(name, 'oodBias.constant'),
      `${cell(name, 'aboveMedianFace.noise')} / ${cell(name, 'aboveMedianFace.constant')}`,
      `${cell(name, 'aboveLowestFace.noise')} / ${cell(name, 'aboveLowestFace.constant')}`,
      bestEpi(name),
      bestNamed(name),
      cell(name, 'errAuroc.confidence'),
      cell(name, summary[name]?.['aurc.epistemic'] ? 'aurc.epistemic' : 'aurc.aleatoric'),
      cell(name, 'aurc.confidence'),
      cell(name, 'ece'),
      cell(name, 'eceUnwrapped'),
      cell(name, 'accuracy'),
      cell(name, 'accuracyUnwrapped'),
      cell(name, 'postHocMaxGap'),
    ]),
  );
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  saveSuiteResult('risk-quality', { settings: { seeds, nTrain, perGroup, cnnEpochs, riskEpochs, backend: backend.name }, summary, perSeed });
}

runMain(main);
