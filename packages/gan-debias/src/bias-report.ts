import { InvalidArgumentError, ShapeError } from '@dbvae/backend';
import type { LatentWalkResult } from './latent-walk';
import { correlationFromCovariance, covarianceMatrix, linearRegression, type LinearFit, type SquareMatrix } from './stats';

/** One attribute that covaries with the target. */
export interface CovaryingAttribute {
  /** Index among the classifier's outputs. */
  index: number;
  /** Its name. */
  name: string;
  /** Covariance of its logit change with the target's (sign = direction of the association). */
  covariance: number;
  /** Pearson correlation of the same changes (scale-free; `NaN` if either change is constant). */
  correlation: number;
  /** Least-squares line of its change against the target's change, over all steps and samples. */
  regression: LinearFit;
  /**
   * Mean change of the target (`x`) and of this attribute (`y`) at each step offset, sorted by
   * offset, for plotting the binned regression like the notebook's `x_bins`.
   */
  binned: {
    /** The walk offset of the bin. */
    offset: number;
    /** Mean target score in the bin. */
    x: number;
    /** Mean score of this attribute in the bin. */
    y: number;
  }[];
}

/** Options of {@link biasReport} and {@link topCovarying}. */
export interface BiasReportOptions {
  /** Number of attributes to list. Default 10 (or all others, if fewer). */
  topK?: number;
  /** Rank by `'covariance'` magnitude (default, as in the notebook) or by `'correlation'` magnitude. */
  rankBy?: 'covariance' | 'correlation';
}

/** The bias report of one latent walk. */
export interface BiasReport {
  /** The walked attribute. */
  target: {
    /** Index of the target among the attributes. */
    index: number;
    /** Its name. */
    name: string;
  };
  /** Attribute names, in classifier order. */
  attributeNames: string[];
  /** Covariance matrix of the logit changes over all (step, sample) rows. */
  covariance: SquareMatrix;
  /** Pearson correlation matrix of the same changes. */
  correlation: SquareMatrix;
  /** The top attributes by magnitude, largest first, never including the target. */
  top: CovaryingAttribute[];
}

/**
 * Ranks the attributes that covary most with `targetIndex` by the magnitude of a row of a
 * matrix (covariance or correlation), largest first, with their signed values. The target is
 * excluded by index (it need not rank first). `NaN` entries rank last.
 *
 * @param matrix - A square matrix such as {@link covarianceMatrix}'s.
 * @param targetIndex - The row to rank.
 * @param topK - How many to return (at most `size - 1`).
 * @returns Indices and their signed values.
 * @throws InvalidArgumentError when `targetIndex` or `topK` is out of range.
 */
export function topCovarying(matrix: SquareMatrix, targetIndex: number, topK: number): {
  /** Index of the attribute. */
  index: number;
  /** Its covariance (or correlation) with the target. */
  value: number;
}[] {
  const k = matrix.size;
  if (!Number.isInteger(targetIndex) || targetIndex < 0 || targetIndex >= k) {
    throw new InvalidArgumentError(`topCovarying: targetIndex ${targetIndex} is outside 0..${k - 1}.`);
  }
  if (!Number.isInteger(topK) || topK <= 0) throw new InvalidArgumentError(`topCovarying: topK must be a positive integer, got ${topK}.`);
  const rows: { index: number; value: number }[] = [];
  for (let j = 0; j < k; j++) if (j !== targetIndex) rows.push({ index: j, value: matrix.data[targetIndex * k + j]! });
  const mag = (v: number): number => (Number.isNaN(v) ? -1 : Math.abs(v));
  rows.sort((a, b) => mag(b.value) - mag(a.value) || a.index - b.index);
  return rows.slice(0, topK);
}

/**
 * Turns a latent walk into a bias report: the covariance and correlation matrices of the logit
 * changes over all steps and samples, and the attributes that covary most with the target,
 * with the regression of each one's change on the target's change. Raw covariance depends on
 * each logit's scale; the correlations do not, so compare both before drawing conclusions.
 *
 * @param walk - The output of {@link latentWalk}.
 * @param options - See {@link BiasReportOptions}.
 * @throws ShapeError when the walk is inconsistent; InvalidArgumentError on bad options.
 * @example
 * ```ts
 * const report = biasReport(walk, { topK: 5 });
 * for (const a of report.top) console.log(a.name, a.covariance.toFixed(3), a.correlation.toFixed(2));
 * ```
 */
export function biasReport(walk: LatentWalkResult, options: BiasReportOptions = {}): BiasReport {
  const { samples: n, attributes: k, steps, targetIndex: t, changes } = walk;
  if (changes.length !== 2 * steps * n * k) throw new ShapeError('biasReport: walk.changes does not match its steps, samples and attributes.');
  if (k < 2) throw new InvalidArgumentError('biasReport: the classifier has a single output; nothing can covary with the target.');
  const topK = Math.min(options.topK ?? 10, k - 1);
  const rankBy = options.rankBy ?? 'covariance';
  if (rankBy !== 'covariance' && rankBy !== 'correlation') throw new InvalidArgumentError(`biasReport: rankBy must be 'covariance' or 'correlation', got '${String(rankBy)}'.`);
  const rows = 2 * steps * n;
  const covariance = covarianceMatrix({ data: changes, rows, cols: k });
  const correlation = correlationFromCovariance(covariance);
  const ranked = topCovarying(rankBy === 'covariance' ? covariance : correlation, t, topK);
  const x = new Float64Array(rows);
  for (let r = 0; r < rows; r++) x[r] = changes[r * k + t]!;
  const top = ranked.map(({ index }) => {
    const y = new Float64Array(rows);
    for (let r = 0; r < rows; r++) y[r] = changes[r * k + index]!;
    const binned: { offset: number; x: number; y: number }[] = [];
    for (let b = 0; b < 2 * steps; b++) {
      let sx = 0;
      let sy = 0;
      for (let i = 0; i < n; i++) {
        sx += x[b * n + i]!;
        sy += y[b * n + i]!;
      }
      binned.push({ offset: walk.offsets[b]!, x: sx / n, y: sy / n });
    }
    binned.sort((a, b) => a.offset - b.offset);
    return {
      index,
      name: walk.attributeNames[index] ?? `attr${index}`,
      covariance: covariance.data[t * k + index]!,
      correlation: correlation.data[t * k + index]!,
      regression: linearRegression(x, y),
      binned,
    };
  });
  return { target: { index: t, name: walk.attributeNames[t] ?? `attr${t}` }, attributeNames: walk.attributeNames.slice(), covariance, correlation, top };
}
