/**
 * Issue 15: the ceiling of any face-resampling rule at the demo's size. Trains the standard CNN on the
 * demo's data with the faces drawn by an oracle that knows the skin tone: dark-skinned faces get
 * `share` of the face draws (uniform within each tone). If even this does not remove the CNN's bias,
 * no latent-density rule (which can at best find the same faces) can.
 *
 *   node --import tsx bench/oracle-reweight.ts '<seeds>' '<shares>' [out.jsonl] [n] [epochs]
 *     e.g. '100,101,102' '0,0.2,0.5' (0: uniform draws, the standard CNN of the demo)
 * Also reports the recall on the dark-skinned training faces themselves: a model that fits them but
 * misses new ones has too few distinct rare faces to generalise from, however often they are drawn.
 */
import { appendFileSync } from 'node:fs';
import { initBackend } from '@dbvae/backend';
import { buildStandardClassifier, trainClassifier } from '@dbvae/models';
import type { FaceDataset } from '@dbvae/core-data';
import { groupMetrics } from '../packages/cli/src/group-metrics';
import { predictTestFaces, prepareSynthData } from '../packages/cli/src/experiment/synth-run';

const [seedsArg = '100', sharesArg = '0.2', out = '', nArg = '4000', epochsArg = '3'] = process.argv.slice(2);
await initBackend();
for (const seed of seedsArg.split(',').map(Number)) {
  const data = await prepareSynthData({ n: Number(nArg), testPerGroup: 200, darkSkin: 0.05, spuriousFraction: 0.5 }, seed);
  const dark = data.faceGroups.map((g) => g.startsWith('D'));
  const nDark = dark.filter(Boolean).length;
  for (const share of sharesArg.split(',').map(Number)) {
    const pPos = Float64Array.from(dark, (d) => (d ? share / nDark : (1 - share) / (dark.length - nDark)));
    const oracle = new Proxy(data.dataset, {
      get(target, prop, receiver) {
        if (prop === 'getBatch' && share > 0) return (n: number, o: Parameters<FaceDataset['getBatch']>[1] = {}) => target.getBatch(n, { ...o, pPos });
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const model = buildStandardClassifier({ seed });
    const t0 = Date.now();
    const history = await trainClassifier(model, oracle, { epochs: Number(epochsArg), batchSize: 32, seed, progressBar: false });
    const p = await predictTestFaces(data.test, (x) => model.predict(x) as never);
    // recall on the dark training faces: the same images the model was trained on
    const darkRows = Array.from(data.dataset.faceIndices).filter((_, i) => dark[i]);
    const size = data.train.height * data.train.width * 3;
    const images = new Uint8Array(darkRows.length * size);
    darkRows.forEach((r, i) => images.set(data.train.images.subarray(r * size, (r + 1) * size), i * size));
    const pTrainDark = await predictTestFaces({ ...data.train, images, labels: new Uint8Array(darkRows.length).fill(1), attributes: darkRows.map((r) => data.train.attributes[r]!) }, (x) => model.predict(x) as never);
    const trainDarkRecall = pTrainDark.filter((v) => v >= 0.5).length / darkRows.length;
    history.optimizer.dispose();
    model.dispose();
    const m = groupMetrics(p, data.testGroups);
    const line = JSON.stringify({ seed, n: Number(nArg), epochs: Number(epochsArg), share, trainDarkRecall: +(trainDarkRecall * 100).toFixed(1), darkTrainFaces: nDark, mean: +(m.meanAccuracy * 100).toFixed(1), variance: +(m.accuracyVariance * 1e4).toFixed(0), groups: Object.fromEntries(Object.entries(m.groups).map(([g, s]) => [g, +(s.accuracy * 100).toFixed(1)])), seconds: Math.round((Date.now() - t0) / 1000) });
    console.log(line);
    if (out) appendFileSync(out, `${line}\n`);
  }
}
