/**
 * Issue 15 diagnosis: why the max-rule DB-VAE's dark-face recall collapses in `dbvae demo --full --seed 2`.
 *
 *   node --import tsx bench/collapse-diagnosis.ts <variant> [seed] [out.json]
 *     variant: max (the demo's DB-VAE) | vae (no resampling, --no-debias) | mix (max rule, uniformMix 0.5)
 *
 * Same data and training as `dbvae demo --full --seed <seed>` (prepareSynthData + the trainDBVAE call of
 * runVariant, replicated so the model can be probed between epochs; probing runs in inference mode and
 * draws nothing from the training streams). Records, per epoch:
 *   - the sampling probabilities the epoch drew with (recomputed from the model at the epoch's start,
 *     checked against the trainer's own groupShare), their share per attribute value beside the population
 *     share, and their concentration among dark faces (ESS, share of dark faces with ~0 probability);
 *   - the faces actually drawn (getBatch wrapped to count rows);
 *   - after the epoch: the test faces' probabilities per group (histogram), the attributes of the missed
 *     dark test faces vs all dark test faces, and the face probability of training dark faces and decoys.
 */
import { writeFileSync } from 'node:fs';
import { initBackend, tf, type tf as TF } from '@dbvae/backend';
import { imagesToTensor, type SynthAttributes } from '@dbvae/core-data';
import { DBVAE, trainDBVAE } from '@dbvae/models';
import { samplingWeights } from '@dbvae/resampling';
import { groupMetrics } from '../packages/cli/src/group-metrics';
import { predictTestFaces, prepareSynthData } from '../packages/cli/src/experiment/synth-run';

const [variant = 'max', seedArg = '2', out = ''] = process.argv.slice(2);
const seed = Number(seedArg);
// TRAIN_SEED: initialisation and batch streams from another seed, same data (default: the demo's, = seed).
const trainSeed = Number(process.env.TRAIN_SEED ?? seed);
const V = { epochs: 2, batchSize: 32, latentDim: 100, alpha: 0.001, combine: 'max' as const, temperature: 1, uniformMix: variant === 'mix' ? 0.5 : 0, klWeight: 0.0005, debias: variant !== 'vae' };
const BINS = 10;

await initBackend();
const t0 = Date.now();
const data = await prepareSynthData({ n: 20000, testPerGroup: 200, darkSkin: 0.05, spuriousFraction: 0.5 }, seed);
const { train, test, dataset } = data;
const faceRows = Array.from(dataset.faceIndices);
const faceAttr = faceRows.map((r) => train.attributes[r]!);
const nF = faceRows.length;
const isDark = faceAttr.map((a) => a.skin === 'dark');
const nDark = isDark.filter(Boolean).length;
console.log(`seed ${seed} (training seed ${trainSeed}) variant ${variant}: ${nF} training faces, ${nDark} dark (${((nDark / nF) * 100).toFixed(2)}%)`);

// ---- attribute keys ------------------------------------------------------------------------------
const tercile = (x: number, lo: number, hi: number) => (x < lo + (hi - lo) / 3 ? 'low' : x < lo + (2 * (hi - lo)) / 3 ? 'mid' : 'high');
const KEYS: Record<string, (a: SynthAttributes) => string> = {
  skin: (a) => String(a.skin),
  sex: (a) => String(a.sex),
  hairLength: (a) => String(a.hairLength),
  hairColor: (a) => String(a.hairColor),
  hat: (a) => String(a.hat),
  glasses: (a) => String(a.glasses),
  background: (a) => String(a.background),
  pose: (a) => tercile(a.pose!, -0.6, 0.6),
  lighting: (a) => tercile(a.lighting, 0.7, 1.2),
};

