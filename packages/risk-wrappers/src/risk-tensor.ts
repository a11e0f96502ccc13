import { InvalidArgumentError, ShapeError, tf } from '@dbvae/backend';

/** The names of the risk fields a {@link RiskTensor} may carry. */
export type RiskName = 'bias' | 'epistemic' | 'aleatoric';

/**
 * The name of one risk estimate, `<risk>.<source>`: `bias.histogram`, `epistemic.vae`,
 * `epistemic.mcDropout`, `epistemic.ensemble`, `epistemic.mutualInformation`,
 * `aleatoric.mve`, `aleatoric.expectedEntropy`, `total.predictiveEntropy`. Every estimate a
 * wrapper computes is kept under its own name in {@link RiskTensor.named}, so two components
 * that estimate one kind of risk never overwrite each other.
 */
export type NamedRisk = `${RiskName | 'total'}.${string}`;

/** The fields of a {@link RiskTensor}: the prediction and any of the three risks, all shaped like `yHat`. */
export interface RiskFields {
  /**
   * The prediction: the wrapped model's first output as the model produces it (logits for a
   * model ending in a linear layer, probabilities for one ending in sigmoid/softmax). In
   * post-hoc mode it equals `model.predict(x)` exactly.
   */
  yHat: tf.Tensor;
  /**
   * Representation score, a **log-density**: the log of the joint histogram probability of the
   * sample's features (`sum_d log p_d(bin_d)`), so higher = better represented. Always finite
   * (empty bins count `epsilon`), comparable across samples of one wrapper at any feature
   * width; differences are log-likelihood ratios. Use `Math.exp` only on differences.
   */
  bias?: tf.Tensor;
  /** Model (epistemic) uncertainty: higher means less certain. */
  epistemic?: tf.Tensor;
  /** Data (aleatoric) uncertainty, as a variance: higher means noisier. */
  aleatoric?: tf.Tensor;
  /** Every estimate under its own name (see {@link NamedRisk}), each shaped like `yHat`; `bias`/`epistemic`/`aleatoric` are chosen among these. */
  named?: Partial<Record<NamedRisk, tf.Tensor>>;
  /** What `yHat` holds: `'logits'` (or regression values) or `'probabilities'` (a sigmoid/softmax output). Default `'logits'`. */
  outputs?: 'logits' | 'probabilities';
}

const RISKS: readonly RiskName[] = ['bias', 'epistemic', 'aleatoric'];

/**
 * A prediction together with its risks. Every field is a tensor with the batch on axis 0 and
 * the same shape as `yHat` (per-sample scores are repeated across output columns, as Capsa
 * does). The caller owns the tensors: call {@link RiskTensor.dispose} when done.
 *
 * @example
 * ```ts
 * const out = wrapper.predict(x, { batchSize: 256 });
 * const order = out.argsort('bias');        // least represented first
 * const p10 = out.percentile('bias', 10);
 * out.dispose();
 * ```
 */
export class RiskTensor implements RiskFields {
  readonly yHat: tf.Tensor;
  readonly bias?: tf.Tensor;
  readonly epistemic?: tf.Tensor;
  readonly aleatoric?: tf.Tensor;
  /** Every estimate under its own name (`epistemic.vae`, `epistemic.mcDropout`, ...); see {@link NamedRisk}. */
  readonly named: Readonly<Partial<Record<NamedRisk, tf.Tensor>>>;
  /** What `yHat` holds: `'logits'` (or regression values) or `'probabilities'` (the model ends in sigmoid/softmax). */
  readonly outputs: 'logits' | 'probabilities';

  /**
   * @param fields - The prediction and risks; each risk must have `yHat`'s shape.
   * @throws ShapeError when a risk's shape differs from `yHat`'s or `yHat` has no batch axis.
   */
  constructor(fields: RiskFields) {
    if (fields.yHat.rank < 1) throw new ShapeError('RiskTensor: yHat must have a batch axis (rank >= 1).');
    this.yHat = fields.yHat;
    for (const name of RISKS) {
      const t = fields[name];
      if (t === undefined) continue;
      if (!tf.util.arraysEqual(t.shape, fields.yHat.shape)) {
        throw new ShapeError(`RiskTensor: ${name} has shape [${t.shape}] but yHat has [${fields.yHat.shape}]; risks must be shaped like yHat.`);
      }
      this[name] = t;
    }
    const named: Partial<Record<NamedRisk, tf.Tensor>> = {};
    for (const [k, t] of Object.entries(fields.named ?? {}) as Array<[NamedRisk, tf.Tensor]>) {
      if (!tf.util.arraysEqual(t.shape, fields.yHat.shape)) throw new ShapeError(`RiskTensor: ${k} has shape [${t.shape}] but yHat has [${fields.yHat.shape}].`);
      named[k] = t;
    }
    this.named = named;
    this.outputs = fields.outputs ?? 'logits';
  }

  /** The names of every named estimate present, sorted. */
  get namedRisks(): NamedRisk[] {
    return (Object.keys(this.named) as NamedRisk[]).sort();
  }

  /** Number of samples (the batch size of `yHat`). */
  get size(): number {
    return this.yHat.shape[0] as number;
  }

  /** The names of the risks present, in the order bias, epistemic, aleatoric. */
  get risks(): RiskName[] {
    return RISKS.filter((r) => this[r] !== undefined);
  }

  private fields(): Array<[string, tf.Tensor]> {
    const out: Array<[string, tf.Tensor]> = [['yHat', this.yHat]];
    for (const r of RISKS) {
      const t = this[r];
      if (t !== undefined) out.push([r, t]);
    }
    for (const k of this.namedRisks) out.push([`named:${k}`, this.named[k] as tf.Tensor]);
    return out;
  }

