import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { initBackend, tf } from '@dbvae/backend';
import { loadImageFolder, writeSynthFaces } from '@dbvae/core-data';
import { buildStandardClassifier } from '@dbvae/models';
import { expectNoTensorLeaks } from '@dbvae/test-utils';
import { runCli } from '../src/cli';
import { loadStoredModel, predictPacked, saveStoredModel, MODEL_MANIFEST } from '../src/model-store';
import { fitRisk, loadFittedRisk, saveFittedRisk, scoreRiskChunk } from '../src/risk-scoring';

// A tiny world: 32x32 SynthFaces, a skewed training file (dark skin 10% of faces) and a
// balanced test folder (LF, LM, DF, DM), a small lab CNN trained briefly on the training file.
const SIZE = 32;
let dir: string;
let trainPath: string;

interface Row {
  index: number;
  file?: string;
  group?: string;
  label?: number;
  prediction: number;
  bias?: number;
  epistemic?: number;
  aleatoric?: number;
  predictionSource: string;
  riskSource: string;
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => ((err += s), true) }, cwd: dir });
  return { code, out, err };
}

async function rowsOf(file: string): Promise<Row[]> {
  return (JSON.parse(await readFile(join(dir, file), 'utf8')) as { rows: Row[] }).rows;
}

/** SHA-256 of every file under a folder, by relative path. */
async function treeHash(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[relative(root, p)] = createHash('sha256').update(await readFile(p)).digest('hex');
    }
  };
  await walk(root);
  return out;
}