/** Share of population and of probability mass per attribute value, over the faces with mask. */
function attrShares(attrs: SynthAttributes[], p: ArrayLike<number>, mask: (i: number) => boolean) {
  const res: Record<string, Record<string, { pop: number; draw: number }>> = {};
  let nIn = 0;
  let pIn = 0;
  for (let i = 0; i < attrs.length; i++) {
    if (!mask(i)) continue;
    nIn++;
    pIn += p[i]!;
  }
  for (const [k, f] of Object.entries(KEYS)) {
    const t: Record<string, { pop: number; draw: number }> = {};
    for (let i = 0; i < attrs.length; i++) {
      if (!mask(i)) continue;
      const v = f(attrs[i]!);
      t[v] ??= { pop: 0, draw: 0 };
      t[v].pop += 1 / nIn;
      t[v].draw += p[i]! / pIn;
    }
    res[k] = t;
  }
  return res;
}

function printShares(title: string, s: ReturnType<typeof attrShares>) {
  console.log(`  ${title} (value: population% -> draw%)`);
  for (const [k, t] of Object.entries(s)) {
    const cells = Object.entries(t)
      .sort()
      .map(([v, x]) => `${v} ${(x.pop * 100).toFixed(1)}->${(x.draw * 100).toFixed(1)}`);
    console.log(`    ${k.padEnd(10)} ${cells.join(' | ')}`);
  }
}

function concentration(p: ArrayLike<number>) {
  const uni = 1 / nF;
  let sq = 0;
  let dSum = 0;
  let dSq = 0;
  let dZero = 0;
  let dBelowHalf = 0;
  let lZero = 0;
  const drawsPerEpoch = Math.floor(dataset.size / V.batchSize) * Math.floor(V.batchSize / 2);
  const dExp: number[] = [];
  for (let i = 0; i < nF; i++) {
    sq += p[i]! * p[i]!;
    if (isDark[i]) {
      dSum += p[i]!;
      dSq += p[i]! * p[i]!;
      if (p[i]! < 0.1 * uni) dZero++;
      if (p[i]! < 0.5 * uni) dBelowHalf++;
      dExp.push(p[i]! * drawsPerEpoch);
    } else if (p[i]! < 0.1 * uni) lZero++;
  }
  dExp.sort((a, b) => b - a);
  const top = (f: number) => dExp.slice(0, Math.ceil(f * dExp.length)).reduce((a, b) => a + b, 0) / dExp.reduce((a, b) => a + b, 0);
  const sorted = Float64Array.from(p).sort().reverse();
  let top1 = 0;
  for (let i = 0; i < Math.ceil(nF / 100); i++) top1 += sorted[i]!;
  return {
    ess: 1 / sq,
    darkShare: dSum,
    darkESS: (dSum * dSum) / dSq,
    nDark,
    darkFracBelowTenthUniform: dZero / nDark,
    darkFracBelowHalfUniform: dBelowHalf / nDark,
    lightFracBelowTenthUniform: lZero / (nF - nDark),
    darkExpectedDrawsMedian: dExp[Math.floor(dExp.length / 2)]!,
    darkTop10pctMassShare: top(0.1),
    darkTop1pctMassShare: top(0.01),
    allTop1pctMassShare: top1,
    drawsPerEpoch,
  };
}

