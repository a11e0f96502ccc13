/**
 * Runs the example end to end at a tiny size (16x16, 320 images, 1 epoch) and checks its
 * report: both models' rows, recalls in range, the printed mean and variance consistent with
 * the printed recalls, and one sampling-weight row per epoch whose group shares sum to 100%.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const exampleDir = fileURLToPath(new URL('..', import.meta.url));

describe('face-debiasing example', () => {
  it('prints a per-group table for both models and the weight statistics', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', '--n', '320', '--size', '16', '--epochs', '1', '--latent-dim', '8', '--test-per-group', '10', '--seed', '3'],
      { cwd: exampleDir, env: { ...process.env, DBVAE_BACKEND: 'wasm' } },
    );
    for (const model of ['CNN', 'DB-VAE']) {
      const line = stdout.split('\n').find((l) => new RegExp(`^${model}\\s+\\d`).test(l.trim()));
      expect(line, `row of ${model}`).toBeDefined();
      const [lf, lm, df, dm, mean, variance, nonFaces] = (line as string).trim().split(/\s+/).slice(1).map((v) => Number(v.replace('%', '')));
      const recalls = [lf, lm, df, dm] as number[];
      for (const r of [...recalls, nonFaces as number]) {
        expect(r).toBeGreaterThanOrEqual(0);
        expect(r).toBeLessThanOrEqual(100);
      }
      const m = recalls.reduce((a, b) => a + b, 0) / 4;
      expect(mean).toBeCloseTo(m, 0);
      const v = recalls.reduce((a, b) => a + (b / 100 - m / 100) ** 2, 0) / 4;
      expect(Math.abs((variance as number) - v)).toBeLessThan(2e-3);
    }
    const weightRows = stdout.split('\n').filter((l) => /^\s+1\s+\d/.test(l));
    expect(weightRows).toHaveLength(1);
    const shares = (weightRows[0] as string).match(/\d+\.\d%/g)!.map((s) => Number(s.replace('%', '')));
    expect(shares).toHaveLength(4);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
  });
});
