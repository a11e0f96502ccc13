/**
 * Fair attribute classification through latent-space de-biasing (Ramaswamy, Kim and
 * Russakovsky, CVPR 2021), after the GAN latent de-biasing notebook.
 *
 * (a) The notebook's toy example: 512-dimensional Gaussian latents in four (target, protected)
 *     groups, latent linear SVMs, complements z', target-score histograms per protected group.
 * (b) The same pipeline in a learned latent space on SynthFaces, in a skew where a classifier
 *     trained on real faces is unfair: target 'female', protected 'longHair', long hair for 90%
 *     of women and 10% of men, so a small CNN leans on hair and misses short-haired women. By
 *     default a VAE trained here is the generator (z = latent means of the real faces, linear
 *     SVMs fitted on their known attributes, G = decoder); `--generator dcgan` uses the DCGAN
 *     and attribute classifier saved by the gan-bias example (prior samples, hallucinated
 *     labels). Complements z', a target classifier trained on real + G(z) + G(z') against one
 *     trained on real faces only, compared by AP / DEO / BA / KL with bootstrap intervals, and
 *     how often G(z') really shows the flipped protected attribute. Writes
 *     out/latent-debias/result.json.
 *
 * Run from the repository root: pnpm --filter @dbvae/example-latent-debias start [--help]
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { initBackend, tf } from '@dbvae/backend';
import {
  buildAugmentedSet,
  complementLatents,
  fairnessReport,
  fitLinearSvm,
  GanDebiasError,
  histogramKl,
  imageGrid,
  linearAccuracy,
  linearScores,
  toyReproduction,
  type BootstrapSummary,
  type SvmLoss,
  type LatentModel,
  type LinearClassifier,
  type Matrix,
} from '@dbvae/gan-debias';
import { attributeClassifierTrainStep, buildAttributeClassifier, fileSystemIOHandler } from '@dbvae/models';
import { ATTRIBUTES, makeFaces, parseSexCue, trainFaceVae, trainOn, vaeGenerator } from '@dbvae/example-shared';

// pnpm passes a literal '--' through to the script: drop it.
const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    generator: { type: 'string', default: 'dcgan' },
    models: { type: 'string', default: '../gan-bias/out/models' },
    target: { type: 'string', default: 'female' },
    protected: { type: 'string', default: 'longHair' },
    'long-hair-female': { type: 'string', default: '0.9' },
    'long-hair-male': { type: 'string', default: '0.1' },
    'sex-cue': { type: 'string', default: '1' },
    n: { type: 'string', default: '2048' },
    validation: { type: 'string', default: '1024' },
    test: { type: 'string', default: '2048' },
    m: { type: 'string', default: '1024' },
    'fit-latents': { type: 'string', default: '4096' },
    'svm-loss': { type: 'string', default: 'squared-hinge' },
    'attr-steps': { type: 'string', default: '400' },
    'latent-dim': { type: 'string', default: '16' },
    'kl-weight': { type: 'string', default: '5e-4' },
    'vae-steps': { type: 'string', default: '600' },
    'cls-steps': { type: 'string', default: '400' },
    'augmented-steps': { type: 'string' },
    synthetic: { type: 'string', default: 'pairs' },
    labeller: { type: 'string', default: 'saved' },
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
                         example (run it first); vae: train a small VAE here (z = latent means)
  --models <dir>       where gan-bias saved them (dcgan only)         default ../gan-bias/out/models
  --target <name>      target attribute, one of ${names.join(', ')}   default female
  --protected <name>   protected attribute (same choices)            default longHair
  --long-hair-female <p>  P(long hair | female) of all real faces     default 0.9
  --long-hair-male <p>    P(long hair | male)                         default 0.1
  --n <int>            real training faces                           default 2048
  --validation <int>   validation faces (threshold calibration, flip check)  default 1024
  --test <int>         test faces                                    default 2048
  --m <int>            latents z for G(z) and G(z') (dcgan; vae uses all n faces)  default 1024
  --fit-latents <int>  prior samples the latent SVMs are fitted on (dcgan; the first m also augment)  default 4096
  --svm-loss squared-hinge|hinge  latent SVM loss                     default squared-hinge (LinearSVC's)
  --attr-steps <int>   steps of the attribute classifier that checks G(z') (vae) or of the unskewed labeller  default 400
  --latent-dim <int>   VAE latent size (vae only)                    default 16
  --kl-weight <x>      weight of the VAE's KL term (vae only)        default 5e-4 (the lab's)
  --vae-steps <int>    VAE training steps, batch 32 (vae only)       default 600
  --cls-steps <int>    steps of each target classifier (batch 32)    default 400
  --sex-cue <x>        how visible sex is in the real faces, in [0, 5] (SynthFaces' sexCue; use the
                       value the generator in --models was trained with)   default 1
  --augmented-steps <int>  steps of the classifier on the augmented set  default: --cls-steps
                         (twice --cls-steps shows it each real face as often as the baseline)
  --synthetic pairs|samples  what joins the real faces: G(z) and G(z') (pairs, the method) or
                         G(z) alone (samples: a control, synthetic faces without de-biasing)  default pairs
  --resamples <int>    bootstrap resamples                           default 500
  --labeller saved|unskewed  who hallucinates the labels of G(z) (dcgan only): the attribute
                         classifier saved by gan-bias (saved, the paper's way), or a diagnostic one trained
                         here on faces where hair is independent of sex (unskewed)   default saved
  --skip-toy           skip part (a)
  --out <dir>          folder for result.json and the image grid      default out/latent-debias
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
const m = dcgan ? int('m') : n;
const fitN = dcgan ? Math.max(int('fit-latents'), m) : n;
const nVal = int('validation');
const nTest = int('test');
const attrSteps = int('attr-steps');
const svmLoss = values['svm-loss'] as SvmLoss;
if (svmLoss !== 'squared-hinge' && svmLoss !== 'hinge') throw new Error(`--svm-loss must be squared-hinge or hinge, got ${values['svm-loss']}.`);
const prob = (key: 'long-hair-female' | 'long-hair-male'): number => {
  const v = Number(values[key]);
  if (!(v >= 0 && v <= 1)) throw new Error(`--${key} must be a probability in [0, 1], got ${values[key]}.`);
  return v;
};
const skew = { longHairFemale: prob('long-hair-female'), longHairMale: prob('long-hair-male') };
const sexCue = parseSexCue(values['sex-cue']);
const latentDim = int('latent-dim');
const vaeSteps = int('vae-steps');
const clsSteps = int('cls-steps');
const augmentedSteps = values['augmented-steps'] === undefined ? clsSteps : int('augmented-steps');
const syntheticKind = values.synthetic;
if (syntheticKind !== 'pairs' && syntheticKind !== 'samples') throw new Error(`--synthetic must be pairs or samples, got ${syntheticKind}.`);
const labeller = values.labeller;
if (labeller !== 'saved' && labeller !== 'unskewed') throw new Error(`--labeller must be saved or unskewed, got ${labeller}.`);
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

// The output folder is ours: check it can be written before minutes of training.
const outDir = resolve(values.out);
mkdirSync(outDir, { recursive: true });
accessSync(outDir, constants.W_OK);

const t0 = performance.now();
const log = (msg: string): void => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${msg}`);
await initBackend({ backend: 'wasm' });
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const kl2 = (k: { ab: number; ba: number }): string => `${k.ab.toFixed(3)} / ${k.ba.toFixed(3)}`;

// ---- (a) toy example ----------------------------------------------------------------------------
if (!values['skip-toy']) {
  console.log('(a) Toy latents (notebook): 512 dims, groups (t,g) = (0,0) 6000, (0,1) 1000, (1,0) 1000, (1,1) 2000 with means 0.1, 0.2, -0.1, -0.2;');
  console.log('    train 4000 / validation 1000 / test 5000, linear SVMs (C = 1, unit-norm weights), KL with the original definition.');
  for (const loss of ['squared-hinge', 'hinge'] as SvmLoss[]) {
    const r = toyReproduction({ seed, loss });
    console.log(`    ${loss}: validation accuracy target ${pct(r.targetAccuracy)}, protected ${pct(r.protectedAccuracy)}; cos(w_t, w_g) = ${r.cosine.toFixed(3)}`);
    console.log(`      KL(g=0 || g=1) / KL(g=1 || g=0) of the test target scores: before ${kl2(r.klBefore)}, after adding z' ${kl2(r.klAfter)}`);
    console.log(`      h_g sign flipped for ${pct(r.protectedFlipRate)} of z', h_t sign kept for ${pct(r.targetKeepRate)}; max |h_t(z') - h_t(z)| = ${r.maxTargetShift.toExponential(1)}, max |h_g(z') + h_g(z)| = ${r.maxProtectedError.toExponential(1)}`);
  }
  log('toy example done\n');
}

// ---- (b) learned latent space -------------------------------------------------------------------
console.log(
  dcgan
    ? `(b) SynthFaces, target '${tName}', protected '${gName}': the DCGAN of the gan-bias example is the generator.`
    : `(b) SynthFaces, target '${tName}', protected '${gName}': a VAE's decoder is the generator.`,
);
const train = makeFaces(n, seed, skew, sexCue);
const val = makeFaces(nVal, seed + 1_000, skew, sexCue);
const test = makeFaces(nTest, seed + 2_000, skew, sexCue);
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
/** Latent-space KL, as in the toy: target scores per protected group before and after adding the complements (group 0 gets z(g=0) and z'(g=1), and so on). */
const latentKl = (ht: LinearClassifier, hg: LinearClassifier, z: Matrix, groups: ArrayLike<number>, what: string): void => {
  const st = linearScores(ht, z);
  const stp = linearScores(ht, complementLatents(z, ht, hg));
  const split = (sc: Float64Array, group: number): number[] => Array.from(sc).filter((_, i) => groups[i] === group);
  try {
    const before = histogramKl(split(st, 0), split(st, 1));
    const after = histogramKl([...split(st, 0), ...split(stp, 1)], [...split(st, 1), ...split(stp, 0)]);
    log(`${what}, KL between the ${tName}-score histograms of ${gName}=0 and =1: before ${kl2(before)}, after adding z' ${kl2(after)}`);
  } catch (error) {
    // a diagnostic only: a generator that rarely draws one protected group leaves too few scores
    // for the original KL's histograms, which must not stop the run
    if (!(error instanceof GanDebiasError)) throw error;
    log(`${what}, KL between the ${tName}-score histograms of ${gName}=0 and =1 not computed: ${error.message}`);
  }
};

