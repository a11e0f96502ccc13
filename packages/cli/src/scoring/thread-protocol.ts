import type { ScoredImage } from './chunk-scorer';

/** @internal Messages from the main thread to a scoring thread. */
export type ToScoreThread =
  | { type: 'init'; riskModelDir: string; backend?: string }
  | { type: 'score'; id: number; images: Uint8Array; n: number; height: number; width: number; offset: number };

/** @internal Messages from a scoring thread. */
export type FromScoreThread =
  | { type: 'ready'; riskModelId: string }
  | { type: 'scores'; id: number; scores: ScoredImage[] }
  | { type: 'error'; id?: number; message: string; code?: string };