function analyseProbabilities(epoch: number, p: Float64Array, trainerShare?: Record<string, number>) {
  const c = concentration(p);
  console.log(`epoch ${epoch + 1} sampling: ESS ${c.ess.toFixed(0)} of ${nF}; dark share ${(c.darkShare * 100).toFixed(2)}% (pop ${((nDark / nF) * 100).toFixed(2)}%); dark ESS ${c.darkESS.toFixed(0)} of ${nDark}; dark faces with p < 0.1/N: ${(c.darkFracBelowTenthUniform * 100).toFixed(1)}% (< 0.5/N: ${(c.darkFracBelowHalfUniform * 100).toFixed(1)}%; light < 0.1/N ${(c.lightFracBelowTenthUniform * 100).toFixed(1)}%); median expected draws of a dark face ${c.darkExpectedDrawsMedian.toFixed(2)} (uniform ${(c.drawsPerEpoch / nF).toFixed(2)}); top 10% of dark faces hold ${(c.darkTop10pctMassShare * 100).toFixed(1)}% of dark mass, top 1% ${(c.darkTop1pctMassShare * 100).toFixed(1)}%; top 1% of all faces hold ${(c.allTop1pctMassShare * 100).toFixed(1)}%`);
  if (trainerShare) {
    const mine: Record<string, number> = {};
    for (let i = 0; i < nF; i++) mine[data.faceGroups[i]!] = (mine[data.faceGroups[i]!] ?? 0) + p[i]!;
    const diff = Math.max(...Object.keys(trainerShare).map((g) => Math.abs((mine[g] ?? 0) - trainerShare[g]!)));
    console.log(`  check: recomputed groupShare vs trainer's: max |diff| ${diff.toExponential(2)} ${JSON.stringify(Object.fromEntries(Object.entries(trainerShare).map(([g, s]) => [g, +(s * 100).toFixed(2)])))}`);
  }
  const all = attrShares(faceAttr, p, () => true);
  const dark = attrShares(faceAttr, p, (i) => isDark[i]!);
  printShares('all faces', all);
  printShares('dark faces only', dark);
  return { concentration: c, all, dark };
}

function analyseDraws(epoch: number, counts: Int32Array) {
  let darkDraws = 0;
  let total = 0;
  let darkUnique = 0;
  let lightUnique = 0;
  const darkCounts: number[] = [];
  for (let i = 0; i < nF; i++) {
    total += counts[i]!;
    if (isDark[i]) {
      darkDraws += counts[i]!;
      darkCounts.push(counts[i]!);
      if (counts[i]! > 0) darkUnique++;
    } else if (counts[i]! > 0) lightUnique++;
  }
  darkCounts.sort((a, b) => b - a);
  const r = { total, darkDraws, darkDrawShare: darkDraws / total, darkUnique, lightUnique, darkMaxDraws: darkCounts[0], darkTop10Draws: darkCounts.slice(0, 10) };
  console.log(`epoch ${epoch + 1} actual draws: ${total} faces, dark ${darkDraws} (${((darkDraws / total) * 100).toFixed(1)}%), distinct dark faces drawn ${darkUnique} of ${nDark}, distinct light ${lightUnique} of ${nF - nDark}; most-drawn dark faces ${darkCounts.slice(0, 10).join(',')}`);
  return r;
}

function probsOfRows(model: DBVAE, rows: number[]): Float32Array {
  const outP = new Float32Array(rows.length);
  for (let s = 0; s < rows.length; s += 64) {
    const idx = rows.slice(s, s + 64);
    const x = imagesToTensor(train, { indices: idx });
    try {
      outP.set(tf.tidy(() => tf.sigmoid(model.predictLogits(x)).dataSync() as Float32Array), s);
    } finally {
      x.dispose();
    }
  }
  return outP;
}

const hist = (xs: ArrayLike<number>) => {
  const edges = [0, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0001];
  const h = new Array(edges.length - 1).fill(0);
  for (const x of Array.from(xs)) for (let b = 0; b < h.length; b++) if (x >= edges[b]! && x < edges[b + 1]!) h[b]++;
  return Object.fromEntries(h.map((c, b) => [`${edges[b]}-${Math.min(1, edges[b + 1]!)}`, c]));
};
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN);

