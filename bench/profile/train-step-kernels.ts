/**
 * Where the time of one lab-CNN training step goes on the chosen backend, kernel by kernel
 * (tf.profile with wall-clock kernel timings). Usage:
 *   node --import tsx bench/profile/train-step-kernels.ts [--infer]
 */
import { initBackend, tf } from '@dbvae/backend';
import { buildStandardClassifier, classifierTrainStep } from '@dbvae/models';

await initBackend();
const infer = process.argv.includes('--infer');
const model = buildStandardClassifier({ seed: 0 });
const optimizer = tf.train.adam(5e-4);
const batch = infer ? 256 : 32;
const x = tf.randomUniform([batch, 64, 64, 3], 0, 1, 'float32', 1);
const y = tf.cast(tf.greater(tf.randomUniform([batch, 1], 0, 1, 'float32', 2), 0.5), 'float32');
const step = () => (infer ? tf.tidy(() => (model.predict(x, { batchSize: 256 }) as tf.Tensor).dataSync()) : classifierTrainStep(model, optimizer, x, y));
step();
step();
const totals = new Map<string, { ms: number; n: number }>();
const reps = 5;
const t0 = performance.now();
for (let r = 0; r < reps; r++) {
  const info = await tf.profile(() => {
    step();
  });
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
    const cur = totals.get(key) ?? { ms: 0, n: 0 };
    cur.ms += ms / reps;
    cur.n += 1 / reps;
    totals.set(key, cur);
  }
}
const wall = (performance.now() - t0) / reps;
const sorted = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
const sum = sorted.reduce((s, [, v]) => s + v.ms, 0);
console.log(`step wall ${wall.toFixed(1)} ms (profiled), kernel sum ${sum.toFixed(1)} ms`);
for (const [k, v] of sorted.slice(0, 30)) console.log(`${v.ms.toFixed(2).padStart(8)} ms  x${v.n.toFixed(0).padStart(3)}  ${k.slice(0, 150)}`);