/** Mann-Whitney AUROC: the share of (low, high) pairs where the low-group score is below the high-group score (ties count half). */
function pairwiseAuroc(low: number[], high: number[]): number {
  let wins = 0;
  for (const a of low) for (const b of high) wins += a < b ? 1 : a === b ? 0.5 : 0;
  return wins / (low.length * high.length);
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  dir = await mkdtemp(join(tmpdir(), 'dbvae-risk-'));
  const written = await writeSynthFaces(join(dir, 'data'), { n: 800, size: SIZE, seed: 3, testPerGroup: 24 });
  trainPath = written.trainPath;
  const classifier = buildStandardClassifier({ inputShape: [SIZE, SIZE, 3], nFilters: 4, denseUnits: 32, seed: 1 });
  try {
    // A short supervised fit so that the features mean something (the model under test is fixed from here on).
    const { readLabH5, swapRedBlueInPlace } = await import('@dbvae/core-data');
    const d = await readLabH5(trainPath);
    swapRedBlueInPlace(d.images);
    const x = tf.tidy(() => tf.tensor4d(d.images, [d.n, SIZE, SIZE, 3], 'int32').toFloat().div(255));
    const y = tf.tensor2d(Float32Array.from(d.labels), [d.n, 1]);
    classifier.compile({ optimizer: tf.train.adam(1e-3), loss: tf.losses.sigmoidCrossEntropy });
    // No shuffling: tfjs shuffles with an unseeded Math.random (SynthFaces comes shuffled).
    await classifier.fit(x, y, { epochs: 2, batchSize: 32, shuffle: false, verbose: 0 });
    tf.dispose([x, y]);
    await saveStoredModel(join(dir, 'model'), { kind: 'standard', classifier }, { data: trainPath, model: 'standard' });
  } finally {
    classifier.dispose();
  }
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('dbvae risk (post-hoc: the model is frozen, the risk is fitted on the training file)', () => {
  it("reports the model's own predictions, equal to dbvae evaluate's", async () => {
    const r = await run(['risk', '--model', 'model', '--data', 'data/test', '--wrapper', 'mve', '--out', 'mve.json', '--epochs', '1']);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const rows = await rowsOf('mve.json');
    // Independent truth: the saved model predicting the same folder the way `evaluate` does.
    const stored = await loadStoredModel(join(dir, 'model'));
    let expected: Float32Array;
    try {
      const faces = await loadImageFolder(join(dir, 'data/test'), { groups: true, size: [SIZE, SIZE] });
      expected = await predictPacked(stored, faces);
      expect(rows.map((row) => row.file)).toEqual(faces.files);
    } finally {
      stored.dispose();
    }
    expect(rows.map((row) => row.prediction)).toEqual(Array.from(expected));
    expect(new Set(rows.map((row) => `${row.predictionSource}/${row.riskSource}`))).toEqual(new Set(['model/frozen-model']));
    expect(rows.every((row) => Number.isFinite(row.aleatoric) && (row.aleatoric as number) > 0)).toBe(true);
    // ... and dbvae evaluate's per-group means.
    const ev = await run(['evaluate', '--model', 'model', '--faces', 'data/test', '--json', 'eval.json']);
    expect(ev.code).toBe(0);
    const metrics = JSON.parse(await readFile(join(dir, 'eval.json'), 'utf8')) as { groups: Record<string, { meanProb: number }> };
    for (const [g, s] of Object.entries(metrics.groups)) {
      const mine = rows.filter((row) => row.group === g).map((row) => row.prediction);
      expect(mine.reduce((a, b) => a + b, 0) / mine.length).toBeCloseTo(s.meanProb, 6);
    }
  });

  it('never fits on the scored data: shared images score the same on two --data sets, the model folder is untouched', async () => {
    const before = await treeHash(join(dir, 'model'));
    // A second data set: the LF and DF test faces only (same files), plus 8 noise images in another group.
    await mkdir(join(dir, 'subset'), { recursive: true });
    for (const g of ['LF', 'DF']) await cp(join(dir, 'data/test', g), join(dir, 'subset', g), { recursive: true });
    const sharp = (await import('sharp')).default;
    await mkdir(join(dir, 'subset', 'noise'));
    for (let i = 0; i < 8; i++) {
      const px = Buffer.from(Array.from({ length: SIZE * SIZE * 3 }, (_, j) => (j * 7919 + i * 104729) % 256));
      await sharp(px, { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toFile(join(dir, 'subset', 'noise', `${i}.png`));
    }
    const full = await run(['risk', '--model', 'model', '--fit', trainPath, '--data', 'data/test', '--wrapper', 'histogram-vae', '--out', 'full.json', '--report', 'report']);
    expect(full.code).toBe(0);
    // The report works from the log-density bias.
    expect(full.out).toMatch(/Report: .*index\.html/);
    expect(await readFile(join(dir, 'report', 'index.html'), 'utf8')).toMatch(/Least and most represented/);
    const part = await run(['risk', '--model', 'model', '--fit', trainPath, '--data', 'subset', '--wrapper', 'histogram-vae', '--out', 'part.json']);
    expect(part.code).toBe(0);
    const fullRows = await rowsOf('full.json');
    const byFile = new Map(fullRows.map((row) => [row.file, row]));
    const shared = (await rowsOf('part.json')).filter((row) => byFile.has(row.file));
    expect(shared.length).toBe(48);
    for (const row of shared) {
      const other = byFile.get(row.file) as Row;
      expect([row.prediction, row.bias, row.epistemic]).toEqual([other.prediction, other.bias, other.epistemic]);
    }
    expect(await treeHash(join(dir, 'model'))).toEqual(before);
  });

  it('ranks the rare groups (dark skin, 10% of the fit set) as less represented on a balanced test set', async () => {
    const rows = await rowsOf('full.json');
    expect(rows.every((row) => Number.isFinite(row.bias))).toBe(true);
    const bias = (groups: string[]) => rows.filter((row) => groups.includes(row.group as string)).map((row) => row.bias as number);
    // bias is a log-density: higher = better represented, so rare (DF, DM) should sit below common (LF, LM).
    // This fixture gives 0.80 (data seeds 4, 5, 6: 0.88, 0.88, 0.79; fitting on the balanced test set instead gave 0.39).
    expect(pairwiseAuroc(bias(['DF', 'DM']), bias(['LF', 'LM']))).toBeGreaterThanOrEqual(0.75);
  });

  it('defaults --fit to the recorded training file and says clearly when it is gone', async () => {
    const manifestPath = join(dir, 'model', MODEL_MANIFEST);
    const original = await readFile(manifestPath, 'utf8');
    try {
      const manifest = JSON.parse(original) as { settings: Record<string, unknown> };
      manifest.settings['data'] = join(dir, 'gone.h5');
      await writeFile(manifestPath, JSON.stringify(manifest));
      const gone = await run(['risk', '--model', 'model', '--data', 'data/test', '--wrapper', 'mve', '--out', 'x.json']);
      expect(gone.code).toBe(1);
      expect(gone.err).toMatch(/was trained on .*gone\.h5, which is no longer there; pass .*--fit/);
      delete manifest.settings['data'];
      await writeFile(manifestPath, JSON.stringify(manifest));
      const none = await run(['risk', '--model', 'model', '--data', 'data/test', '--wrapper', 'mve', '--out', 'x.json']);
      expect(none.code).toBe(1);
      expect(none.err).toMatch(/records no training file; .*--fit/);
      const missing = await run(['risk', '--model', 'model', '--fit', 'nope.h5', '--data', 'data/test', '--wrapper', 'mve', '--out', 'x.json']);
      expect(missing.err).toMatch(/--fit .*nope\.h5: no such file/);
    } finally {
      await writeFile(manifestPath, original);
    }
  });

  it('MC dropout trains a copy, says so, and still reports the frozen model\'s predictions', async () => {
    const before = await treeHash(join(dir, 'model'));
    const r = await run(['risk', '--model', 'model', '--data', 'data/test', '--wrapper', 'dropout', '--out', 'dropout.csv', '--epochs', '1']);
    expect(r.code).toBe(0);
    const [header, ...lines] = (await readFile(join(dir, 'dropout.csv'), 'utf8')).trim().split('\n');
    expect(header).toBe('index,file,group,label,prediction,epistemic,predictionSource,riskSource');
    expect(lines.length).toBe(96);
    expect(lines.every((l) => l.endsWith(',model,retrained-copy'))).toBe(true);
    const posthoc = await rowsOf('mve.json');
    expect(lines.map((l) => Number(l.split(',')[4]))).toEqual(posthoc.map((row) => row.prediction));
    expect(await treeHash(join(dir, 'model'))).toEqual(before);
  });
});

describe('scoreRiskChunk', () => {
  it('gives each image the same row whatever chunk it is scored in, and frees its tensors', async () => {
    const stored = await loadStoredModel(join(dir, 'model'));
    const faces = await loadImageFolder(join(dir, 'data/test'), { groups: true, size: [SIZE, SIZE] });
    const { readLabH5, swapRedBlueInPlace } = await import('@dbvae/core-data');
    const fit = await readLabH5(trainPath);
    swapRedBlueInPlace(fit.images);
    const fitted = await fitRisk(stored.classifier as tf.LayersModel, { images: fit.images.slice(0, 200 * SIZE * SIZE * 3), labels: fit.labels.slice(0, 200), height: SIZE, width: SIZE }, { wrapper: 'histogram-vae', epochs: 1, seed: 0 });
    try {
      const size = SIZE * SIZE * 3;
      const whole = scoreRiskChunk(fitted, { images: faces.images, height: SIZE, width: SIZE });
      const tail = await expectNoTensorLeaks(() => scoreRiskChunk(fitted, { images: faces.images.subarray(70 * size), height: SIZE, width: SIZE, offset: 70 }), 2);
      expect(tail.map((row) => row.index)).toEqual(whole.slice(70).map((row) => row.index));
      expect(tail.map((row) => [row.bias, row.epistemic])).toEqual(whole.slice(70).map((row) => [row.bias, row.epistemic]));
      expect(JSON.parse(JSON.stringify(tail))).toEqual(tail);
      // Saved and loaded (as a queue worker would), it scores exactly the same.
      await saveFittedRisk(fitted, join(dir, 'fitted'));
      const loaded = await loadFittedRisk(join(dir, 'fitted'));
      try {
        const again = scoreRiskChunk(loaded, { images: faces.images, height: SIZE, width: SIZE });
        expect(again.map((row) => [row.prediction, row.bias, row.epistemic])).toEqual(whole.map((row) => [row.prediction, row.bias, row.epistemic]));
        expect([loaded.kind, loaded.riskSource, loaded.predictionSource]).toEqual(['histogram-vae', 'frozen-model', 'model']);
      } finally {
        loaded.dispose();
      }
    } finally {
      fitted.dispose();
      stored.dispose();
    }
  });
});