/** How often G(z') really shows the flipped protected attribute (attribute classifier on images). */
interface FlipCheck {
  /** Latents checked. */
  checked: number;
  /** Protected label of G(z') differs from that of G(z). */
  byClassifier: number;
  /** Protected label of G(z') is the opposite of the source face's known label (VAE only: z encodes a real face). */
  byKnownAttributes?: number;
  /** Control: protected label of G(z) equals the source face's known label (VAE only). */
  reconstructionAgreement?: number;
  /** Target label of G(z') equals that of G(z). */
  targetKept: number;
}

/** Generator, latents z for G(z) and G(z'), their labels, the latent SVMs h_t, h_g and the flip check. */
interface LatentSetup {
  generator: LatentModel;
  zAug: Matrix;
  labels?: { target: ArrayLike<number>; protectedAttr: ArrayLike<number> };
  ht: LinearClassifier;
  hg: LinearClassifier;
  flip: FlipCheck;
  dispose: () => void;
}

/** Runs an attribute classifier on G(z) for latents z (batches of 128), returning 0/1 labels per attribute. */
function labelsOfGenerated(generator: LatentModel, attributes: tf.LayersModel, z: Matrix): number[][] {
  const out: number[][] = [];
  for (let from = 0; from < z.rows; from += 128) {
    const k = Math.min(128, z.rows - from);
    const rows = tf.tidy(() => {
      const zz = tf.tensor2d(Float32Array.from(z.data.subarray(from * z.cols, (from + k) * z.cols)), [k, z.cols]);
      const img = (typeof generator === 'function' ? generator(zz) : generator.predict(zz)) as tf.Tensor;
      return (attributes.predict(img) as tf.Tensor2D).arraySync();
    });
    for (const r of rows) out.push(r.map((v) => (v > 0 ? 1 : 0)));
  }
  return out;
}

