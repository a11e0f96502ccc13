import { describe, it, expect, beforeAll } from 'vitest';
import { initBackend, InvalidArgumentError, tf } from '@dbvae/backend';
import { expectAllClose, expectNoTensorLeaks, fixtureValues } from '@dbvae/test-utils';
import { Resampler, samplingWeights, temperWeights, mixWithUniform, weightStats } from '@dbvae/resampling';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('Resampler', () => {
  it('recomputes weights each update and records their statistics', () => {
    const r = new Resampler({ combine: 'product', alpha: 0.01 });
    expect(r.weights).toBeUndefined();
    expect(r.stats).toBeUndefined();
    const z1 = fixtureValues(50 * 4, 1);
    const z2 = fixtureValues(50 * 4, 2);
    const p1 = r.update(z1, [50, 4]);
    expect(Array.from(p1)).toEqual(Array.from(samplingWeights(z1, { shape: [50, 4], combine: 'product', alpha: 0.01 })));
    const p2 = r.update(z2, [50, 4]);
    expect(Array.from(p2)).toEqual(Array.from(samplingWeights(z2, { shape: [50, 4], combine: 'product', alpha: 0.01 })));
    expect(r.epoch).toBe(2);
    expect(r.weights).toBe(p2);
    expect(r.history).toHaveLength(2);
    expect(r.stats).toEqual(weightStats(p2));
    expect(r.history[0]).toEqual(weightStats(p1));
  });

  it('infers n from latentDim, and applies temperature then uniform mixing', () => {
    const z = fixtureValues(40 * 5, 3);
    const r = new Resampler({ latentDim: 5, temperature: 2, uniformMix: 0.25 });
    const expected = mixWithUniform(temperWeights(samplingWeights(z, { shape: [40, 5] }), 2), 0.25);
    expectAllClose(r.update(z), expected, 1e-14);
    // Flattened weights debias less: higher normalised entropy than the raw rule.
    expect(r.stats!.normalizedEntropy).toBeGreaterThan(weightStats(samplingWeights(z, { shape: [40, 5] })).normalizedEntropy);
  });

  it('accepts a Tensor2D without leaking tensors', async () => {
    const t = tf.tensor2d(fixtureValues(32 * 3, 4), [32, 3]);
    const r = new Resampler();
    await expectNoTensorLeaks(() => r.update(t), 3);
    expect(r.epoch).toBe(4);
    t.dispose();
  });

  it('validates its options', () => {
    expect(() => new Resampler({ bins: 0 })).toThrow(InvalidArgumentError);
    expect(() => new Resampler({ alpha: -1 })).toThrow(InvalidArgumentError);
    expect(() => new Resampler({ combine: 'mean' as 'max' })).toThrow(InvalidArgumentError);
    expect(() => new Resampler({ temperature: 0 })).toThrow(InvalidArgumentError);
    expect(() => new Resampler({ uniformMix: 2 })).toThrow(InvalidArgumentError);
    expect(() => new Resampler({ latentDim: 0 })).toThrow(InvalidArgumentError);
    expect(() => new Resampler().update(new Float32Array(6))).toThrow(/shape/);
  });
});