  private static fromEntries(entries: Array<[string, tf.Tensor]>, outputs: 'logits' | 'probabilities'): RiskTensor {
    const fields: Partial<RiskFields> & { named: Partial<Record<NamedRisk, tf.Tensor>> } = { named: {}, outputs };
    for (const [k, t] of entries) {
      if (k.startsWith('named:')) fields.named[k.slice(6) as NamedRisk] = t;
      else fields[k as RiskName | 'yHat'] = t;
    }
    return new RiskTensor(fields as RiskFields);
  }

  private map(fn: (t: tf.Tensor) => tf.Tensor): RiskTensor {
    return RiskTensor.fromEntries(this.fields().map(([k, t]) => [k, fn(t)]), this.outputs);
  }

  private requireRisk(risk: RiskName | NamedRisk): tf.Tensor {
    const t = risk.includes('.') ? this.named[risk as NamedRisk] : this[risk as RiskName];
    if (t === undefined) {
      throw new InvalidArgumentError(`RiskTensor: no '${risk}' risk here (present: ${[...this.risks, ...this.namedRisks].join(', ') || 'none'}); use a wrapper that computes it.`);
    }
    return t;
  }

  /**
   * Rows `[start, end)` as a new RiskTensor (new tensors; this one is unchanged).
   * @throws InvalidArgumentError when the range is outside `[0, size]` or empty-reversed.
   */
  slice(start: number, end = this.size): RiskTensor {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.size || start > end) {
      throw new InvalidArgumentError(`RiskTensor.slice: need integers 0 <= start <= end <= ${this.size}, got ${start}, ${end}.`);
    }
    return this.map((t) => tf.slice(t, [start, ...t.shape.slice(1).map(() => 0)], [end - start, ...t.shape.slice(1).map(() => -1)]));
  }

  /** Rows at the given indices, in that order, as a new RiskTensor. */
  gather(indices: ArrayLike<number>): RiskTensor {
    const idx = Array.from(indices);
    for (const i of idx) {
      if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new InvalidArgumentError(`RiskTensor.gather: index ${i} is outside [0, ${this.size}).`);
    }
    const it = tf.tensor1d(idx, 'int32');
    try {
      return this.map((t) => tf.gather(t, it));
    } finally {
      it.dispose();
    }
  }

  /**
   * Per-sample value of a risk (or of `yHat`): the mean over all non-batch axes, as a plain
   * array of length `size`.
   * @throws InvalidArgumentError when the risk is absent.
   */
  perSample(risk: RiskName | NamedRisk | 'yHat'): Float32Array {
    const t = risk === 'yHat' ? this.yHat : this.requireRisk(risk);
    if (t.rank === 1) return Float32Array.from(t.dataSync());
    const m = tf.tidy(() => t.reshape([this.size, -1]).mean(1));
    try {
      return m.dataSync() as Float32Array;
    } finally {
      m.dispose();
    }
  }

  /**
   * Sample indices sorted by a per-sample risk ({@link RiskTensor.perSample}); stable for ties.
   * @param order - `'ascending'` (default: for bias, least represented first) or `'descending'`.
   */
  argsort(risk: RiskName | NamedRisk, order: 'ascending' | 'descending' = 'ascending'): number[] {
    const v = this.perSample(risk);
    const idx = Array.from(v, (_, i) => i);
    const sign = order === 'ascending' ? 1 : -1;
    idx.sort((a, b) => sign * ((v[a] as number) - (v[b] as number)) || a - b);
    return idx;
  }

  /** A new RiskTensor with the samples sorted by a risk (see {@link RiskTensor.argsort}). */
  sortBy(risk: RiskName | NamedRisk, order: 'ascending' | 'descending' = 'ascending'): RiskTensor {
    return this.gather(this.argsort(risk, order));
  }

  /**
   * The `p`-th percentile (0-100) of a per-sample risk, linearly interpolated between order
   * statistics (numpy's default).
   * @throws InvalidArgumentError when `p` is outside [0, 100] or there are no samples.
   */
  percentile(risk: RiskName | NamedRisk, p: number): number {
    if (!(p >= 0 && p <= 100)) throw new InvalidArgumentError(`RiskTensor.percentile: p must be in [0, 100], got ${p}.`);
    if (this.size === 0) throw new InvalidArgumentError('RiskTensor.percentile: no samples.');
    const v = Array.from(this.perSample(risk)).sort((a, b) => a - b);
    const pos = (p / 100) * (v.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, v.length - 1);
    return (v[lo] as number) + (pos - lo) * ((v[hi] as number) - (v[lo] as number));
  }

  /**
   * Concatenates RiskTensors along the batch axis (e.g. the batches of a big dataset). All
   * parts must carry the same risks. The parts are not disposed.
   * @throws InvalidArgumentError for an empty list or parts with different risks.
   */
  static concat(parts: readonly RiskTensor[]): RiskTensor {
    const first = parts[0];
    if (first === undefined) throw new InvalidArgumentError('RiskTensor.concat: need at least one part.');
    const keys = first.fields().map(([k]) => k);
    for (const p of parts) {
      const pk = p.fields().map(([k]) => k);
      if (pk.join(',') !== keys.join(',')) throw new InvalidArgumentError(`RiskTensor.concat: parts carry different risks ([${keys.join(', ')}] vs [${pk.join(', ')}]).`);
    }
    const maps = parts.map((p) => new Map(p.fields()));
    return RiskTensor.fromEntries(keys.map((k) => [k, tf.concat(maps.map((m) => m.get(k) as tf.Tensor), 0)]), first.outputs);
  }

  /** Disposes every tensor held. */
  dispose(): void {
    for (const [, t] of this.fields()) t.dispose();
  }
}
