/** The scores of one image, as JSON-safe numbers (never tensors), so they cross threads and queues unchanged. */
export interface ScoredImage {
  /** Predicted face probability. */
  prediction: number;
  /** Representation bias (higher = better represented). */
  bias?: number;
  /** Epistemic uncertainty. */
  epistemic?: number;
  /** Aleatoric uncertainty. */
  aleatoric?: number;
  /** Where `prediction` comes from (`model`: the frozen model; `retrained-copy`). */
  predictionSource?: string;
}

/** Per-chunk settings of a {@link ChunkScorer}. */
export interface ChunkScoreContext {
  /**
   * Seed of the chunk's random draws (MC-dropout masks, VAE samples). Derived from the run's
   * seed and the chunk's index by {@link chunkSeed}, so a chunk scores the same in any thread,
   * process or retry.
   */
  seed: number;
}

/**
 * Scores packed RGB uint8 images (`n` x `height` x `width` x 3): one {@link ScoredImage} per
 * image, in order. The seam between the pipelines (local, threads, BullMQ) and the risk model.
 */
export type ChunkScorer = (images: Uint8Array, n: number, height: number, width: number, context: ChunkScoreContext) => Promise<ScoredImage[]>;

/**
 * Seed of chunk `chunkIndex` of a run seeded with `seed`: a 31-bit hash (murmur3's finaliser)
 * of both, so neighbouring chunks get unrelated streams.
 */
export function chunkSeed(seed: number, chunkIndex: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(chunkIndex >>> 0, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h & 0x7fffffff;
}
