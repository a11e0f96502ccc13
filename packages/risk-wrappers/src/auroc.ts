import { InvalidArgumentError, ShapeError } from '@dbvae/backend';

function toNumbers(a: ArrayLike<number | boolean>, what: string): number[] {
  const out = Array.from(a, (v) => Number(v));
  for (const v of out) if (!Number.isFinite(v)) throw new InvalidArgumentError(`${what} contains NaN or Infinity.`);
  return out;
}

/**
 * Area under the ROC curve of `scores` for separating positives (label 1/true) from negatives
 * (0/false): the probability that a random positive scores higher than a random negative,
 * ties counting one half (Mann-Whitney U with average ranks).
 * @throws InvalidArgumentError when one class is missing or values are not finite; ShapeError for length mismatch.
 */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  const s = toNumbers(scores, 'auroc: scores');
  const l = toNumbers(labels, 'auroc: labels');
  if (s.length !== l.length) throw new ShapeError(`auroc: ${s.length} scores but ${l.length} labels.`);
  for (const v of l) if (v !== 0 && v !== 1) throw new InvalidArgumentError(`auroc: labels must be 0/1 or booleans, got ${v}.`);
  const nPos = l.filter((v) => v === 1).length;
  const nNeg = l.length - nPos;
  if (nPos === 0 || nNeg === 0) throw new InvalidArgumentError('auroc: need at least one positive and one negative.');
  const idx = s.map((_, i) => i).sort((a, b) => (s[a] as number) - (s[b] as number));
  let rankSumPos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && s[idx[j + 1] as number] === s[idx[i] as number]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (l[idx[k] as number] === 1) rankSumPos += avgRank;
    i = j + 1;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * How well a risk score flags the model's mistakes: AUROC with the errors as positives
 * (1 = a perfect flag, 0.5 = chance). For `bias` (higher = better represented), pass its
 * negation.
 * @param risk - Per-sample risk (higher = riskier).
 * @param correct - Per-sample correctness (true/1 = correct).
 */
export function errorDetectionAuroc(risk: ArrayLike<number>, correct: ArrayLike<number | boolean>): number {
  return auroc(risk, Array.from(correct, (c) => (Number(c) === 1 ? 0 : 1)));
}
