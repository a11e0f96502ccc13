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
  /** Where `prediction` comes from (`model`: the frozen model's own output; `joint`). */
  predictionSource?: string;
  /** Where the risk comes from (`frozen-model` or `retrained-copy`). */
  riskSource?: string;
}

/** Per-chunk settings of a {@link ChunkScorer}. */
export interface ChunkScoreContext {
  /**
   * Index of the chunk's first image in the whole source. The chunk's random draws (MC-dropout
   * masks) restart from the fitted seed and this offset, so a chunk scores the same in any
   * thread, process or retry.
   */
  offset: number;
}

/**
 * Scores packed RGB uint8 images (`n` x `height` x `width` x 3): one {@link ScoredImage} per
 * image, in order. The seam between the pipelines (local, threads, BullMQ) and the risk model.
 */
export type ChunkScorer = (images: Uint8Array, n: number, height: number, width: number, context: ChunkScoreContext) => Promise<ScoredImage[]>;
