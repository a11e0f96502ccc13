import { DbvaeError } from '@dbvae/backend';
import type { ImageChunk, ImageSource } from '@dbvae/core-data';
import type { RiskScoreRow } from '../risk-output';
import type { ChunkScorer, ScoredImage } from './chunk-scorer';

/** Codes of read errors that fail a chunk's rows instead of the run (damaged files). */
const UNREADABLE = new Set(['E_DATASET', 'E_HDF5_LAYOUT']);

/** Fields of a {@link ScoredImage} written as columns, in order. */
const SCORE_FIELDS = ['prediction', 'bias', 'epistemic', 'aleatoric'] as const;

/**
 * Output rows of a read chunk and its scores: index, file, group, label (the source's, or 1 for
 * folders and lists, whose images count as faces), then the scores. An image that could not be
 * read, or whose scores are not finite, gets no scores and an `error` saying why.
 */
export function chunkRows(chunk: ImageChunk, scores: readonly ScoredImage[] | undefined, failure?: string): RiskScoreRow[] {
  const failed = new Map(chunk.failures.map((f) => [f.index, f.reason]));
  return Array.from({ length: chunk.n }, (_, i) => {
    const index = chunk.start + i;
    const row: RiskScoreRow = { index };
    if (chunk.files) row.file = chunk.files[i];
    if (chunk.groups) row.group = chunk.groups[i];
    row.label = chunk.labels ? chunk.labels[i] : 1;
    let error = failure ?? failed.get(index);
    const s = scores?.[i];
    if (error === undefined && s !== undefined) {
      const bad = SCORE_FIELDS.find((f) => s[f] !== undefined && !Number.isFinite(s[f]));
      if (bad) error = `${bad} is ${s[bad]} (not finite)`;
      else {
        for (const f of SCORE_FIELDS) if (s[f] !== undefined) row[f] = s[f];
        if (s.predictionSource !== undefined) row.predictionSource = s.predictionSource;
        if (s.riskSource !== undefined) row.riskSource = s.riskSource;
      }
    }
    if (error !== undefined) row.error = error;
    return row;
  });
}

/**
 * Reads and scores chunk `chunkIndex` (images `[chunkIndex * chunkSize, ...)`) of a source (the
 * scorer reseeds from the chunk's offset): the unit every pipeline (in process, threads,
 * BullMQ) is made of, so they all write the same rows.
 */
export async function scoreChunk(source: ImageSource, chunkIndex: number, chunkSize: number, scorer: ChunkScorer): Promise<RiskScoreRow[]> {
  const start = chunkIndex * chunkSize;
  const end = Math.min(source.n, start + chunkSize);
  let chunk: ImageChunk;
  try {
    chunk = await source.read(start, end);
  } catch (error) {
    // A damaged stretch of the data fails its own rows, with the reason; the run goes on.
    if (!(error instanceof DbvaeError) || !UNREADABLE.has(error.code)) throw error;
    const reason = `cannot read images ${start}..${end - 1}: ${error.message}`;
    return Array.from({ length: end - start }, (_, i) => ({ index: start + i, error: reason }));
  }
  return chunkRows(chunk, await scorer(chunk.images, chunk.n, source.height, source.width, { offset: start }));
}

/** The first `limit` images of a source (the whole source when `limit` is undefined or larger). */
export function firstImages(source: ImageSource, limit: number | undefined): ImageSource {
  if (limit === undefined || limit >= source.n) return source;
  return {
    kind: source.kind,
    path: source.path,
    n: limit,
    height: source.height,
    width: source.width,
    read: (start, end) => (end > limit ? Promise.reject(new RangeError(`read [${start}, ${end}) beyond the first ${limit} images`)) : source.read(start, end)),
    close: () => source.close(),
  };
}
