import { describe, it, expect, beforeAll } from 'vitest';
import { createRandom, initBackend, InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { covarianceBootstrap, covarianceMatrix, type LatentWalkResult } from '../src/index';

/**
 * A walk of `n` latents, `steps` per direction, 4 attributes: the target's change is
 * `offset * u_i`; attribute 1 follows it with slope 0.8 (a solid covariate), attribute 2 with a
 * per-latent slope of mean 0 (comes and goes with the latents), attribute 3 is small noise.
 */
function syntheticWalk(n: number, steps: number, seed: number): LatentWalkResult {
  const k = 4;
  const rng = createRandom(seed);
  const u = Array.from({ length: n }, () => 0.5 + rng.next());
  const slope2 = Array.from({ length: n }, () => rng.normal());
  const changes = new Float32Array(2 * steps * n * k);
  const offsets = new Int32Array(2 * steps);
  for (let b = 0; b < 2 * steps; b++) {
    const off = b < steps ? b + 1 : -(b - steps + 1);
    offsets[b] = off;
    for (let i = 0; i < n; i++) {
      const x = off * u[i]!;
      const o = (b * n + i) * k;
      changes[o] = x;
      changes[o + 1] = 0.8 * x + 0.3 * rng.normal();
      changes[o + 2] = slope2[i]! * x;
      changes[o + 3] = 0.05 * rng.normal();
    }
  }
  return { attributeNames: ['t', 'solid', 'wandering', 'noise'], targetIndex: 0, samples: n, steps, attributes: k, startLogits: new Float32Array(n * k), changes, offsets };
}

/** Covariance of the target column with every column over the rows of the given latents (with repeats), by covarianceMatrix. */
function directCovariance(walk: LatentWalkResult, latents: number[]): number[] {
  const { steps, samples: n, attributes: k } = walk;
  const rows: number[] = [];
  for (let b = 0; b < 2 * steps; b++) for (const i of latents) for (let j = 0; j < k; j++) rows.push(walk.changes[(b * n + i) * k + j]!);
  const c = covarianceMatrix({ data: Float64Array.from(rows), rows: rows.length / k, cols: k });
  return Array.from({ length: k }, (_, j) => c.data[walk.targetIndex * k + j]!);
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('covarianceBootstrap', () => {
  const walk = syntheticWalk(40, 5, 1);

  it('the estimate is the covariance over all rows, and a resample is the covariance over the resampled trajectories', () => {
    const boot = covarianceBootstrap(walk, { resamples: 1, seed: 7 });
    const all = directCovariance(walk, Array.from({ length: 40 }, (_, i) => i));
    // the single resample: the same draws as the function makes
    const rng = createRandom(7);
    const drawn = Array.from({ length: 40 }, () => rng.int(40));
    const resampled = directCovariance(walk, drawn);
    for (const a of boot.ranking) {
      expect(a.covariance.estimate).toBeCloseTo(all[a.index]!, 9);
      expect(a.covariance.median).toBeCloseTo(resampled[a.index]!, 9);
    }
  });

  it('separates a solid covariate from one that comes and goes with the latents', () => {
    const boot = covarianceBootstrap(walk, { resamples: 400, seed: 1, topK: 1 });
    const by = Object.fromEntries(boot.ranking.map((a) => [a.name, a]));
    expect(boot.ranking.map((a) => a.name)).not.toContain('t');
    expect(by.solid!.signSettled).toBe(true);
    expect(by.solid!.covariance.low).toBeGreaterThan(0);
    expect(by.solid!.correlation.low).toBeGreaterThan(0.8);
    expect(by.solid!.rank.high).toBe(1);
    expect(by.solid!.topKFrequency).toBeGreaterThan(0.95);
    // the wandering attribute's mean slope is ~0: its interval covers 0 and is wide
    expect(by.wandering!.covariance.low).toBeLessThan(0);
    expect(by.wandering!.covariance.high).toBeGreaterThan(0);
    expect(by.wandering!.signSettled).toBe(false);
    expect(by.noise!.rank.estimate).toBe(3);
    // intervals contain their medians
    for (const a of boot.ranking) {
      expect(a.covariance.low).toBeLessThanOrEqual(a.covariance.median);
      expect(a.covariance.median).toBeLessThanOrEqual(a.covariance.high);
    }
  });

  it('is seeded and validates its inputs', () => {
    const a = covarianceBootstrap(walk, { resamples: 50, seed: 3 });
    const b = covarianceBootstrap(walk, { resamples: 50, seed: 3 });
    expect(a).toEqual(b);
    expect(() => covarianceBootstrap(walk, { resamples: 0 })).toThrow(InvalidArgumentError);
    expect(() => covarianceBootstrap(walk, { interval: [90, 10] })).toThrow(InvalidArgumentError);
    expect(() => covarianceBootstrap({ ...walk, steps: 2 })).toThrow(ShapeError);
  });
});
