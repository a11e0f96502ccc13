/**
 * Shows the bias of SynthFaces: a plain CNN trained on the default skewed set (dark skin on
 * 10% of faces, plus non-faces sharing dark-skin colours) recognises dark-skinned faces less
 * often than light-skinned ones; the same CNN trained on an unskewed set (50% dark skin) as a
 * control closes most of the gap.
 *
 * Run: node --import tsx packages/core-data/scripts/synthfaces-bias.ts [--steps 400] [--seeds 1] [--n 8000]
 */
import { initBackend, tf } from '@dbvae/backend';
import { FaceDataset, generateSynthFaces, type SynthGroup } from '../src/index';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const STEPS = arg('steps', 400);
const SEEDS = arg('seeds', 1);
const N_TRAIN = arg('n', 8000);
const BATCH = 32;
const GROUPS: SynthGroup[] = ['LF', 'LM', 'DF', 'DM'];

/** A small version of the lab CNN (conv blocks of stride 2, ReLU then batch norm, dense head). */
function buildClassifier(seed: number): tf.LayersModel {
  let s = seed * 1000;
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: ++s });
  const input = tf.input({ shape: [64, 64, 3] });
  let x: tf.SymbolicTensor = input;
  for (const [filters, kernelSize] of [[8, 5], [16, 5], [32, 3], [48, 3]] as const) {
    x = tf.layers.conv2d({ filters, kernelSize, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ momentum: 0.9 }).apply(x) as tf.SymbolicTensor;
  }
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 1, kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function train(ds: FaceDataset, seed: number): tf.LayersModel {
  const model = buildClassifier(seed);
  const opt = tf.train.adam(1e-3);
  for (let step = 0; step < STEPS; step++) {
    const { x, y } = ds.getBatch(BATCH);
    const loss = opt.minimize(() => tf.losses.sigmoidCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true);
    loss?.dispose();
    tf.dispose([x, y]);
  }
  opt.dispose();
  return model;
}

function predictFaces(model: tf.LayersModel, images: Uint8Array, n: number): Uint8Array {
  const ds = FaceDataset.fromArrays({ images, labels: new Array<number>(n).fill(1), height: 64, width: 64 });
  const out = new Uint8Array(n);
  let i = 0;
  for (const x of ds.faceBatches(128)) {
    const p = tf.tidy(() => (model.predict(x) as tf.Tensor).greater(0).cast('int32'));
    out.set(p.dataSync(), i);
    i += x.shape[0];
    tf.dispose([p, x]);
  }
  return out;
}

async function main(): Promise<void> {
  await initBackend({ backend: 'wasm' });
  const perGroup = 250;
  // balanced test faces (never seen in training) and test non-faces (default spurious fraction)
  const testFaces = generateSynthFaces({ n: 4 * perGroup, seed: 1001, faceFraction: 1, groups: GROUPS });
  const testNon = generateSynthFaces({ n: 1000, seed: 1002, faceFraction: 0 });
  const rows: Record<string, string | number>[] = [];
  for (const [name, darkSkin] of [['skewed (default, 10% dark)', 0.1], ['control (50% dark)', 0.5]] as const) {
    for (let seed = 0; seed < SEEDS; seed++) {
      const t0 = performance.now();
      const data = generateSynthFaces({ n: N_TRAIN, seed: 10 + seed, skew: { darkSkin } });
      const ds = FaceDataset.fromArrays({ ...data, seed });
      const model = train(ds, seed);
      const pf = predictFaces(model, testFaces.images, testFaces.labels.length);
      const pn = predictFaces(model, testNon.images, testNon.labels.length);
      const recall: Record<string, number> = {};
      for (const g of GROUPS) {
        let hit = 0;
        let cnt = 0;
        testFaces.attributes.forEach((a, i) => {
          if (a.group === g) {
            cnt++;
            hit += pf[i] as number;
          }
        });
        recall[g] = hit / cnt;
      }
      let fp = 0;
      let fpSpur = 0;
      let nSpur = 0;
      testNon.attributes.forEach((a, i) => {
        fp += pn[i] as number;
        if (a.nonFaceKind === 'skin-blobs') {
          nSpur++;
          fpSpur += pn[i] as number;
        }
      });
      const light = ((recall.LF ?? 0) + (recall.LM ?? 0)) / 2;
      const dark = ((recall.DF ?? 0) + (recall.DM ?? 0)) / 2;
      rows.push({
        train: name,
        seed,
        LF: recall.LF!.toFixed(3),
        LM: recall.LM!.toFixed(3),
        DF: recall.DF!.toFixed(3),
        DM: recall.DM!.toFixed(3),
        'light-dark gap': (light - dark).toFixed(3),
        'non-face acc': (1 - fp / testNon.labels.length).toFixed(3),
        'skin-blob acc': (1 - fpSpur / nSpur).toFixed(3),
        seconds: ((performance.now() - t0) / 1000).toFixed(0),
      });
      model.dispose();
      console.log(JSON.stringify(rows[rows.length - 1]));
    }
  }
  console.log(`\nsteps=${STEPS} batch=${BATCH} nTrain=${N_TRAIN}; recall on ${perGroup} test faces per group, 1000 test non-faces`);
  console.table(rows);
  for (const name of new Set(rows.map((r) => r.train as string))) {
    const mine = rows.filter((r) => r.train === name);
    const mean = (key: string): string => (mine.reduce((a, r) => a + Number(r[key]), 0) / mine.length).toFixed(3);
    console.log(`${name}: mean over ${mine.length} seed(s): LF ${mean('LF')} LM ${mean('LM')} DF ${mean('DF')} DM ${mean('DM')} gap ${mean('light-dark gap')} non-face acc ${mean('non-face acc')}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
