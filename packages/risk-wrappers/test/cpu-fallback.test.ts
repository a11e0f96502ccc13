/**
 * A wrapper's fit checks the backend before training (see @dbvae/backend's checkTrainingBackend).
 * Joint mode trains the model; a post-hoc histogram only fills its queue, trains nothing and is not checked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CpuFallbackError, setCpuFallbackPolicy, tf } from '@dbvae/backend';
import { wrap } from '@dbvae/risk-wrappers';

describe('wrapper.fit on an unrequested cpu backend', () => {
  afterEach(() => setCpuFallbackPolicy(undefined));

  it('throws CpuFallbackError under the error policy and trains under allow', async () => {
    await tf.setBackend('cpu');
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 4, activation: 'relu' }), tf.layers.dense({ units: 1 })] });
    const wrapped = wrap(model, { bias: true, mode: 'joint' });
    wrapped.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const x = tf.randomNormal([8, 2], 0, 1, 'float32', 1);
    const y = tf.ones([8, 1]);
    setCpuFallbackPolicy('error');
    await expect(wrapped.fit(x, y, { epochs: 1, batchSize: 4 })).rejects.toBeInstanceOf(CpuFallbackError);
    setCpuFallbackPolicy('allow');
    const history = await wrapped.fit(x, y, { epochs: 1, batchSize: 4 });
    expect(history).toBeDefined();
    tf.dispose([x, y]);
    wrapped.dispose();
  });
});
