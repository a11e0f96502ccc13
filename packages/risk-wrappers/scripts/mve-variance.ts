/**
 * MVE on heteroscedastic regression y = x^3 + (0.1 + 0.2 (x + 1)) eps: prints predicted and
 * true noise variance on a grid (the setup of the known-answer test).
 * Run from the repository root: node --import tsx packages/risk-wrappers/scripts/mve-variance.ts
 */
import { createRandom, initBackend, tf } from '@dbvae/backend';
import { MVEWrapper } from '../src/index';

await initBackend({ backend: 'wasm' });
const rng = createRandom(1);
const n = Number(process.env['N'] ?? 8000);
const sigma = (x: number): number => 0.1 + 0.2 * (x + 1);
const xs = Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
const ys = Float32Array.from(xs, (x) => x ** 3 + sigma(x) * rng.normal());
const input = tf.input({ shape: [1] });
let h = tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 100 }) }).apply(input) as tf.SymbolicTensor;
h = tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 101 }) }).apply(h) as tf.SymbolicTensor;
const out = tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 199 }) }).apply(h) as tf.SymbolicTensor;
const w = new MVEWrapper(tf.model({ inputs: input, outputs: out }));
w.compile({ optimizer: tf.train.adam(0.01), loss: 'mse' });
const x = tf.tensor2d(xs, [n, 1]);
const y = tf.tensor2d(ys, [n, 1]);
const t0 = Date.now();
await w.fit(x, y, { epochs: Number(process.env['EPOCHS'] ?? 30), batchSize: 256 });
console.log(`fit: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const grid = [-0.9, -0.6, -0.3, 0, 0.3, 0.6, 0.9];
const r = w.predict(tf.tensor2d(grid, [grid.length, 1]));
const v = r.aleatoric?.dataSync() ?? new Float32Array();
grid.forEach((g, i) => {
  const t = sigma(g) ** 2;
  console.log(`x=${g.toFixed(1)} predicted ${(v[i] as number).toFixed(4)} true ${t.toFixed(4)} error ${((100 * Math.abs((v[i] as number) - t)) / t).toFixed(1)}%`);
});
