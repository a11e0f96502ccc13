import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, InvalidArgumentError, tf } from '@dbvae/backend';
import { DBVAE, detectPosteriorCollapse, trainDBVAE, type TrainingWarning } from '@dbvae/models';
import { ToyData } from './toy-data';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const tiny = { latentDim: 4, nFilters: 4, inputShape: [16, 16, 3] as [number, number, number], denseUnits: 32, seed: 1, outputActivation: 'sigmoid' as const };

/** Forces collapse: the latent heads ignore the input (zero weights), so every face gets one code. */
function collapse(model: DBVAE): void {
  const head = model.encoder.getLayer('dbvae_encoder_logits');
  const [kernel, bias] = head.getWeights();
  const k = model.latentDim;
  const mask = tf.concat([tf.ones([1]), tf.zeros([2 * k])]);
  head.setWeights([tf.mul(kernel!, mask), tf.mul(bias!, mask)]);
}

describe('posterior collapse detection', () => {
  const data = new ToyData(64, 64, 16, 1);

  it('fires on a deliberately collapsed model', () => {
    const model = new DBVAE(tiny);
    collapse(model);
    const { x, y } = data.getBatch(32, { onlyFaces: true });
    const report = detectPosteriorCollapse(model, x);
    expect(report.activeUnits).toBe(0);
    expect(report.maxLatentVariance).toBe(0);
    expect(report.latentCollapsed).toBe(true);
    expect(report.reconstructionVariance).toBeLessThan(1e-10);
    expect(report.reconstructionCollapsed).toBe(true);
    expect(report.collapsed).toBe(true);
    expect(report.message).toMatch(/Posterior collapse/);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('does not fire on a healthy trained VAE (sum reduction)', async () => {
    const model = new DBVAE(tiny);
    // Every VAE starts out decoding one mean image (the first checks do flag it); warm-up
    // epochs cover that, after which a healthy model must not be flagged.
    const history = await trainDBVAE(model, data, {
      epochs: 5,
      batchSize: 16,
      stepsPerEpoch: 30,
      learningRate: 2e-3,
      // KL weight 0.1 (not 1): at 1 this tiny VAE sits at the detector's 5% threshold and the verdict
      // flips with float rounding; at 0.1 the healthy model ends far above it (ratio about 0.35).
      klWeight: 0.1,
      reconstruction: { reduction: 'sum' },
      progressBar: false,
      seed: 1,
      collapse: { warmupEpochs: 3 },
    });
    expect(history.epochs[0]!.collapse!.collapsed).toBe(true);
    const last = history.epochs[4]!.collapse!;
    expect(last.collapsed).toBe(false);
    expect(last.activeUnits).toBeGreaterThan(0);
    expect(last.reconstructionRatio).toBeGreaterThan(0.05);
    expect(history.warnings).toHaveLength(0);
    history.optimizer.dispose();
    model.dispose();
  });

  it('surfaces a collapse as a warning in callbacks and history, and can stop training', async () => {
    const model = new DBVAE(tiny);
    collapse(model);
    // Freeze the collapsed heads by giving the encoder's head no learning: lr 0 keeps the model collapsed.
    const warnings: TrainingWarning[] = [];
    const history = await trainDBVAE(model, data, {
      epochs: 3,
      batchSize: 8,
      stepsPerEpoch: 2,
      learningRate: 0,
      progressBar: false,
      collapse: { warmupEpochs: 0, stopOnCollapse: true, checkSize: 16 },
      onWarning: (w) => warnings.push(w),
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.type).toBe('posterior-collapse');
    expect(history.warnings).toEqual(warnings);
    expect(history.stoppedEarly).toBe('posterior-collapse');
    expect(history.epochs).toHaveLength(1);
    // Without stopOnCollapse, training goes on and warns each epoch; warm-up epochs never warn.
    const goOn = await trainDBVAE(model, data, { epochs: 3, batchSize: 8, stepsPerEpoch: 1, learningRate: 0, progressBar: false, collapse: { checkSize: 16 } });
    expect(goOn.stoppedEarly).toBeUndefined();
    expect(goOn.warnings.map((w) => w.epoch)).toEqual([1, 2]);
    history.optimizer.dispose();
    goOn.optimizer.dispose();
    model.dispose();
  });

  it('rejects a batch of fewer than two faces', () => {
    const model = new DBVAE(tiny);
    expect(() => detectPosteriorCollapse(model, tf.zeros([1, 16, 16, 3]) as tf.Tensor4D)).toThrow(InvalidArgumentError);
    model.dispose();
  });
});
