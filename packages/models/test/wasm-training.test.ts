import { describe, expect, it } from 'vitest';
import { expectNoTensorLeaks, fixtureValues, onBackend } from '@dbvae/test-utils';
import { initBackend, tf } from '@dbvae/backend';
import { buildStandardClassifier, classifierTrainStep } from '@dbvae/models';

// The foundation's promise: the lab CNN trains on wasm, and its loss trajectory is the cpu
// backend's (same seed, same batches) within float32 tolerance.
describe('lab CNN training on wasm', () => {
  // Small batches and few steps: the cpu reference runs the full-size lab CNN at a few images/s.
  const batch = 4;
  const xs = fixtureValues(batch * 64 * 64 * 3, 5).map((v) => (v + 1) / 2);
  const ys = Float32Array.from({ length: batch }, (_, i) => i % 2);

  async function trajectory(backend: string, steps: number): Promise<number[]> {
    return onBackend(backend, async () => {
      const model = buildStandardClassifier({ seed: 3 });
      const optimizer = tf.train.adam(5e-4);
      const x = tf.tensor4d(xs, [batch, 64, 64, 3]);
      const y = tf.tensor2d(ys, [batch, 1]);
      const losses: number[] = [];
      for (let s = 0; s < steps; s++) losses.push(classifierTrainStep(model, optimizer, x, y));
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
      return losses;
    });
  }

  it('gives the cpu loss trajectory', async () => {
    await initBackend({ backend: 'wasm', force: true });
    const cpu = await trajectory('cpu', 3);
    const wasm = await trajectory('wasm', 3);
    expect(wasm[2]).toBeLessThan(wasm[0] as number);
    wasm.forEach((l, i) => expect(Math.abs(l - (cpu[i] as number)) / Math.abs(cpu[i] as number)).toBeLessThan(1e-3));
  });

  it('leaks no tensors across training steps', async () => {
    await initBackend({ backend: 'wasm', force: true });
    const model = buildStandardClassifier({ seed: 1, nFilters: 4, denseUnits: 16 });
    const optimizer = tf.train.adam(1e-3);
    const x = tf.tensor4d(xs, [batch, 64, 64, 3]);
    const y = tf.tensor2d(ys, [batch, 1]);
    await expectNoTensorLeaks(() => classifierTrainStep(model, optimizer, x, y), 3);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  });
});
