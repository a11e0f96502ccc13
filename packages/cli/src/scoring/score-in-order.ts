import type { ImageSource } from '@dbvae/core-data';
import type { RiskScoreRow } from '../risk-output';
import type { ChunkScorer } from './chunk-scorer';
import { scoreChunk } from './score-range';

/** Options of {@link scoreInOrder}. */
export interface ScoreInOrderOptions {
  /** The images to score, read chunk by chunk. */
  source: ImageSource;
  /** Scores a chunk; called for up to `parallel` chunks at once (a thread pool, or the main thread). */
  scorer: ChunkScorer;
  /** Images per chunk. */
  chunkSize: number;
  /** Chunks in flight at once. Default 1. */
  parallel?: number;
  /** First chunk to score (a resumed run skips those already written). Default 0. */
  firstChunk?: number;
  /** Receives each chunk's rows, in input order, one call at a time. */
  onChunk(rows: RiskScoreRow[], chunkIndex: number): Promise<void>;
  /** Stops reading new chunks; chunks in flight finish and are delivered first. */
  signal?: AbortSignal;
}

/**
 * Scores a source chunk by chunk with up to `parallel` chunks in flight and hands the rows
 * over strictly in input order, whatever order the chunks finish in. Memory is bounded by
 * `parallel + 1` chunks. Resolves to the number of chunks delivered.
 */
export async function scoreInOrder(options: ScoreInOrderOptions): Promise<number> {
  const { source, scorer, chunkSize, parallel = 1, firstChunk = 0, onChunk, signal } = options;
  const chunks = Math.ceil(source.n / chunkSize);
  const inFlight = new Map<number, Promise<RiskScoreRow[]>>();
  let next = firstChunk;
  let delivered = 0;
  const launch = (k: number): void => {
    const p = scoreChunk(source, k, chunkSize, scorer);
    p.catch(() => undefined); // awaited in order below; keeps an early rejection from being unhandled
    inFlight.set(k, p);
  };
  for (let k = firstChunk; k < chunks; k++) {
    while (next < chunks && next - k < parallel && !signal?.aborted) launch(next++);
    const p = inFlight.get(k);
    if (p === undefined) break; // aborted before this chunk started
    const rows = await p;
    inFlight.delete(k);
    await onChunk(rows, k);
    delivered++;
  }
  return delivered;
}