function flipCheck(generator: LatentModel, attributes: tf.LayersModel, z: Matrix, ht: LinearClassifier, hg: LinearClassifier, known?: number[]): FlipCheck {
  const before = labelsOfGenerated(generator, attributes, z);
  const after = labelsOfGenerated(generator, attributes, complementLatents(z, ht, hg));
  const frac = (f: (i: number) => boolean): number => before.filter((_, i) => f(i)).length / before.length;
  const check: FlipCheck = {
    checked: before.length,
    byClassifier: frac((i) => after[i]![gi] !== before[i]![gi]),
    targetKept: frac((i) => after[i]![ti] === before[i]![ti]),
  };
  if (known) {
    check.byKnownAttributes = frac((i) => after[i]![gi] === 1 - known[i]!);
    check.reconstructionAgreement = frac((i) => before[i]![gi] === known[i]);
  }
  return check;
}

/**
 * The paper's setting: a GAN has no encoder, so z are prior samples, labelled ("hallucinated")
 * by an attribute classifier run on G(z); h_t and h_g are fitted on those labels. The generator
 * and the attribute classifier are the ones the gan-bias example trained and saved (on
 * SynthFaces' default skew, not this example's).
 */
async function dcganSetup(): Promise<LatentSetup> {
  const dir = (name: string): string => join(modelsDir, name);
  if (!existsSync(join(dir('dcgan'), 'model.json')) || !existsSync(join(dir('attribute-classifier'), 'model.json'))) {
    throw new Error(`No saved DCGAN / attribute classifier under ${modelsDir}: run \`pnpm --filter @dbvae/example-gan-bias start\` first (it trains and saves them), or use --generator vae.`);
  }
  const recipe = JSON.parse(readFileSync(join(dir('dcgan'), 'recipe.json'), 'utf8')) as { zDim: number; steps: number; seed: number; sexCue?: number };
  if ((recipe.sexCue ?? 1) !== sexCue) {
    throw new Error(`The DCGAN under ${modelsDir} was trained on faces with --sex-cue ${recipe.sexCue ?? 1}, but this run's real faces use --sex-cue ${sexCue}; pass the same value (or train a generator with it in gan-bias).`);
  }
  const clsRecipe = JSON.parse(readFileSync(join(dir('attribute-classifier'), 'recipe.json'), 'utf8')) as { attributes: string[] };
  if (clsRecipe.attributes.join() !== names.join()) throw new Error(`The saved attribute classifier has outputs ${clsRecipe.attributes.join(', ')}, expected ${names.join(', ')}.`);
  const generator = await tf.loadLayersModel(fileSystemIOHandler(dir('dcgan')));
  const attributes = await tf.loadLayersModel(fileSystemIOHandler(dir('attribute-classifier')));
  const zDim = recipe.zDim;
  log(`loaded the DCGAN (zDim ${zDim}, ${recipe.steps} steps, seed ${recipe.seed}) and the attribute classifier from ${modelsDir}`);
  // fitN latents to fit the SVMs (the first m of them also build the augmented set), 512 more to check them.
  const total = fitN + 512;
  const zAll = tf.randomNormal([total, zDim], 0, 1, 'float32', seed + 5) as tf.Tensor2D;
  const zData = Float64Array.from(zAll.dataSync());
  zAll.dispose();
  const zFit: Matrix = { data: zData.subarray(0, fitN * zDim), rows: fitN, cols: zDim };
  const zHeld: Matrix = { data: zData.subarray(fitN * zDim), rows: 512, cols: zDim };
  const zAug: Matrix = { data: zData.subarray(0, m * zDim), rows: m, cols: zDim };
  // The labeller hallucinates the labels the latent SVMs are fitted on. 'unskewed' is a diagnostic
  // the paper's setting does not have: a classifier trained on faces where hair says nothing of sex.
  let labelModel = attributes;
  if (labeller === 'unskewed') {
    const unskewed = makeFaces(n, seed + 3_000, { longHairFemale: 0.5, longHairMale: 0.5 }, sexCue);
    labelModel = buildAttributeClassifier({ hiddenDim: 8, nOutputs: names.length, seed: seed + 31 });
    trainOn(labelModel, attributeClassifierTrainStep, unskewed.x64, unskewed.attributes, attrSteps, 32, seed + 32);
    tf.dispose([unskewed.x32, unskewed.x64]);
    log(`trained the unskewed labeller on ${n} faces with long hair for 50% of women and of men (${attrSteps} steps)`);
  }
  const fitLabels = labelsOfGenerated(generator, labelModel, zFit);
  const heldLabels = labelsOfGenerated(generator, labelModel, zHeld);
  if (labelModel !== attributes) labelModel.dispose();
  const tFit = fitLabels.map((r) => r[ti]!);
  const gFit = fitLabels.map((r) => r[gi]!);
  log(`${labeller === 'unskewed' ? 'unskewed labeller' : 'attribute classifier'} on ${fitN} samples G(z): ${tName} ${pct(tFit.reduce((a, v) => a + v, 0) / fitN)}, ${gName} ${pct(gFit.reduce((a, v) => a + v, 0) / fitN)}; P(${tName} | ${gName}=0) = ${pct(rate(tFit, gFit, 0))}, P(${tName} | ${gName}=1) = ${pct(rate(tFit, gFit, 1))}`);
  const ht = fitLinearSvm(zFit, tFit, { seed: 1, loss: svmLoss });
  const hg = fitLinearSvm(zFit, gFit, { seed: 2, loss: svmLoss });
  log(
    `latent SVMs (${svmLoss}) on the hallucinated labels, accuracy on 512 held-out samples: ${tName} ${pct(linearAccuracy(ht, zHeld, heldLabels.map((r) => r[ti]!)))}, ` +
      `${gName} ${pct(linearAccuracy(hg, zHeld, heldLabels.map((r) => r[gi]!)))}; cos(w_t, w_g) = ${cosineOf(ht, hg).toFixed(3)}`,
  );
  latentKl(ht, hg, zHeld, heldLabels.map((r) => r[gi]!), '512 held-out latents');
  const flip = flipCheck(generator, attributes, zHeld, ht, hg);
  attributes.dispose();
  // G(z) and G(z') carry the attribute classifier's labels of G(z) (the paper's hallucinated labels).
  const labels = { target: tFit.slice(0, m), protectedAttr: gFit.slice(0, m) };
  return { generator, zAug, labels, ht, hg, flip, dispose: () => generator.dispose() };
}

