/**
 * The README's "wrap your classifier" snippet, runnable: two Gaussian blobs, a small MLP
 * trained the usual tfjs way, then wrapped post-hoc (the model stays frozen) so that every
 * prediction comes with its representation bias (a log-density), epistemic and aleatoric risk.
 *
 *   node --import tsx examples/quickstart/src/wrap-classifier.ts
 */
import { createRandom, tf, initBackend } from '@dbvae/backend';
import { scoreBatch, wrap } from '@dbvae/risk-wrappers';

await initBackend();

// Training data: class 1 around (1, 1), class 0 around (-1, -1); the test set adds far-away points.
const rng = createRandom(0);
const n = 512;
const xs = new Float32Array(2 * n);
const ys = new Float32Array(n);
for (let i = 0; i < n; i++) {
  const label = i % 2;
  ys[i] = label;
  xs[2 * i] = (label ? 1 : -1) + 0.5 * rng.normal();
  xs[2 * i + 1] = (label ? 1 : -1) + 0.5 * rng.normal();
}
const xTrain = tf.tensor2d(xs, [n, 2]);
const yTrain = tf.tensor2d(ys, [n, 1]);
const xTest = tf.tensor2d([1, 1, -1, -1, 0, 0, 6, -6], [4, 2]);

// A classifier ending in sigmoid, trained the usual tfjs way.
const model = tf.sequential({
  layers: [
    tf.layers.dense({ inputShape: [2], units: 32, activation: 'relu' }),
    tf.layers.dense({ units: 32, activation: 'relu' }),
    tf.layers.dense({ units: 1, activation: 'sigmoid' }),
  ],
});
model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
await model.fit(xTrain, yTrain, { epochs: 60, batchSize: 64, verbose: 0 });

// Post-hoc (the default): the model is frozen; only the risk parts are fitted on the training
// data. MC dropout trains a copy of the model (its passes need a model trained with dropout).
const wrapped = wrap(model, { bias: true, epistemic: 'dropout', aleatoric: true });
wrapped.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
await wrapped.fit(xTrain, yTrain, { epochs: 20, batchSize: 64 });

const { rows } = scoreBatch(wrapped, xTest, { seed: 0 });
const names = ['(1, 1) dense', '(-1, -1) dense', '(0, 0) boundary', '(6, -6) far away'];
rows.forEach((r, i) =>
  console.log(
    `${names[i]?.padEnd(18)} p(class 1) ${r.prediction.toFixed(3)}  bias (log-density) ${r.bias?.toFixed(1)}  epistemic ${r.epistemic?.toFixed(3)}  mutual information ${r.named['epistemic.mutualInformation']?.toFixed(3)}  aleatoric ${r.aleatoric?.toFixed(3)}`,
  ),
);
tf.dispose([xTrain, yTrain, xTest]);
