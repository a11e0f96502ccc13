import { InvalidArgumentError, ShapeError, tf } from '@dbvae/backend';
import { RiskTensor } from './risk-tensor';

/** One chunk of {@link accuracyVsRisk}. */
export interface RiskChunk {
  /** Upper percentile of the chunk (10, 20, ... for ten chunks). */
  percentile: number;
  /** Samples in the chunk. */
  count: number;
  /** Mean risk of its samples. */
  meanRisk: number;
  /** Fraction of its samples predicted correctly. */
  accuracy: number;
  /** Mean of its images (when images were given); owned by the caller. */
  meanImage?: tf.Tensor;
}

/** Options of {@link accuracyVsRisk}. */
export interface AccuracyVsRiskOptions {
  /** Chunks of sorted samples. Default 10 (the lab's). */
  numChunks?: number;
  /** Images `[n, ...]` to average per chunk (the lab's "average face per percentile"). */
  images?: tf.Tensor;
}

/**
 * The lab's accuracy-versus-risk analysis: sort samples by risk (ascending), cut them into
 * `numChunks` consecutive chunks of (nearly) equal size (earlier chunks take the remainder,
 * as numpy's `array_split`), and report each chunk's mean risk, accuracy and mean image.
 * For bias (a density) an upward trend means accuracy rises with representation.
 * @throws InvalidArgumentError for no samples or more chunks than samples; ShapeError for length mismatches.
 */
export function accuracyVsRisk(risk: ArrayLike<number>, correct: ArrayLike<number | boolean>, options: AccuracyVsRiskOptions = {}): RiskChunk[] {
  const { numChunks = 10, images } = options;
  const n = risk.length;
  if (n === 0) throw new InvalidArgumentError('accuracyVsRisk: no samples.');
  if (correct.length !== n) throw new ShapeError(`accuracyVsRisk: ${n} risks but ${correct.length} correctness values.`);
  if (!Number.isInteger(numChunks) || numChunks <= 0 || numChunks > n) throw new InvalidArgumentError(`accuracyVsRisk: numChunks must be an integer in [1, ${n}], got ${numChunks}.`);
  if (images && images.shape[0] !== n) throw new ShapeError(`accuracyVsRisk: ${images.shape[0]} images for ${n} samples.`);
  for (let i = 0; i < n; i++) if (!Number.isFinite(risk[i] as number)) throw new InvalidArgumentError('accuracyVsRisk: risk contains NaN or Infinity.');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (risk[a] as number) - (risk[b] as number) || a - b);
  const chunks: RiskChunk[] = [];
  const base = Math.floor(n / numChunks);
  const extra = n % numChunks;
  let start = 0;
  for (let c = 0; c < numChunks; c++) {
    const size = base + (c < extra ? 1 : 0);
    const idx = order.slice(start, start + size);
    start += size;
    let r = 0;
    let acc = 0;
    for (const i of idx) {
      r += risk[i] as number;
      acc += Number(correct[i]) === 1 ? 1 : 0;
    }
    const chunk: RiskChunk = { percentile: ((c + 1) * 100) / numChunks, count: size, meanRisk: r / size, accuracy: acc / size };
    if (images) chunk.meanImage = tf.tidy(() => tf.mean(tf.gather(images, tf.tensor1d(idx, 'int32')), 0));
    chunks.push(chunk);
  }
  return chunks;
}

/**
 * Per-sample correctness of predictions. One output column: thresholded against 0/1 labels
 * at probability 0.5, i.e. logit 0 for logits and 0.5 for probabilities. Pass the wrapper's
 * `RiskTensor` and the right one is used (its `outputs` says whether `yHat` holds logits or
 * the probabilities of a sigmoid-ending model); a bare tensor is taken as logits unless
 * `threshold` says otherwise. Several columns: argmax against integer labels `[n]`/`[n, 1]`
 * or one-hot labels of the same shape.
 * @throws ShapeError when the shapes do not fit together.
 */
export function correctPredictions(yHat: tf.Tensor | RiskTensor, yTrue: tf.Tensor, threshold?: number): Uint8Array {
  if (yHat instanceof RiskTensor) {
    threshold ??= yHat.outputs === 'probabilities' ? 0.5 : 0;
    yHat = yHat.yHat;
  }
  const cut = threshold ?? 0;
  return tf.tidy(() => {
    const n = yHat.shape[0] as number;
    const p = yHat.reshape([n, -1]);
    const t = yTrue.reshape([yTrue.shape[0] as number, -1]);
    if (t.shape[0] !== n) throw new ShapeError(`correctPredictions: ${n} predictions but ${t.shape[0]} labels.`);
    let hit: tf.Tensor;
    if (p.shape[1] === 1) {
      hit = tf.equal(tf.greater(p, cut), tf.greaterEqual(t, 0.5));
    } else {
      const pred = tf.argMax(p, 1);
      const label = t.shape[1] === 1 ? tf.cast(t.reshape([-1]), 'int32') : tf.argMax(t, 1);
      hit = tf.equal(pred, label);
    }
    return Uint8Array.from(hit.dataSync());
  });
}

/**
 * Indices of the `k` least and most represented samples by a bias score (higher = better
 * represented): `least` in ascending order of bias, `most` in descending order.
 * @throws InvalidArgumentError when k is not in [1, n].
 */
export function mostAndLeastRepresented(
  bias: ArrayLike<number>,
  k: number,
): {
  /** Indices of the `k` lowest scores, lowest first. */
  least: number[];
  /** Indices of the `k` highest scores, highest first. */
  most: number[];
} {
  const n = bias.length;
  if (!Number.isInteger(k) || k <= 0 || k > n) throw new InvalidArgumentError(`mostAndLeastRepresented: k must be an integer in [1, ${n}], got ${k}.`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (bias[a] as number) - (bias[b] as number) || a - b);
  return { least: order.slice(0, k), most: order.slice(n - k).reverse() };
}
