/**
 * Quickstart: choose the fastest backend, build the MIT 6.S191 lab CNN and train it on a
 * synthetic "face vs non-face" task (bright symmetric blobs vs random textures), printing the
 * loss, throughput and held-out accuracy. Runs in about a minute on a 2-core CPU.
 *
 *   pnpm demo            # from the repository root
 *   node --import tsx examples/quickstart/src/main.ts --epochs 3
 */
import { parseArgs } from 'node:util';
import { createRandom, formatBackendDescription, initBackend, tf } from '@dbvae/backend';
import { buildStandardClassifier, classifierTrainStep } from '@dbvae/models';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: '2' }, n: { type: 'string', default: '2048' }, seed: { type: 'string', default: '0' } } });
const epochs = Number(values.epochs);
const n = Number(values.n);
const seed = Number(values.seed);

/** n images of 64x64x3 in [0, 1]: label 1 = a blob with two dark "eyes", label 0 = noise texture. */
function makeImages(count: number, rngSeed: number): { x: Float32Array; y: Float32Array } {
  const rng = createRandom(rngSeed);
  const x = new Float32Array(count * 64 * 64 * 3);
  const y = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const face = i % 2 === 0;
    y[i] = face ? 1 : 0;
    const [cx, cy, r] = [28 + rng.int(8), 28 + rng.int(8), 14 + rng.int(8)];
    const tone = [0.3 + 0.6 * rng.next(), 0.25 + 0.5 * rng.next(), 0.2 + 0.4 * rng.next()];
    for (let p = 0; p < 64 * 64; p++) {
      const px = p % 64;
      const py = (p / 64) | 0;
      const inside = ((px - cx) / r) ** 2 + ((py - cy) / (1.25 * r)) ** 2 < 1;
      const eye = Math.hypot(px - (cx - r / 2.5), py - (cy - r / 4)) < r / 6 || Math.hypot(px - (cx + r / 2.5), py - (cy - r / 4)) < r / 6;
      for (let c = 0; c < 3; c++) {
        const noise = rng.next();
        const v = face ? (inside ? (eye ? 0.1 : (tone[c] as number)) : 0.5 * noise) : 0.3 * noise + 0.7 * Math.abs(Math.sin(px / (3 + c) + py / 5 + i));
        x[(i * 64 * 64 + p) * 3 + c] = v;
      }
    }
  }
  return { x, y };
}

const description = await initBackend();
console.log(formatBackendDescription(description));

const train = makeImages(n, seed + 1);
const test = makeImages(512, seed + 2);
const model = buildStandardClassifier({ seed });
const optimizer = tf.train.adam(5e-4);
const batchSize = 32;
const shuffle = createRandom(seed + 3);

for (let epoch = 1; epoch <= epochs; epoch++) {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = shuffle.int(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const t0 = performance.now();
  let lossSum = 0;
  let steps = 0;
  for (let start = 0; start + batchSize <= n; start += batchSize) {
    const idx = order.slice(start, start + batchSize);
    const xb = new Float32Array(batchSize * 64 * 64 * 3);
    const yb = new Float32Array(batchSize);
    idx.forEach((k, b) => {
      xb.set(train.x.subarray(k * 12288, (k + 1) * 12288), b * 12288);
      yb[b] = train.y[k] as number;
    });
    const [xt, yt] = [tf.tensor4d(xb, [batchSize, 64, 64, 3]), tf.tensor2d(yb, [batchSize, 1])];
    lossSum += classifierTrainStep(model, optimizer, xt, yt);
    steps++;
    tf.dispose([xt, yt]);
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(`epoch ${epoch}/${epochs}  loss ${(lossSum / steps).toFixed(4)}  ${((steps * batchSize) / seconds).toFixed(0)} img/s`);
}

const accuracy = tf.tidy(() => {
  const logits = model.predict(tf.tensor4d(test.x, [512, 64, 64, 3]), { batchSize: 128 }) as tf.Tensor;
  const predicted = tf.cast(tf.greater(logits, 0), 'float32');
  return tf.mean(tf.cast(tf.equal(predicted, tf.tensor2d(test.y, [512, 1])), 'float32')).dataSync()[0] as number;
});
console.log(`held-out accuracy: ${(100 * accuracy).toFixed(1)}%`);
optimizer.dispose();
model.dispose();