async function evaluate(model: DBVAE, epoch: number, counts: Int32Array | undefined) {
  const probs = await predictTestFaces(test, (x) => model.predictLogits(x));
  const m = groupMetrics(probs, data.testGroups);
  const acc = Object.fromEntries(Object.entries(m.groups).map(([g, s]) => [g, +(s.accuracy * 100).toFixed(1)]));
  console.log(`after epoch ${epoch + 1}: test mean ${(m.meanAccuracy * 100).toFixed(1)}% ${JSON.stringify(acc)}`);
  const byGroup: Record<string, unknown> = {};
  for (const g of ['LF', 'LM', 'DF', 'DM']) {
    const ps = Array.from(probs).filter((_, i) => data.testGroups[i] === g);
    const misses = ps.filter((p) => p < 0.5);
    byGroup[g] = { hist: hist(ps), medianProb: median(ps), medianMissProb: median(misses), missesBelow0_1: misses.filter((p) => p < 0.1).length, misses: misses.length };
    console.log(`  ${g} prob histogram ${JSON.stringify(hist(ps))} median ${median(ps).toFixed(3)}, median of misses ${median(misses).toFixed(3)}`);
  }
  // Attributes of missed dark test faces vs all dark test faces: miss rate per value.
  const darkTest = test.attributes.map((a, i) => ({ a, p: probs[i]! })).filter((x) => x.a.skin === 'dark');
  const lightTest = test.attributes.map((a, i) => ({ a, p: probs[i]! })).filter((x) => x.a.skin === 'light');
  const missTable: Record<string, Record<string, { n: number; missRate: number; meanProb: number; lightMissRate: number }>> = {};
  console.log('  dark test faces: per attribute value, n / miss rate (light faces\' miss rate)');
  for (const [k, f] of Object.entries(KEYS)) {
    if (k === 'skin') continue;
    const t: Record<string, { n: number; missRate: number; meanProb: number; lightMissRate: number }> = {};
    for (const v of [...new Set(darkTest.map((x) => f(x.a)))].sort()) {
      const sel = darkTest.filter((x) => f(x.a) === v);
      const lsel = lightTest.filter((x) => f(x.a) === v);
      t[v] = { n: sel.length, missRate: sel.filter((x) => x.p < 0.5).length / sel.length, meanProb: sel.reduce((s, x) => s + x.p, 0) / sel.length, lightMissRate: lsel.filter((x) => x.p < 0.5).length / Math.max(1, lsel.length) };
    }
    missTable[k] = t;
    console.log(`    ${k.padEnd(10)} ${Object.entries(t).map(([v, x]) => `${v} ${x.n}/${(x.missRate * 100).toFixed(0)}% (${(x.lightMissRate * 100).toFixed(0)}%)`).join(' | ')}`);
  }
  // Training dark faces: face probability, split by whether the epoch drew them; and the decoys.
  const darkRows = faceRows.filter((_, i) => isDark[i]);
  const dp = probsOfRows(model, darkRows);
  const darkIdx = faceRows.map((_, i) => i).filter((i) => isDark[i]);
  const drawn = counts ? darkIdx.map((i) => counts[i]! > 0) : darkIdx.map(() => true);
  const rec = (sel: boolean[]) => {
    const xs = Array.from(dp).filter((_, j) => sel[j]);
    return { n: xs.length, recall: xs.filter((p) => p >= 0.5).length / Math.max(1, xs.length) };
  };
  const trDrawn = rec(drawn);
  const trNot = rec(drawn.map((d) => !d));
  const lightRows = faceRows.filter((_, i) => !isDark[i]).slice(0, 1000);
  const lp = probsOfRows(model, lightRows);
  const decoys = train.attributes.map((a, r) => ({ a, r })).filter((x) => x.a.nonFaceKind === 'skin-blobs').slice(0, 1000).map((x) => x.r);
  const others = train.attributes.map((a, r) => ({ a, r })).filter((x) => x.a.label === 0 && x.a.nonFaceKind !== 'skin-blobs').slice(0, 1000).map((x) => x.r);
  const decP = probsOfRows(model, decoys);
  const othP = probsOfRows(model, others);
  const frac = (xs: Float32Array) => Array.from(xs).filter((p) => p >= 0.5).length / xs.length;
  const train_ = {
    darkTrainRecallDrawn: trDrawn,
    darkTrainRecallNotDrawn: trNot,
    lightTrainRecall: frac(lp),
    decoyFalsePositive: frac(decP),
    otherNonFaceFalsePositive: frac(othP),
  };
  console.log(`  training dark faces recall: drawn this epoch ${(trDrawn.recall * 100).toFixed(1)}% (n ${trDrawn.n}), not drawn ${(trNot.recall * 100).toFixed(1)}% (n ${trNot.n}); light (1000) ${(train_.lightTrainRecall * 100).toFixed(1)}%; decoys predicted face ${(train_.decoyFalsePositive * 100).toFixed(1)}%, other non-faces ${(train_.otherNonFaceFalsePositive * 100).toFixed(1)}%`);
  return { mean: m.meanAccuracy, acc, byGroup, missTable, train: train_, probs: Array.from(probs, (p) => +p.toFixed(4)) };
}

