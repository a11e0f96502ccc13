/**
 * Times SynthFaces: generating N images in memory, and writing the whole layout
 * (train.h5 + attributes.json + 4 x 100 test PNGs) to a temporary folder.
 *
 * Run: node --import tsx packages/core-data/scripts/synthfaces-speed.ts [--n 20000]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthFaces, writeSynthFaces } from '../src/index';

const i = process.argv.indexOf('--n');
const n = i >= 0 ? Number(process.argv[i + 1]) : 20000;
let t = performance.now();
generateSynthFaces({ n, seed: 1 });
const gen = (performance.now() - t) / 1000;
const dir = mkdtempSync(join(tmpdir(), 'synthfaces-'));
try {
  t = performance.now();
  const res = await writeSynthFaces(dir, { n, seed: 1, testPerGroup: 100 });
  const write = (performance.now() - t) / 1000;
  console.log(`generateSynthFaces n=${n}: ${gen.toFixed(1)} s (${((n / gen) | 0)} images/s)`);
  console.log(`writeSynthFaces n=${n} + 400 test PNGs: ${write.toFixed(1)} s; train.h5 ${(statSync(res.trainPath).size / 2 ** 20).toFixed(0)} MiB, ${res.counts.trainFaces} faces`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
