import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@dbvae/backend';
import { HistogramVAEWrapper, HistogramWrapper, auroc, mostAndLeastRepresented } from '@dbvae/risk-wrappers';
import { restoreFromArtifacts } from '../src/wrapper-registry';
import { labLikeCnn, noiseImages, toneFaces } from './cnn-fixtures';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('bias is a log-density, finite and ordered on a 512-wide CNN feature layer', () => {
  it('ranks the rare tone below the common one (post-hoc histogram on the skewed training set)', async () => {
    const train = toneFaces(300, 0.1, 1);
    const test = toneFaces(80, 0.5, 2);
    const model = labLikeCnn(1);
    const w = new HistogramWrapper(model, { queueSize: 300 });
    await w.fit(train.x, tf.zeros([300, 1]));
    const out = w.predict(test.x);
    // Post-hoc: the CNN (with batch norm) is untouched and predicts exactly as before.
    const direct = model.predict(test.x) as tf.Tensor;
    expect(Array.from(out.yHat.dataSync())).toEqual(Array.from(direct.dataSync()));
    direct.dispose();
    const bias = Array.from(out.perSample('bias'));
    // Old code: exp(log p) in float32 = 0 for every sample (log p is about -500 at 512 dimensions).
    expect(bias.every((b) => Number.isFinite(b))).toBe(true);
    expect(new Set(bias).size).toBeGreaterThan(40);
    // The rare (dark) faces are less represented: AUROC of -bias for "dark" well above chance.
    expect(auroc(bias.map((b) => -b), test.dark)).toBeGreaterThan(0.9);
    const { least } = mostAndLeastRepresented(bias, 10);
    expect(least.filter((i) => test.dark[i] === 1).length).toBeGreaterThanOrEqual(9);
    out.dispose();
    w.dispose();
    tf.dispose([train.x, test.x]);
  });

  // Without the support term, 2 of 64 noise images scored above the median real face (-6.5
  // and -6.9 against a median of -6.7): noise can encode near the latent mode.
  it('the VAE latent histogram never scores uniform noise as better represented than real images', async () => {
    const train = toneFaces(256, 0.1, 3);
    const test = toneFaces(64, 0.1, 4);
    const noise = noiseImages(64, 5);
    const constant = tf.fill([64, 16, 16, 3], 0.5) as tf.Tensor4D;
    const model = labLikeCnn(2);
    const w = new HistogramVAEWrapper(model, { latentDim: 8, decoder: 'auto', queueSize: 256, seed: 1 });
    w.compile({ optimizer: tf.train.adam(0.005), loss: 'binaryCrossentropy' });
    await w.fit(train.x, tf.ones([256, 1]), { epochs: 3, batchSize: 32 });
    const biasOf = (x: tf.Tensor): number[] => {
      const out = w.predict(x);
      const b = Array.from(out.perSample('bias'));
      out.dispose();
      return b;
    };
    const real = biasOf(test.x);
    const fake = [...biasOf(noise), ...biasOf(constant)];
    // Every noise/constant image below the median real image, and the pairwise ranking near perfect.
    const sorted = [...real].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] as number;
    expect(Math.max(...fake)).toBeLessThan(median);
    expect(auroc([...real, ...fake], [...real.map(() => 1), ...fake.map(() => 0)])).toBeGreaterThan(0.95);
    w.dispose();
    tf.dispose([train.x, test.x, noise, constant]);
  });
});

describe('the density a saved wrapper scores with', () => {
  it('is recorded on save; a wrapper saved before densities existed loads with histograms and scores as before', async () => {
    const train = toneFaces(120, 0.1, 7);
    const model = labLikeCnn(3);
    const gaussian = new HistogramWrapper(model, { queueSize: 120 });
    const histogram = new HistogramWrapper(model, { queueSize: 120, density: 'histogram' });
    for (const w of [gaussian, histogram]) await w.fit(train.x, tf.zeros([120, 1]));
    expect(gaussian.options.histogram?.density).toBe('gaussian');
    const artifacts = histogram.toArtifacts();
    expect((artifacts.config['options'] as { histogram: { density: string } }).histogram.density).toBe('histogram');
    // An old save: no density in its options.
    delete (artifacts.config['options'] as { histogram: { density?: string } }).histogram.density;
    const old = restoreFromArtifacts(artifacts) as HistogramWrapper;
    const biasOf = (w: HistogramWrapper): number[] => {
      const out = w.predict(train.x);
      const b = Array.from(out.perSample('bias'));
      out.dispose();
      return b;
    };
    expect(biasOf(old)).toEqual(biasOf(histogram));
    expect(biasOf(old)).not.toEqual(biasOf(gaussian));
    for (const w of [gaussian, histogram, old]) w.dispose();
    train.x.dispose();
  });
});
