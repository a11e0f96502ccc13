import { describe, it, expect, beforeAll } from 'vitest';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createRandom, initBackend, tf } from '@dbvae/backend';
import { buildStandardClassifier } from '@dbvae/models';
import { expectNoTensorLeaks } from '@dbvae/test-utils';
import { runCli } from '../src/cli';
import { groupMetrics } from '../src/group-metrics';
import { loadStoredModel, predictPacked, saveStoredModel } from '../src/model-store';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('dbvae evaluate (untrained tiny model, no training)', () => {
  it('reports the metrics of the model\'s own predictions per sub-folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbvae-eval-'));
    const classifier = buildStandardClassifier({ nFilters: 2, denseUnits: 4, seed: 3 });
    try {
      // Two groups of random 64x64 images, written as lossless PNGs.
      const rnd = createRandom(5);
      const groups = { A: 3, B: 2 };
      const all: Uint8Array[] = [];
      const names: string[] = [];
      for (const [g, count] of Object.entries(groups)) {
        await mkdir(join(dir, 'faces', g), { recursive: true });
        for (let i = 0; i < count; i++) {
          const px = new Uint8Array(64 * 64 * 3).map(() => rnd.int(256));
          all.push(px);
          names.push(g);
          await sharp(Buffer.from(px), { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(join(dir, 'faces', g, `${i}.png`));
        }
      }
      await saveStoredModel(join(dir, 'model'), { kind: 'standard', classifier }, { note: 'untrained' });
      // Independent truth: the in-memory model on the same pixels.
      const expected = tf.tidy(() => {
        const x = tf.tensor4d(Float32Array.from(all.flatMap((a) => Array.from(a))), [all.length, 64, 64, 3]).div(255);
        return Array.from(tf.sigmoid(classifier.predict(x) as tf.Tensor).dataSync());
      });
      const want = groupMetrics(expected, names);
      let out = '';
      const code = await runCli(['evaluate', '--model', 'model', '--faces', 'faces', '--json', 'm.json'], { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, cwd: dir });
      expect(code).toBe(0);
      const got = JSON.parse(await readFile(join(dir, 'm.json'), 'utf8'));
      expect(Object.keys(got.groups).sort()).toEqual(['A', 'B']);
      for (const g of ['A', 'B']) {
        expect(got.groups[g].n).toBe(want.groups[g]!.n);
        expect(got.groups[g].meanProb).toBeCloseTo(want.groups[g]!.meanProb, 5);
        expect(got.groups[g].accuracy).toBe(want.groups[g]!.accuracy);
      }
      expect(got.meanAccuracy).toBeCloseTo(want.meanAccuracy, 10);
      expect(out).toMatch(/^group/);

      // Loading and batched prediction free their tensors.
      const stored = await loadStoredModel(join(dir, 'model'));
      try {
        const packed = { images: Uint8Array.from(all.flatMap((a) => Array.from(a))), height: 64, width: 64 };
        const probs = await expectNoTensorLeaks(() => predictPacked(stored, packed, 2), 2);
        expect(Array.from(probs).map((p) => p.toFixed(5))).toEqual(expected.map((p) => p.toFixed(5)));
      } finally {
        stored.dispose();
      }
    } finally {
      classifier.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
