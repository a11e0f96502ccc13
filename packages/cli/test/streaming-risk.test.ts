import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { initBackend, tf } from '@dbvae/backend';
import { openImageSource, readLabH5, uint8ToFloatBatch } from '@dbvae/core-data';
import { loadRiskWrapper } from '@dbvae/risk-wrappers';
import { fileSystemIOHandler } from '@dbvae/models';
import { InputError } from '../src/errors';
import { formatRiskScores, type RiskScoreRow } from '../src/risk-output';
import type { ChunkScorer } from '../src/scoring/chunk-scorer';
import { ResumableRiskOutput, resumablePaths } from '../src/scoring/resumable-output';
import { loadRiskModel, riskModelId } from '../src/scoring/risk-model-store';
import { scoreInOrder } from '../src/scoring/score-in-order';
import { scoreToFile, scoringIdentity } from '../src/scoring/score-to-file';
import { fixtureLabFile, fixtureRiskModel, SIDE, smallCnn } from './scoring-fixtures';

const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };
let dir: string;
let data: string;
let deterministic: string;
let stochastic: string;
const N = 50;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  dir = mkdtempSync(join(tmpdir(), 'cli-streaming-'));
  data = await fixtureLabFile(dir, 'data.h5', N);
  deterministic = await fixtureRiskModel(dir, 'det', { bias: true, aleatoric: true }, 'histogram+mve');
  stochastic = await fixtureRiskModel(dir, 'sto', { bias: true, epistemic: 'dropout', dropout: { passes: 3 } }, 'dropout');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('streaming risk scoring', () => {
  it('writes exactly the in-memory scores of the whole file (one predict over all images), chunk after chunk', async () => {
    const out = join(dir, 'det.csv');
    const result = await scoreToFile({ data, riskModelDir: deterministic, out, chunkSize: 7, workers: 1, seed: 5 }, quiet);
    expect(result).toMatchObject({ rows: N, failed: 0, resumedChunks: 0 });
    // Independent reference: the whole file in memory, one predict call of the wrapper, the
    // model rebuilt from its seed for the predictions (post-hoc: never trained), rows built here.
    const whole = await readLabH5(data);
    const x = uint8ToFloatBatch(whole.images, { height: SIDE, width: SIDE, channelOrder: 'bgr' });
    const wrapper = await loadRiskWrapper(fileSystemIOHandler(join(deterministic, 'wrapper')));
    const model = smallCnn();
    const risk = wrapper.predict(x);
    const probs = tf.tidy(() => tf.sigmoid(model.predict(x) as tf.Tensor).dataSync());
    const bias = risk.bias!.dataSync();
    const aleatoric = risk.aleatoric!.dataSync();
    const rows: RiskScoreRow[] = Array.from({ length: N }, (_, i) => ({ index: i, label: whole.labels[i], prediction: probs[i], bias: bias[i], aleatoric: aleatoric[i], predictionSource: 'model', riskSource: 'frozen-model' }));
    tf.dispose([x]);
    risk.dispose();
    wrapper.dispose();
    model.dispose();
    expect(readFileSync(out, 'utf8')).toBe(formatRiskScores(rows, 'csv'));
    expect(existsSync(resumablePaths(out).partial)).toBe(false);
    expect(existsSync(resumablePaths(out).progress)).toBe(false);
  });

  it('gives the same rows, stochastic risks included, on the main thread and on 2 worker threads (JSON output)', async () => {
    const one = join(dir, 'sto-1.json');
    const two = join(dir, 'sto-2.json');
    await scoreToFile({ data, riskModelDir: stochastic, out: one, chunkSize: 8, workers: 1, seed: 11 }, quiet);
    await scoreToFile({ data, riskModelDir: stochastic, out: two, chunkSize: 8, workers: 2, seed: 11 }, quiet);
    const a = JSON.parse(readFileSync(one, 'utf8')) as { columns: string[]; rows: RiskScoreRow[] };
    expect(a.columns).toEqual(['index', 'label', 'prediction', 'bias', 'epistemic', 'predictionSource', 'riskSource']);
    expect(a.rows.map((r) => r.index)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(readFileSync(two, 'utf8')).toBe(readFileSync(one, 'utf8'));
    // The draws are random: chunks starting at other offsets draw other dropout masks.
    const other = join(dir, 'sto-other.json');
    await scoreToFile({ data, riskModelDir: stochastic, out: other, chunkSize: 10, workers: 1, seed: 11 }, quiet);
    const b = JSON.parse(readFileSync(other, 'utf8')) as { rows: RiskScoreRow[] };
    expect(b.rows.some((r, i) => r.epistemic !== a.rows[i]!.epistemic)).toBe(true);
  });

  it('delivers chunks in input order when later chunks finish first', async () => {
    const source = await openImageSource(data);
    const delays = [40, 5, 25, 0, 10, 0, 30];
    const seen: number[] = [];
    const scorer: ChunkScorer = async (_images, n, _h, _w, { offset }) => {
      const k = offset / 8;
      await new Promise((r) => setTimeout(r, delays[k]));
      return Array.from({ length: n }, () => ({ prediction: k / 10 }));
    };
    const delivered = await scoreInOrder({ source, scorer, chunkSize: 8, parallel: 4, onChunk: async (rows, k) => void seen.push(k, rows[0]!.index) });
    await source.close();
    expect(delivered).toBe(7);
    expect(seen).toEqual([0, 0, 1, 8, 2, 16, 3, 24, 4, 32, 5, 40, 6, 48]);
  });

  it('resumes an interrupted run after its last complete chunk and ends byte for byte as an uninterrupted one', async () => {
    const full = join(dir, 'full.csv');
    await scoreToFile({ data, riskModelDir: stochastic, out: full, chunkSize: 6, workers: 1, seed: 2 }, quiet);
    const out = join(dir, 'resumed.csv');
    // The first run dies while scoring chunk 4.
    const model = await loadRiskModel(stochastic);
    const source = await openImageSource(data);
    const output = await ResumableRiskOutput.open(out, await scoringIdentity(data, N, await riskModelId(stochastic), 2, 6));
    let calls = 0;
    const dying: ChunkScorer = async (...args) => {
      if (calls++ === 4) throw new Error('killed');
      return model.scorer(...args);
    };
    await expect(scoreInOrder({ source, scorer: dying, chunkSize: 6, onChunk: (rows) => output.append(rows) })).rejects.toThrow('killed');
    await output.close();
    await source.close();
    model.dispose();
    expect(existsSync(out)).toBe(false);
    // Half a chunk reached the partial file before the progress file was updated.
    appendFileSync(resumablePaths(out).partial, '{"index":24,"prediction":0.5}\n{"ind');
    const lines: string[] = [];
    const result = await scoreToFile({ data, riskModelDir: stochastic, out, chunkSize: 6, workers: 1, seed: 2 }, { ...quiet, stderr: { write: (t: string) => lines.push(t) } });
    expect(result.resumedChunks).toBe(4);
    expect(lines.join('')).toMatch(/Resuming .*4 of 9 chunks \(24 rows\)/);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(full, 'utf8'));
  });

  it('refuses to resume over the files of a run with other settings, naming them', async () => {
    const out = join(dir, 'clash.csv');
    const o = await ResumableRiskOutput.open(out, await scoringIdentity(data, N, await riskModelId(stochastic), 1, 6));
    await o.close();
    const err = await scoreToFile({ data, riskModelDir: stochastic, out, chunkSize: 6, workers: 1, seed: 2 }, quiet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(resumablePaths(out).progress);
    expect((err as Error).message).toMatch(/delete both files to start over/);
  });

  it('reports images of a list that cannot be read as failed rows with the reason and scores the rest', async () => {
    const imgs = join(dir, 'imgs');
    mkdirSync(imgs);
    for (const [i, v] of [10, 120, 240].entries()) await sharp(Buffer.alloc(SIDE * SIDE * 3, v), { raw: { width: SIDE, height: SIDE, channels: 3 } }).png().toFile(join(imgs, `${i}.png`));
    writeFileSync(join(imgs, 'bad.png'), 'garbage');
    const list = join(dir, 'list.txt');
    writeFileSync(list, 'imgs/0.png\nimgs/bad.png\nimgs/1.png\nimgs/2.png\n');
    const out = join(dir, 'list.json');
    const result = await scoreToFile({ data: list, riskModelDir: deterministic, out, chunkSize: 3, workers: 1, seed: 0 }, quiet);
    expect(result).toMatchObject({ rows: 4, failed: 1 });
    const { columns, rows } = JSON.parse(readFileSync(out, 'utf8')) as { columns: string[]; rows: RiskScoreRow[] };
    expect(columns).toEqual(['index', 'file', 'label', 'prediction', 'bias', 'aleatoric', 'predictionSource', 'riskSource', 'error']);
    expect(rows[1]).toMatchObject({ index: 1, file: 'imgs/bad.png', label: 1 });
    expect(rows[1]!.error).toMatch(/cannot decode imgs\/bad\.png/);
    expect(rows[1]!.prediction).toBeUndefined();
    for (const i of [0, 2, 3]) {
      expect(rows[i]!.error).toBeUndefined();
      expect(Number.isFinite(rows[i]!.prediction)).toBe(true);
    }
  });
});
