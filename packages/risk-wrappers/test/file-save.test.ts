/** wrapper.save('file://...') and loadRiskWrapper('file://...') in plain Node, without tfjs-node. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tf } from '@dbvae/backend';
import { loadRiskWrapper, wrap } from '@dbvae/risk-wrappers';

describe('file:// wrapper save and load without tfjs-node', () => {
  it('round-trips a histogram + MVE wrapper: same prediction, bias and aleatoric risk', async () => {
    await tf.setBackend('cpu');
    const dir = await mkdtemp(join(tmpdir(), 'dbvae-wrapper-file-'));
    try {
      const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 8, activation: 'relu' }), tf.layers.dense({ units: 1 })] });
      const wrapped = wrap(model, { bias: true, aleatoric: true });
      wrapped.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
      const x = tf.randomNormal([32, 2], 0, 1, 'float32', 3);
      const y = tf.cast(tf.greater(x.slice([0, 0], [32, 1]), 0), 'float32');
      await wrapped.fit(x, y, { epochs: 1, batchSize: 16 });
      expect(tf.io.getSaveHandlers(`file://${dir}/w`)).toHaveLength(0); // no tfjs-node here
      await wrapped.save(`file://${dir}/w`);
      expect((await readdir(join(dir, 'w'))).sort()).toEqual(['model.json', 'weights.bin']);
      const loaded = await loadRiskWrapper(`file://${dir}/w`);
      const a = wrapped.predict(x);
      const b = loaded.predict(x);
      expect(Array.from(await b.yHat.data())).toEqual(Array.from(await a.yHat.data()));
      expect(Array.from(await b.bias!.data())).toEqual(Array.from(await a.bias!.data()));
      expect(Array.from(await b.aleatoric!.data())).toEqual(Array.from(await a.aleatoric!.data()));
      a.dispose();
      b.dispose();
      tf.dispose([x, y]);
      wrapped.dispose();
      loaded.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