/**
 * A VAE trained here on the real training faces: z are the encoder's latent means of those
 * faces, h_t and h_g are fitted on their known attributes, and G(z), G(z') carry the source
 * face's known labels (protected flipped for G(z')). An attribute classifier trained on the
 * real faces checks on validation faces whether G(z') shows the flipped protected attribute.
 */
function vaeSetup(): LatentSetup {
  const vae = trainFaceVae(train.x32, { latentDim, steps: vaeSteps, batchSize: 32, klWeight, seed, log });
  const means = (x: tf.Tensor4D): Matrix => ({ data: vae.latentMeans(x, { batchSize: 128 }), rows: x.shape[0], cols: latentDim });
  const zTrain = means(train.x32);
  const zVal = means(val.x32);
  const zTest = means(test.x32);
  const ht = fitLinearSvm(zTrain, tTrain, { seed: 1, loss: svmLoss });
  const hg = fitLinearSvm(zTrain, gTrain, { seed: 2, loss: svmLoss });
  log(
    `latent SVMs (${svmLoss}) on the faces' latent means, validation accuracy: ${tName} ${pct(linearAccuracy(ht, zVal, col(val.attributes, ti)))}, ` +
      `${gName} ${pct(linearAccuracy(hg, zVal, col(val.attributes, gi)))}; cos(w_t, w_g) = ${cosineOf(ht, hg).toFixed(3)}`,
  );
  latentKl(ht, hg, zTest, gTest, 'test latents');
  const attributes = buildAttributeClassifier({ hiddenDim: 8, nOutputs: names.length, seed: seed + 11 });
  trainOn(attributes, attributeClassifierTrainStep, train.x64, train.attributes, attrSteps, 32, seed + 12);
  const generator = vaeGenerator(vae);
  const flip = flipCheck(generator, attributes, zVal, ht, hg, col(val.attributes, gi));
  attributes.dispose();
  return { generator, zAug: zTrain, labels: { target: tTrain, protectedAttr: gTrain }, ht, hg, flip, dispose: () => vae.dispose() };
}

