import { InvalidArgumentError, tf } from '@dbvae/backend';
import { ComposedWrapper } from './composed-wrapper';
import { EnsembleWrapper } from './ensemble-wrapper';
import type { RiskModel } from './risk-model';
import type { NamedRisk } from './risk-tensor';

/** Plain input for {@link scoreBatch}: values (row-major) and the full shape `[n, ...]`, e.g. images `[n, h, w, c]` in [0, 1]. */
export interface PlainBatch {
  /** The values, row-major; length is the product of `shape`. */
  data: ArrayLike<number>;
  /** The full shape `[n, ...]`, batch dimension first. */
  shape: number[];
}

/** Options of {@link scoreBatch}. */
export interface ScoreBatchOptions {
  /** Samples per forward pass. Default 256. */
  batchSize?: number;
  /**
   * Restart the wrapper's random stream here before scoring (MC dropout masks): a retried
   * chunk then scores exactly as its first try. Default: continue the stream.
   */
  seed?: number;
}

/** One scored sample, plain JSON. */
export interface RiskRow {
  /** Position in the batch. */
  index: number;
  /**
   * The prediction as a probability: of class 1 for a single-output binary classifier, of
   * the predicted class for a multi-class one; the raw output (first column) for regression.
   */
  prediction: number;
  /** Argmax class (multi-class), 0/1 at probability 0.5 (binary), undefined for regression. */
  predictedClass?: number;
  /** Per-class probabilities (multi-class classifiers only). */
  probabilities?: number[];
  /** Log-density of the features (higher = better represented). */
  bias?: number;
  /** The wrapper's `epistemic` choice. */
  epistemic?: number;
  /** The wrapper's `aleatoric` (a variance; mean over output columns). */
  aleatoric?: number;
  /** Every named estimate (`epistemic.vae`, `epistemic.mcDropout`, `total.predictiveEntropy`, ...), per-sample means. */
  named: Partial<Record<NamedRisk, number>>;
}

/** What {@link scoreBatch} returns: rows plus which model produced `prediction`. */
export interface ScoredBatch {
  /** One row of scores per input sample, in input order. */
  rows: RiskRow[];
  /**
   * `'model'`: `prediction` is the user's frozen model's own output (post-hoc wrappers);
   * `'joint'`: the jointly trained wrapper's (its MC/ensemble mean where it has one).
   */
  predictionSource: 'model' | 'joint';
  /** Whether some risk came from a trained copy of the model (post-hoc MC dropout inserted, ensembles). */
  retrainsCopies: boolean;
}

function toInput(x: tf.Tensor | tf.Tensor[] | PlainBatch): { xs: tf.Tensor[]; owned: boolean } {
  if (x instanceof tf.Tensor) return { xs: [x], owned: false };
  if (Array.isArray(x)) return { xs: x, owned: false };
  if (x !== null && typeof x === 'object' && 'data' in x && Array.isArray(x.shape)) {
    const size = x.shape.reduce((a, b) => a * b, 1);
    if (x.data.length !== size) throw new InvalidArgumentError(`scoreBatch: ${x.data.length} values do not fill the shape [${x.shape}].`);
    return { xs: [tf.tensor(Float32Array.from(x.data), x.shape)], owned: true };
  }
  throw new InvalidArgumentError('scoreBatch: x must be a tf.Tensor, a list of tensors, or { data, shape }.');
}

/**
 * Scores a batch with a FITTED wrapper and returns plain rows (no tensors; every tensor it
 * makes is disposed): the function a CLI or a queue worker calls per chunk. Pure apart from
 * the wrapper's random stream (pass `seed` to fix it per chunk).
 *
 * @example
 * ```ts
 * const w = await loadRiskWrapper(handler);             // saved once after fit()
 * const { rows } = scoreBatch(w, { data: pixels, shape: [n, 64, 64, 3] }, { seed: jobSeed });
 * rows[0].bias; rows[0].prediction;
 * ```
 * @throws InvalidArgumentError for NaN/Infinity or malformed input; ShapeError for a shape the model does not take; NotReadyError for an unfitted histogram.
 */
export function scoreBatch(wrapper: RiskModel, x: tf.Tensor | tf.Tensor[] | PlainBatch, options: ScoreBatchOptions = {}): ScoredBatch {
  const { xs, owned } = toInput(x);
  const probe = wrapper instanceof ComposedWrapper || wrapper instanceof EnsembleWrapper ? wrapper : undefined;
  try {
    if (options.seed !== undefined) probe?.reseed(options.seed);
    const out = wrapper.predict(xs, { batchSize: options.batchSize });
    try {
      const n = out.size;
      const yHat = out.yHat.reshape([n, -1]) as tf.Tensor2D;
      const k = yHat.shape[1];
      const probs = probe?.probabilities(out.yHat);
      const flatProbs = probs?.reshape([n, -1]);
      const probRows = flatProbs ? (flatProbs.arraySync() as number[][]) : undefined;
      const raw = yHat.arraySync() as number[][];
      tf.dispose([yHat, probs, flatProbs].filter((t): t is tf.Tensor => t !== undefined));
      const per = (t: tf.Tensor | undefined): Float32Array | undefined => {
        if (!t) return undefined;
        const m = tf.tidy(() => t.reshape([n, -1]).mean(1));
        const v = m.dataSync() as Float32Array;
        m.dispose();
        return v;
      };
      const bias = per(out.bias);
      const epistemic = per(out.epistemic);
      const aleatoric = per(out.aleatoric);
      const named = out.namedRisks.map((name) => [name, per(out.named[name]) as Float32Array] as const);
      const rows: RiskRow[] = Array.from({ length: n }, (_, i) => {
        const row: RiskRow = { index: i, prediction: (raw[i] as number[])[0] as number, named: {} };
        const p = probRows?.[i];
        if (p) {
          if (k === 1) {
            row.prediction = p[0] as number;
            row.predictedClass = (p[0] as number) >= 0.5 ? 1 : 0;
          } else {
            let best = 0;
            for (let c = 1; c < k; c++) if ((p[c] as number) > (p[best] as number)) best = c;
            row.prediction = p[best] as number;
            row.predictedClass = best;
            row.probabilities = p;
          }
        }
        if (bias) row.bias = bias[i];
        if (epistemic) row.epistemic = epistemic[i];
        if (aleatoric) row.aleatoric = aleatoric[i];
        for (const [name, v] of named) row.named[name] = v[i];
        return row;
      });
      const mode = probe?.mode ?? 'joint';
      return { rows, predictionSource: mode === 'post-hoc' ? 'model' : 'joint', retrainsCopies: probe?.retrainsCopies ?? false };
    } finally {
      out.dispose();
    }
  } finally {
    if (owned) tf.dispose(xs);
  }
}
