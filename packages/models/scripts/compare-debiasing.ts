/**
 * Trains the lab's standard CNN, the VAE-classifier without resampling, and the DB-VAE on
 * SynthFaces (dark skin rare among the training faces, and skin-coloured blobs among the
 * non-faces), then prints each model's accuracy on the four balanced test groups (LF, LM, DF,
 * DM): the DB-VAE should lower the spread across groups without losing mean accuracy.
 *
 *   node --import tsx packages/models/scripts/compare-debiasing.ts [--seed 0] [--n 6000] [--size 32] [--epochs 4] [--alpha 0.01] [--latent 32] [--filters 8] [--runs 1] [--klweight 5e-4] [--sum] [--combine max|product] [--test 250]
 *
 * Not a test: it takes minutes on the wasm backend.
 */
import { initBackend, tf } from '@dbvae/backend';
import { FaceDataset, generateSynthFaces, type SynthGroup } from '@dbvae/core-data';
import { samplingWeights } from '@dbvae/resampling';
import { buildStandardClassifier, DBVAE, trainClassifier, trainDBVAE, type TrainingHistory } from '@dbvae/models';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) && v !== Infinity) throw new Error(`--${name} needs a number`);
  return v;
}

const seed = arg('seed', 0);
const n = arg('n', 6000);
const size = arg('size', 32);
const epochs = arg('epochs', 4);
const alpha = arg('alpha', 0.01);
const latentDim = arg('latent', 32);
const nFilters = arg('filters', 8);
const runs = arg('runs', 1);
const klWeight = arg('klweight', 5e-4);
const perGroup = arg('test', 250);
const combineIdx = process.argv.indexOf('--combine');
const combine = combineIdx >= 0 && process.argv[combineIdx + 1] === 'product' ? 'product' : 'max';
const reduction = process.argv.includes('--sum') ? 'sum' : 'mean';
const batchSize = 32;
const GROUPS: SynthGroup[] = ['LF', 'LM', 'DF', 'DM'];

interface Row {
  name: string;
  acc: Record<SynthGroup, number>;
  nonFaceAcc: number;
  seconds: number;
  warnings: number;
}

function tensorOf(images: Uint8Array, count: number): tf.Tensor4D {
  const f = new Float32Array(images.length);
  for (let i = 0; i < images.length; i++) f[i] = (images[i] as number) / 255;
  return tf.tensor4d(f, [count, size, size, 3]);
}

