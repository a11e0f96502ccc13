import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError, initBackend, tf } from '@dbvae/backend';
import { RiskTensor } from '@dbvae/risk-wrappers';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('RiskTensor', () => {
  it('slices, gathers, sorts, concatenates and takes percentiles', () => {
    const before = tf.memory().numTensors;
    const r = new RiskTensor({ yHat: tf.tensor2d([[1], [2], [3], [4]]), bias: tf.tensor2d([[0.4], [0.1], [0.3], [0.2]]) });
    expect(r.size).toBe(4);
    expect(r.risks).toEqual(['bias']);
    expect(r.argsort('bias')).toEqual([1, 3, 2, 0]);
    const sorted = r.sortBy('bias', 'descending');
    expect(Array.from(sorted.yHat.dataSync())).toEqual([1, 3, 4, 2]);
    const a = r.slice(0, 2);
    const b = r.slice(2);
    const c = RiskTensor.concat([a, b]);
    expect(Array.from(c.bias?.dataSync() ?? [])).toEqual(Array.from(r.bias?.dataSync() ?? []));
    // numpy: np.percentile([0.1, 0.2, 0.3, 0.4], 50) = 0.25; 90 -> 0.37.
    expect(r.percentile('bias', 50)).toBeCloseTo(0.25, 6);
    expect(r.percentile('bias', 90)).toBeCloseTo(0.37, 6);
    expect(() => r.percentile('epistemic', 50)).toThrow(InvalidArgumentError);
    for (const t of [r, sorted, a, b, c]) t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
  it('rejects risks shaped unlike yHat and concat of different risks', () => {
    const y = tf.zeros([3, 2]);
    const bad = tf.zeros([3, 1]);
    expect(() => new RiskTensor({ yHat: y, aleatoric: bad })).toThrow(ShapeError);
    const r1 = new RiskTensor({ yHat: y });
    const r2 = new RiskTensor({ yHat: y, epistemic: y });
    expect(() => RiskTensor.concat([r1, r2])).toThrow(InvalidArgumentError);
    tf.dispose([y, bad]);
  });
});
