/** trainClassifier and trainDBVAE check the backend before training (see @dbvae/backend's checkTrainingBackend). */
import { afterEach, describe, expect, it } from 'vitest';
import { CpuFallbackError, setCpuFallbackPolicy, tf } from '@dbvae/backend';
import { DBVAE, buildStandardClassifier, trainClassifier, trainDBVAE } from '@dbvae/models';
import { ToyData } from './toy-data';

describe('training on an unrequested cpu backend', () => {
  afterEach(() => setCpuFallbackPolicy(undefined));

  it('trainClassifier and trainDBVAE throw CpuFallbackError under the error policy, before any step', async () => {
    await tf.setBackend('cpu');
    setCpuFallbackPolicy('error');
    const data = new ToyData(8, 8, 16);
    const before = tf.memory().numTensors;
    const model = buildStandardClassifier({ inputShape: [16, 16, 3], nFilters: 2, denseUnits: 8 });
    await expect(trainClassifier(model, data, { epochs: 1, batchSize: 4 })).rejects.toBeInstanceOf(CpuFallbackError);
    model.dispose();
    const vae = new DBVAE({ latentDim: 2, inputShape: [16, 16, 3], nFilters: 2, denseUnits: 8 });
    await expect(trainDBVAE(vae, data, { epochs: 1, batchSize: 4 })).rejects.toBeInstanceOf(CpuFallbackError);
    vae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