async function main(): Promise<void> {
  const backend = await initBackend({ backend: 'wasm' });
  console.log(`backend ${backend.name}; seed ${seed}, n ${n}, size ${size}, epochs ${epochs}, alpha ${alpha}, latent ${latentDim}, filters ${nFilters}, klWeight ${klWeight}, reduction ${reduction}, combine ${combine}, ${perGroup} test faces per group`);
  const rowsAll: Row[][] = [];
  for (let run = 0; run < runs; run++) {
    const s = seed + run;
    const train = generateSynthFaces({ n, seed: s, size });
    const dataset = FaceDataset.fromArrays({ images: train.images, labels: train.labels, height: size, width: size, seed: s });
    const dark = train.attributes.filter((a) => a.skin === 'dark').length;
    console.log(`run ${run}: seed ${s}: ${dataset.numFaces} faces (${dark} dark skin), ${dataset.numNonFaces} non-faces, ${size}x${size}`);
    // Balanced test faces: `perGroup` per group, and as many test non-faces.
    const nTest = 4 * perGroup;
    const testFaces = generateSynthFaces({ n: nTest, seed: s + 10_000, size, faceFraction: 1, groups: GROUPS });
    const testNon = generateSynthFaces({ n: nTest, seed: s + 20_000, size, faceFraction: 0 });
    const xFaces = tensorOf(testFaces.images, nTest);
    const xNon = tensorOf(testNon.images, nTest);
    const evaluate = (predict: (x: tf.Tensor4D) => tf.Tensor): Pick<Row, 'acc' | 'nonFaceAcc'> => {
      const pf = predict(xFaces);
      const pn = predict(xNon);
      const faces = pf.dataSync();
      const non = pn.dataSync();
      tf.dispose([pf, pn]);
      const acc = {} as Record<SynthGroup, number>;
      for (const g of GROUPS) {
        let hit = 0;
        let total = 0;
        testFaces.attributes.forEach((a, i) => {
          if (a.group !== g) return;
          total++;
          if ((faces[i] as number) > 0.5) hit++;
        });
        acc[g] = (100 * hit) / total;
      }
      let tn = 0;
      non.forEach((p) => (tn += p <= 0.5 ? 1 : 0));
      return { acc, nonFaceAcc: (100 * tn) / non.length };
    };
    const common = { epochs, batchSize, seed: s, progressBar: 'auto' as const };
    const rows: Row[] = [];
    {
      const model = buildStandardClassifier({ nFilters, inputShape: [size, size, 3], seed: s });
      const t = Date.now();
      const h = await trainClassifier(model, dataset, common);
      rows.push({ name: 'standard CNN', ...evaluate((x) => tf.tidy(() => tf.sigmoid(model.predict(x, { batchSize: 100 }) as tf.Tensor))), seconds: (Date.now() - t) / 1000, warnings: 0 });
      h.optimizer.dispose();
      model.dispose();
    }
    const vaeRun = async (name: string, debias: boolean): Promise<void> => {
      const model = new DBVAE({ latentDim, nFilters, inputShape: [size, size, 3], seed: s, outputActivation: 'sigmoid' });
      const t = Date.now();
      const h: TrainingHistory = await trainDBVAE(model, dataset, { ...common, debias, alpha, combine, klWeight, reconstruction: { norm: 'l1', reduction } });
      const last = h.epochs[h.epochs.length - 1];
      // Where the resampling puts its mass: share of the sampling probability on dark-skinned faces.
      const means = model.latentMeans(dataset.faceBatches(128));
      const p = samplingWeights(means, { shape: [dataset.numFaces, latentDim], alpha, combine });
      let darkMass = 0;
      let darkCount = 0;
      dataset.faceIndices.forEach((row, i) => {
        if (train.attributes[row]?.skin === 'dark') {
          darkMass += p[i] as number;
          darkCount++;
        }
      });
      console.log(`  ${name}: resampling would put ${(100 * darkMass).toFixed(1)}% of the face draws on dark skin (uniform: ${((100 * darkCount) / dataset.numFaces).toFixed(1)}%)`);
      console.log(`  ${name}: last epoch losses ${JSON.stringify(last?.meanLosses)}; weights max/min ${last?.samplingWeightRange?.map((v) => v.toExponential(2)).join('/') ?? 'uniform'}; ${last?.collapse?.message ?? ''}`);
      rows.push({ name, ...evaluate((x) => model.predict(x)), seconds: (Date.now() - t) / 1000, warnings: h.warnings.length });
      h.optimizer.dispose();
      model.dispose();
    };
    await vaeRun('VAE, no resampling', false);
    await vaeRun(`DB-VAE a=${alpha} ${combine}`, true);
    tf.dispose([xFaces, xNon]);
    rowsAll.push(rows);
    printTable(rows, `run ${run} (seed ${s})`);
  }
  if (runs > 1) {
    const names = rowsAll[0]!.map((r) => r.name);
    const mean: Row[] = names.map((name, j) => {
      const acc = {} as Record<SynthGroup, number>;
      for (const g of GROUPS) acc[g] = rowsAll.reduce((sum, rows) => sum + rows[j]!.acc[g], 0) / runs;
      return { name, acc, nonFaceAcc: rowsAll.reduce((sum, rows) => sum + rows[j]!.nonFaceAcc, 0) / runs, seconds: rowsAll.reduce((sum, rows) => sum + rows[j]!.seconds, 0) / runs, warnings: rowsAll.reduce((sum, rows) => sum + rows[j]!.warnings, 0) };
    });
    printTable(mean, `mean over ${runs} runs`);
  }
}

function printTable(rows: Row[], title: string): void {
  console.log(`\n${title}: face recall per test group (%), non-face accuracy, mean and spread across groups`);
  console.log('model                    |    LF |    LM |    DF |    DM |  mean | var (pp^2) | max-min | non-face | s');
  for (const r of rows) {
    const v = GROUPS.map((g) => r.acc[g]);
    const mean = v.reduce((a, b) => a + b) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    const range = Math.max(...v) - Math.min(...v);
    console.log(
      `${r.name.padEnd(24)} | ${v.map((x) => x.toFixed(1).padStart(5)).join(' | ')} | ${mean.toFixed(2).padStart(5)} | ${variance.toFixed(2).padStart(10)} | ${range.toFixed(1).padStart(7)} | ${r.nonFaceAcc.toFixed(1).padStart(8)} | ${r.seconds.toFixed(0)}${r.warnings ? ` (${r.warnings} collapse warnings)` : ''}`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