const setup = dcgan ? await dcganSetup() : vaeSetup();
const { generator, zAug, ht, hg, flip } = setup;
log(
  `G(z') against G(z), ${flip.checked} ${dcgan ? 'held-out prior samples' : 'validation faces'}, by an attribute classifier trained on real faces: ` +
    `${gName} flipped for ${pct(flip.byClassifier)}, ${tName} kept for ${pct(flip.targetKept)}` +
    (flip.byKnownAttributes !== undefined
      ? `; ${gName} of G(z') opposite to the source face's known label for ${pct(flip.byKnownAttributes)} (control: G(z) agrees with it for ${pct(flip.reconstructionAgreement!)})`
      : ''),
);

// The augmented set: real faces + G(z) + G(z') for the latents, labelled with the source
// faces' known labels (vae) or the latent SVMs (dcgan): the same target label for both, the
// protected label flipped for z'.
const set = await buildAugmentedSet({ generator, latents: zAug, target: ht, protectedAttr: hg, labels: setup.labels, real: { images: train.x64, targetLabels: tTrain, protectedLabels: gTrain } });
const synT = set.targetLabels.subarray(n);
const synG = set.protectedLabels.subarray(n);
log(`augmented set: ${n} real + ${2 * zAug.rows} generated; in the generated half P(${tName} | ${gName}=0) = ${pct(rate(synT, synG, 0))}, P(${tName} | ${gName}=1) = ${pct(rate(synT, synG, 1))}`);