// ---- training, replicating runVariant's trainDBVAE call -----------------------------------------
const model = new DBVAE({ latentDim: V.latentDim, seed: trainSeed });
const rowToFace = new Map(faceRows.map((r, i) => [r, i]));
let counts = new Int32Array(nF);
// Trace (TRACE=k): every k steps, dark test recall and decoy false positives, with the window's batch composition.
const TRACE = Number(process.env.TRACE ?? 0);
const TRACE_FROM = Number(process.env.TRACE_FROM ?? 0);
const traceDarkTest = test.attributes.map((a, i) => (a.skin === 'dark' ? i : -1)).filter((i) => i >= 0);
const traceLightTest = test.attributes.map((a, i) => (a.skin === 'light' ? i : -1)).filter((i) => i >= 0).slice(0, 200);
const traceDecoys = train.attributes.map((a, r) => (a.nonFaceKind === 'skin-blobs' ? r : -1)).filter((r) => r >= 0).slice(0, 300);
const win = { dark: 0, light: 0, decoy: 0, other: 0 };
const trace: unknown[] = [];
// AVG=k: also evaluate the encoder with its weights (incl. batch-norm statistics) averaged over the last k steps.
const AVG = Number(process.env.AVG ?? 0);
const totalSteps = V.epochs * Math.floor(dataset.size / V.batchSize);
let avgAcc: TF.Tensor[] | undefined;
let avgCount = 0;
function accumulate(step: number) {
  if (AVG <= 0 || step <= totalSteps - AVG) return;
  const w = model.encoder.getWeights();
  if (!avgAcc) avgAcc = w.map((t) => t.clone());
  else {
    const next = avgAcc.map((a, i) => tf.add(a, w[i]!));
    tf.dispose(avgAcc);
    avgAcc = next;
  }
  avgCount++;
}
function probsSync(d: typeof train, rows: number[]): Float32Array {
  const o = new Float32Array(rows.length);
  for (let s = 0; s < rows.length; s += 100) {
    const x = imagesToTensor(d, { indices: rows.slice(s, s + 100) });
    try {
      o.set(tf.tidy(() => tf.sigmoid(model.predictLogits(x)).dataSync() as Float32Array), s);
    } finally {
      x.dispose();
    }
  }
  return o;
}
const wrapped = {
  get numFaces() {
    return dataset.numFaces;
  },
  get size() {
    return dataset.size;
  },
  faceBatches: (b: number) => dataset.faceBatches(b),
  getBatch: (n: number, o?: Parameters<typeof dataset.getBatch>[1]) => {
    const b = dataset.getBatch(n, o);
    if (!o?.onlyFaces)
      for (const r of b.indices) {
        const a = train.attributes[r]!;
        if (rowToFace.has(r)) counts[rowToFace.get(r)!]!++;
        if (a.label === 1) win[a.skin === 'dark' ? 'dark' : 'light']++;
        else win[a.nonFaceKind === 'skin-blobs' ? 'decoy' : 'other']++;
      }
    return b;
  },
};
const pOf = (m: DBVAE) => {
  if (!V.debias) return new Float64Array(nF).fill(1 / nF);
  const means = m.latentMeans(dataset.faceBatches(64), { batchSize: 64 });
  return samplingWeights(means, { shape: [nF, V.latentDim], bins: BINS, alpha: V.alpha, combine: V.combine, temperature: V.temperature, uniformMix: V.uniformMix });
};
const result: Record<string, unknown> = { variant, seed, trainSeed, settings: V, epochs: [] as unknown[] };
let pNext = pOf(model);
const epochs = result.epochs as unknown[];
const history = await trainDBVAE(model, wrapped, {
  epochs: V.epochs,
  batchSize: V.batchSize,
  seed: trainSeed,
  progressBar: false,
  debias: V.debias,
  alpha: V.alpha,
  combine: V.combine,
  temperature: V.temperature,
  uniformMix: V.uniformMix,
  klWeight: V.klWeight,
  faceGroups: data.faceGroups,
  ...(TRACE > 0 || AVG > 0
    ? {
        onStep: (r: { globalStep: number; epoch: number; classification: number }) => {
          accumulate(r.globalStep);
          if (TRACE <= 0 || r.globalStep % TRACE !== 0 || r.globalStep < TRACE_FROM) {
            if (r.globalStep < TRACE_FROM) win.dark = win.light = win.decoy = win.other = 0;
            return;
          }
          const dp = probsSync(test, traceDarkTest);
          const fp = probsSync(train, traceDecoys);
          const lp = probsSync(test, traceLightTest);
          const lightLogit = Array.from(lp).reduce((a, p) => a + Math.log(Math.max(p, 1e-7) / Math.max(1 - p, 1e-7)), 0) / lp.length;
          const decoyLogit = Array.from(fp).reduce((a, p) => a + Math.log(Math.max(p, 1e-7) / Math.max(1 - p, 1e-7)), 0) / fp.length;
          const rec = Array.from(dp).filter((p) => p >= 0.5).length / dp.length;
          const fpr = Array.from(fp).filter((p) => p >= 0.5).length / fp.length;
          const meanLogit = Array.from(dp).reduce((a, p) => a + Math.log(Math.max(p, 1e-7) / Math.max(1 - p, 1e-7)), 0) / dp.length;
          const row = { step: r.globalStep, epoch: r.epoch, darkRecall: rec, darkMeanLogit: meanLogit, lightMeanLogit: lightLogit, decoyMeanLogit: decoyLogit, classification: r.classification, decoyFP: fpr, window: { ...win } };
          trace.push(row);
          console.log(`trace step ${r.globalStep} (epoch ${r.epoch + 1}): dark test recall ${(rec * 100).toFixed(1)}% mean logit ${meanLogit.toFixed(2)}; decoy FP ${(fpr * 100).toFixed(1)}%; light logit ${lightLogit.toFixed(2)} decoy logit ${decoyLogit.toFixed(2)}; window draws dark ${win.dark} light ${win.light} decoy ${win.decoy} other ${win.other}`);
          win.dark = win.light = win.decoy = win.other = 0;
        },
      }
    : {}),
  onEpochEnd: async (rec) => {
    console.log(`--- epoch ${rec.epoch + 1} done in ${rec.seconds.toFixed(0)} s, losses ${JSON.stringify(rec.meanLosses)}, trainer ESS ${rec.effectiveSampleSize?.toFixed(0)}`);
    const sampling = analyseProbabilities(rec.epoch, pNext, rec.groupShare);
    const draws = analyseDraws(rec.epoch, counts);
    const ev = await evaluate(model, rec.epoch, counts);
    epochs.push({ epoch: rec.epoch, meanLosses: rec.meanLosses, trainerESS: rec.effectiveSampleSize, trainerGroupShare: rec.groupShare, sampling, draws, evaluation: ev });
    counts = new Int32Array(nF);
    if (rec.epoch + 1 < V.epochs) pNext = pOf(model);
  },
});
history.optimizer.dispose();
if (avgAcc) {
  model.encoder.setWeights(avgAcc.map((a) => tf.div(a, avgCount)));
  console.log(`--- encoder weights averaged over the last ${avgCount} steps:`);
  result.averaged = await evaluate(model, V.epochs - 1, undefined);
}
model.dispose();
result.seconds = (Date.now() - t0) / 1000;
result.trace = trace;
console.log(`total ${(result.seconds as number).toFixed(0)} s`);
if (out) writeFileSync(out, JSON.stringify(result));
