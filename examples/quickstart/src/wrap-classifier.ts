/**
 * The README's "wrap your classifier" snippet, runnable: two Gaussian blobs, a small MLP, and
 * every prediction with its representation bias, epistemic and aleatoric risk.
 *
 *   node --import tsx examples/quickstart/src/wrap-classifier.ts
 */
import { createRandom, tf, initBackend } from '@dbvae/backend';
import { wrap } from '@dbvae/risk-wrappers';

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

const model = tf.sequential({
  layers: [
    tf.layers.dense({ inputShape: [2], units: 32, activation: 'relu' }),
    tf.layers.dense({ units: 32, activation: 'relu' }),
    tf.layers.dense({ units: 1 }),
  ],
});

const wrapped = wrap(model, { bias: true, epistemic: 'dropout', aleatoric: true });
wrapped.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
await wrapped.fit(xTrain, yTrain, { epochs: 60, batchSize: 64 });

const risk = wrapped.predict(xTest);
const rows = ['(1, 1) dense', '(-1, -1) dense', '(0, 0) boundary', '(6, -6) far away'];
const values = (t: tf.Tensor | undefined): number[] => (t ? Array.from(t.dataSync()) : []);
const probability = tf.sigmoid(risk.yHat);
const [p, bias, epistemic, aleatoric] = [values(probability), values(risk.bias), values(risk.epistemic), values(risk.aleatoric)] as [number[], number[], number[], number[]];
probability.dispose();
rows.forEach((name, i) =>
  console.log(`${name.padEnd(18)} p(class 1) ${p[i]?.toFixed(3)}  bias ${bias[i]?.toExponential(2)}  epistemic ${epistemic[i]?.toFixed(3)}  aleatoric ${aleatoric[i]?.toFixed(3)}`),
);
risk.dispose();
tf.dispose([xTrain, yTrain, xTest]);