// A few examples: real face, G(z), G(z') side by side.
{
  const k = 6;
  const mm = zAug.rows;
  const idx = Array.from({ length: k }, (_, i) => i);
  const tiles = tf.tidy(() => {
    const real = tf.gather(set.images, idx);
    const gz = tf.gather(set.images, idx.map((i) => n + i));
    const gzp = tf.gather(set.images, idx.map((i) => n + mm + i));
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

// Two target classifiers with the same architecture and seed (and by default the same number of steps).
const trainTarget = (x: tf.Tensor4D, labels: ArrayLike<number>, steps: number): tf.LayersModel => {
  const model = buildAttributeClassifier({ hiddenDim: 8, nOutputs: 1, seed: seed + 21 });
  trainOn(model, attributeClassifierTrainStep, x, Array.from(labels, (v) => [v]), steps, 32, seed + 22);
  return model;
};
const baseline = trainTarget(train.x64, tTrain, clsSteps);
log(`baseline classifier trained on ${n} real faces (${clsSteps} steps)`);
// The control keeps the real faces and G(z) (the first n + m rows) and drops G(z').
const kept = syntheticKind === 'pairs' ? set.targetLabels.length : n + zAug.rows;
const augmentedImages = kept === set.targetLabels.length ? set.images : tf.slice(set.images, 0, kept);
const debiased = trainTarget(augmentedImages as tf.Tensor4D, set.targetLabels.subarray(0, kept), augmentedSteps);
tf.dispose([set.images, augmentedImages]);
log(`${syntheticKind === 'pairs' ? "de-biased classifier trained on real + G(z) + G(z')" : 'control classifier trained on real + G(z)'} (${augmentedSteps} steps)`);

const scores = (model: tf.LayersModel, x: tf.Tensor4D): Float32Array => tf.tidy(() => (model.predict(x) as tf.Tensor).reshape([-1]).dataSync() as Float32Array);
const fmt = (b: BootstrapSummary, digits = 3): string => `${b.median.toFixed(digits)} [${b.low.toFixed(digits)}, ${b.high.toFixed(digits)}]`;
const tTest = col(test.attributes, ti);
const tVal = col(val.attributes, ti);
type Summary = { median: number; low: number; high: number };
const summary = (b: BootstrapSummary): Summary => ({ median: b.median, low: b.low, high: b.high });
const results: Record<'baseline' | 'augmented', { AP: Summary; DEO: Summary; BA: Summary; KL: Summary; KLSharedSymmetric: Summary }> = {} as never;
console.log(`\nTarget '${tName}', protected '${gName}', ${nTest} real test faces (P(${tName} | ${gName}=0) = ${pct(rate(tTest, gTest, 0))}, =1: ${pct(rate(tTest, gTest, 1))}).`);
console.log(`Bootstrap median [2.5%, 97.5%] over ${resamples} resamples; threshold calibrated on ${nVal} validation faces. AP higher is better, DEO / BA / KL lower is fairer.`);
console.log(`KL: the original definition (median of the four directional KLs, per-group bins, Gaussian smoothing); KL2: the shared-symmetric one.\n`);
console.log(`  model                     | AP                    | DEO                    | BA                      | KL                    | KL2`);
console.log(`  --------------------------|-----------------------|------------------------|-------------------------|-----------------------|----------------------`);
for (const [key, name, model] of [
  ['baseline', 'baseline (real only)', baseline],
  ['augmented', syntheticKind === 'pairs' ? 'de-biased (+G(z), G(z\'))' : 'control (+G(z) only)', debiased],
] as const) {
  const input = { scores: scores(model, test.x64), labels: tTest, groups: gTest, validation: { scores: scores(model, val.x64), labels: tVal } };
  const r = fairnessReport(input, { seed: 1, resamples });
  const shared = fairnessReport(input, { seed: 1, resamples, kl: { definition: 'shared-symmetric' } });
  results[key] = { AP: summary(r.ap), DEO: summary(r.deo), BA: summary(r.ba), KL: summary(r.kl), KLSharedSymmetric: summary(shared.kl) };
  console.log(`  ${name.padEnd(25)} | ${fmt(r.ap)} | ${fmt(r.deo)} | ${fmt(r.ba)} | ${fmt(r.kl)} | ${fmt(shared.kl)}`);
}

const seconds = (performance.now() - t0) / 1000;
const result = {
  baseline: results.baseline,
  augmented: results.augmented,
  flipRate: flip.byClassifier,
  flip,
  setting: { generator: generatorKind, ...(dcgan ? { models: modelsDir, fitLatents: fitN } : { vaeSteps, latentDim }), target: tName, protected: gName, skew, sexCue, n, validation: nVal, test: nTest, latents: zAug.rows, synthetic: syntheticKind, ...(dcgan ? { labeller } : {}), svmLoss, clsSteps, augmentedSteps, resamples, seed },
  seconds,
};
// Written to a temporary name and renamed, so an interrupted run never leaves a half-written result.
const resultFile = resolve(outDir, 'result.json');
writeFileSync(`${resultFile}.tmp`, JSON.stringify(result, null, 2));
renameSync(`${resultFile}.tmp`, resultFile);
console.log(`\nResult: ${resultFile}`);

tf.dispose([train.x32, train.x64, val.x32, val.x64, test.x32, test.x64]);
[baseline, debiased].forEach((mdl) => mdl.dispose());
setup.dispose();
log(`done in ${seconds.toFixed(0)} s; live tensors ${tf.memory().numTensors}`);
