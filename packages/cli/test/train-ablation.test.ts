import { describe, it, expect } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli';

function sink() {
  let text = '';
  return { write: (s: string) => ((text += s), true), get text() { return text; } };
}

describe('dbvae train: ablation flags and draw shares', () => {
  it('records each group\'s share of the drawn faces per epoch from attributes.json; --no-debias draws at the groups\' frequencies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbvae-train-abl-'));
    try {
      const io = { stdout: sink(), stderr: sink(), cwd: dir };
      expect(await runCli(['synth', '--out', 'data', '--n', '64', '--test-per-group', '0', '--dark-skin', '0.3', '--seed', '2'], io)).toBe(0);
      const attrs = JSON.parse(await readFile(join(dir, 'data', 'attributes.json'), 'utf8')).attributes as { label: number; group: string | null }[];
      const faces = attrs.filter((a) => a.label === 1);
      const freq = (g: string) => faces.filter((a) => a.group === g).length / faces.length;
      const common = ['--data', 'data/train.h5', '--model', 'dbvae', '--epochs', '2', '--batch-size', '16', '--latent-dim', '4'];
      expect(await runCli(['train', ...common, '--out', 'product', '--combine', 'product', '--temperature', '4', '--uniform-mix', '0.2'], io)).toBe(0);
      const product = JSON.parse(await readFile(join(dir, 'product', 'metrics.json'), 'utf8'));
      expect(product.settings).toMatchObject({ combine: 'product', temperature: 4, uniformMix: 0.2, debias: true });
      for (const e of product.epochs) {
        const total = Object.values(e.groupShare as Record<string, number>).reduce((a, b) => a + b, 0);
        expect(total).toBeCloseTo(1, 12);
        // The uniform mix keeps every group at least 0.2 of its frequency.
        for (const [g, share] of Object.entries(e.groupShare as Record<string, number>)) expect(share).toBeGreaterThanOrEqual(0.2 * freq(g) - 1e-12);
        expect(e.effectiveSampleSize).toBeGreaterThan(0);
      }
      expect(io.stderr.text).toMatch(/epoch 2 drawn faces: DF [\d.]+%/);
      expect(await runCli(['train', ...common, '--out', 'vae', '--no-debias'], io)).toBe(0);
      const vae = JSON.parse(await readFile(join(dir, 'vae', 'metrics.json'), 'utf8'));
      expect(vae.settings.debias).toBe(false);
      for (const [g, share] of Object.entries(vae.epochs[0].groupShare as Record<string, number>)) expect(share).toBeCloseTo(freq(g), 12);
      expect(vae.epochs[0].effectiveSampleSize).toBe(faces.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('--steps-per-epoch N trains N steps an epoch, refreshes the draws every epoch, and records N in the settings a resume reuses', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbvae-train-spe-'));
    try {
      const io = { stdout: sink(), stderr: sink(), cwd: dir };
      expect(await runCli(['synth', '--out', 'data', '--n', '64', '--test-per-group', '0', '--dark-skin', '0.3', '--seed', '2'], io)).toBe(0);
      // a full pass would be 64 / 16 = 4 steps an epoch
      expect(await runCli(['train', '--data', 'data/train.h5', '--model', 'dbvae', '--epochs', '3', '--steps-per-epoch', '2', '--batch-size', '16', '--latent-dim', '4', '--out', 'm'], io)).toBe(0);
      const metrics = JSON.parse(await readFile(join(dir, 'm', 'metrics.json'), 'utf8'));
      expect(metrics.settings.stepsPerEpoch).toBe(2);
      expect(metrics.steps.length).toBe(6);
      expect(metrics.epochs.length).toBe(3);
      expect(metrics.epochs.every((e: { groupShare?: unknown }) => e.groupShare !== undefined)).toBe(true);
      expect(io.stderr.text).toMatch(/3 epochs x 2 steps/);
      // still refused when the data holds fewer images than one batch, whatever the steps per epoch
      expect(await runCli(['train', '--data', 'data/train.h5', '--model', 'dbvae', '--steps-per-epoch', '2', '--batch-size', '128', '--out', 'small'], io)).toBe(1);
      expect(io.stderr.text).toMatch(/64 images is fewer than one batch of 128/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('--average-last N keeps the setting (and a resume would reuse it); a window longer than an epoch is refused with what to fix', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbvae-train-avg-'));
    try {
      const io = { stdout: sink(), stderr: sink(), cwd: dir };
      expect(await runCli(['synth', '--out', 'data', '--n', '64', '--test-per-group', '0', '--seed', '3'], io)).toBe(0);
      const common = ['--data', 'data/train.h5', '--model', 'dbvae', '--epochs', '2', '--batch-size', '16', '--latent-dim', '4'];
      expect(await runCli(['train', ...common, '--out', 'averaged', '--average-last', '2'], io)).toBe(0);
      const metrics = JSON.parse(await readFile(join(dir, 'averaged', 'metrics.json'), 'utf8'));
      expect(metrics.settings.averageLastSteps).toBe(2);
      // 64 images / 16 per step = 4 steps per epoch
      expect(await runCli(['train', ...common, '--out', 'too-long', '--average-last', '5'], io)).toBe(1);
      expect(io.stderr.text).toMatch(/averageLastSteps must be an integer in \[0, 4\]/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
