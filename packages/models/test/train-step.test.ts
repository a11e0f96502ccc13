import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, InvalidArgumentError, tf } from '@dbvae/backend';
import { expectAllClose, expectNoTensorLeaks } from '@dbvae/test-utils';
import { DBVAE, dbvaeLoss, dbvaeTrainStep } from '@dbvae/models';
import { ToyData } from './toy-data';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const tiny = { latentDim: 4, nFilters: 2, inputShape: [16, 16, 3] as [number, number, number], denseUnits: 16, seed: 5 };
const snapshot = (vars: tf.Variable[]): Float32Array[] => vars.map((v) => Float32Array.from(v.dataSync()));
const changed = (a: Float32Array[], b: Float32Array[]): boolean => a.some((w, i) => w.some((v, j) => v !== b[i]![j]));

describe('dbvaeTrainStep', () => {
  const data = new ToyData(24, 24);
  const faceRows = data.faceRows.slice(0, 8);
  const nonRows = data.nonFaceRows.slice(0, 8);

  it('a non-face batch leaves the decoder untouched and trains the encoder, even after face steps', () => {
    const model = new DBVAE(tiny);
    const optimizer = tf.train.adam(1e-2);
    const nonFaces = data.rows(nonRows);
    const mixed = data.rows([...faceRows.slice(0, 4), ...nonRows.slice(0, 4)]);
    // Fresh optimizer.
    let dec = snapshot(model.decoderVariables);
    let enc = snapshot(model.encoder.trainableWeights.map((w) => w.read() as tf.Variable));
    const first = dbvaeTrainStep(model, optimizer, nonFaces.x, nonFaces.y);
    expect(first.faces).toBe(0);
    expect(changed(dec, snapshot(model.decoderVariables))).toBe(false);
    expect(changed(enc, snapshot(model.encoder.trainableWeights.map((w) => w.read() as tf.Variable)))).toBe(true);
    // A mixed batch moves the decoder; Adam now holds non-zero decoder moments.
    dbvaeTrainStep(model, optimizer, mixed.x, mixed.y);
    expect(changed(dec, snapshot(model.decoderVariables))).toBe(true);
    // Another non-face batch: momentum must not move the decoder either.
    dec = snapshot(model.decoderVariables);
    enc = snapshot(model.encoder.trainableWeights.map((w) => w.read() as tf.Variable));
    dbvaeTrainStep(model, optimizer, nonFaces.x, nonFaces.y);
    expect(changed(dec, snapshot(model.decoderVariables))).toBe(false);
    expect(changed(enc, snapshot(model.encoder.trainableWeights.map((w) => w.read() as tf.Variable)))).toBe(true);
    tf.dispose([nonFaces.x, nonFaces.y, mixed.x, mixed.y]);
    optimizer.dispose();
    model.dispose();
  });

  it('the gradient of a decoder bias matches a float32 finite difference', () => {
    // With fixed noise and L2 reconstruction the loss is quadratic in the last decoder bias,
    // so a central difference is exact up to rounding.
    const model = new DBVAE({ ...tiny, outputActivation: 'linear' });
    const batch = data.rows([...faceRows.slice(0, 4), ...nonRows.slice(0, 4)]);
    const bias = model.decoder.getLayer('dbvae_decoder_deconv4').trainableWeights[1]!.read() as tf.Variable;
    const loss = (): tf.Scalar =>
      tf.tidy(() => {
        const p = model.forward(batch.x, { seed: 9 });
        return dbvaeLoss({ x: batch.x, y: batch.y, reconstruction: p.reconstruction, logit: p.logit, mean: p.mean, logVar: p.logVar }, { reconstruction: { norm: 'l2', reduction: 'sum' } }).total;
      });
    const { grads } = tf.variableGrads(loss, [bias]);
    const analytic = Array.from(grads[bias.name]!.dataSync());
    const original = Float32Array.from(bias.dataSync());
    const h = 1e-2;
    const numeric = analytic.map((_, j) => {
      const at = (delta: number): number => {
        const v = Float32Array.from(original);
        v[j] = (v[j] as number) + delta;
        bias.assign(tf.tensor1d(v));
        const l = loss();
        const out = l.dataSync()[0] as number;
        l.dispose();
        return out;
      };
      return (at(h) - at(-h)) / (2 * h);
    });
    bias.assign(tf.tensor1d(original));
    expectAllClose(analytic, numeric, 1e-2);
    tf.dispose([batch.x, batch.y, ...Object.values(grads)]);
    model.dispose();
  });

  it('lowers the loss on a fixed batch and leaks nothing over many steps', async () => {
    const model = new DBVAE(tiny);
    const optimizer = tf.train.adam(5e-3);
    const batch = data.rows([...faceRows, ...nonRows]);
    const losses: number[] = [];
    await expectNoTensorLeaks(() => {
      losses.push(dbvaeTrainStep(model, optimizer, batch.x, batch.y, { seed: losses.length }).total);
    }, 15);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    tf.dispose([batch.x, batch.y]);
    optimizer.dispose();
    model.dispose();
  });

  it('rejects labels other than 0/1 and mismatched batches', () => {
    const model = new DBVAE(tiny);
    const optimizer = tf.train.adam(1e-3);
    const batch = data.rows(faceRows.slice(0, 2));
    expect(() => dbvaeTrainStep(model, optimizer, batch.x, tf.tensor2d([0.5, 1], [2, 1]))).toThrow(InvalidArgumentError);
    expect(() => dbvaeTrainStep(model, optimizer, batch.x, tf.tensor2d([1, 1, 0], [3, 1]))).toThrow(InvalidArgumentError);
    tf.dispose([batch.x, batch.y]);
    optimizer.dispose();
    model.dispose();
  });
});
