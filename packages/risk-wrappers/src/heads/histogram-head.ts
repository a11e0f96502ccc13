import { tf } from '@dbvae/backend';
import { FeatureHistogram, type FeatureDensity } from '../feature-histogram';
import type { HistogramSpec } from '../risk-options';
import { flatten2d, tileLike, type HeadPrediction, type HeadStep, type RiskField, type RiskHead, type Tap } from './risk-head';

/**
 * The density of a bias head when none is named: Gaussian over features or inputs; Capsa's
 * histogram over a VAE latent, whose out-of-range rule keeps uniform noise that encodes near
 * the latent mode below real images (a Gaussian there reached AUROC 0.93 in the
 * representation test, against above 0.95).
 */
export function defaultDensity(source: HistogramSpec['source']): FeatureDensity {
  return source === 'latent' ? 'histogram' : 'gaussian';
}

/** The saved queue of a histogram head: `meta` goes to the JSON config, `data` to a raw array. */
export interface HistogramState {
  meta: { dim: number; filled: number; next: number };
  data: Float32Array;
}

/**
 * The histogram head (representation bias): a queue of clean vectors and its density
 * (per-dimension normals or histograms, {@link defaultDensity}). Reads `features` (default), `input` or `latent.vae`; writes `bias.histogram`
 * (the log joint bin probability) and, on the VAE's latent, `bias.vaeSupport` (the same,
 * less the VAE's out-of-support penalty). It has no loss: it only `observe`s clean vectors.
 */
export class HistogramHead implements RiskHead {
  readonly kind = 'histogram';
  readonly name = 'histogram';
  readonly reads: readonly Tap[];
  readonly writes: readonly RiskField[];
  /** The queue and bins. */
  readonly histogram: FeatureHistogram;

  /** @param spec - The histogram settings. */
  constructor(readonly spec: HistogramSpec) {
    const source = spec.source ?? 'features';
    this.reads = [source === 'latent' ? 'latent.vae' : source];
    this.writes = source === 'latent' ? ['bias.histogram', 'bias.vaeSupport'] : ['bias.histogram'];
    this.histogram = new FeatureHistogram({ ...spec, density: spec.density ?? defaultDensity(source) });
  }

  /** The tap this head reads. */
  get source(): Tap {
    return this.reads[0] as Tap;
  }

  /** Pushes the rows of clean vectors `[n, d]` whose mask entry is 1 (all rows without a mask). */
  observe(vectors: tf.Tensor, mask?: tf.Tensor): void {
    const [n, d] = vectors.shape as [number, number];
    let values = vectors.dataSync();
    let rows = n;
    if (mask) {
      const m = mask.dataSync();
      const keep: number[] = [];
      for (let i = 0; i < n; i++) if (m[i] === 1) keep.push(i);
      const sel = new Float32Array(keep.length * d);
      keep.forEach((r, j) => sel.set(values.subarray(r * d, (r + 1) * d), j * d));
      values = sel;
      rows = keep.length;
    }
    if (rows > 0) this.histogram.push(values, rows, d);
  }

  /** The log joint bin probability of each row of `vectors` `[n, d]` (on the CPU). */
  logProb(vectors: tf.Tensor): Float64Array {
    return this.histogram.logProb(vectors.dataSync(), vectors.shape[0] as number, vectors.shape[1] as number);
  }

  /**
   * The fields from log-probabilities computed by {@link HistogramHead.logProb} (call inside a tidy).
   * @param supportPenalty - The VAE's per-sample out-of-support penalty `[n]`, for `bias.vaeSupport`.
   */
  fieldsFrom(logp: Float64Array, output: tf.Tensor, supportPenalty?: tf.Tensor): Partial<Record<RiskField, tf.Tensor>> {
    const fields: Partial<Record<RiskField, tf.Tensor>> = { 'bias.histogram': tileLike(tf.tensor1d(Float32Array.from(logp)), output) };
    if (supportPenalty) fields['bias.vaeSupport'] = tileLike(tf.sub(tf.tensor1d(Float32Array.from(logp)), supportPenalty), output);
    return fields;
  }

  /** `bias.histogram` (and `bias.vaeSupport`) of the clean vectors this head reads (call inside a tidy). */
  predict(step: HeadStep): HeadPrediction {
    const logp = this.logProb(flatten2d(step.taps[this.source] as tf.Tensor));
    const penalty = this.source === 'latent.vae' ? step.supportPenalty?.() : undefined;
    return { fields: this.fieldsFrom(logp, step.output, penalty) };
  }

  /** The queue to save, or undefined while empty. */
  saveState(): HistogramState | undefined {
    if (this.histogram.dimension === 0) return undefined;
    const { data, ...meta } = this.histogram.exportState();
    return { meta, data };
  }

  /** Restores a queue saved by {@link saveState}. */
  loadState(state: HistogramState): void {
    this.histogram.importState({ ...state.meta, data: state.data });
  }

  /** Nothing to free: the queue is plain memory (kept readable after the wrapper is disposed, as before heads). */
  dispose(): void {}
}
