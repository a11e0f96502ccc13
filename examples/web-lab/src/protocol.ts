/** Messages between the page (main thread) and the training worker. */

/** The four SynthFaces test groups: lighter/darker skin x female/male. */
export const GROUPS = ['LF', 'LM', 'DF', 'DM'] as const;
/** One of {@link GROUPS}. */
export type Group = (typeof GROUPS)[number];
/** The two models the lab compares. */
export type ModelName = 'standard' | 'dbvae';

/** Sizes of a run; the defaults train in a couple of minutes on a laptop. */
export interface LabConfig {
  /** Training images (half faces). */
  n: number;
  /** Side of the square images (a multiple of 16). */
  size: number;
  /** Epochs of each model. */
  epochs: number;
  /** Test faces per group. */
  testPerGroup: number;
  /** Base filters of the CNN and of the DB-VAE's encoder/decoder. */
  filters: number;
  /** Units of the dense layers. */
  denseUnits: number;
  /** Latent size of the DB-VAE. */
  latentDim: number;
  /** DB-VAE debiasing strength (smaller debiases more). */
  alpha: number;
  /** Seed of data, initialisers and batches. */
  seed: number;
  /** Backends to try, fastest first (`?backend=wasm` forces one). */
  backends: Array<'webgpu' | 'webgl' | 'wasm' | 'cpu'>;
}

/** Page to worker. */
export type ToWorker =
  | { type: 'start'; config: LabConfig }
  | { type: 'stop' }
  | { type: 'score'; id: number; pixels: Float32Array; size: number };

/** Per-group hit counts: faces detected (k) of test faces (n). */
export type GroupCounts = Record<Group, { k: number; n: number }>;

/** A square RGB image as bytes, for drawing on a canvas. */
export interface SmallImage {
  /** Side in pixels. */
  size: number;
  /** RGB bytes, row-major. */
  rgb: Uint8Array;
}

/** Worker to page. */
export type FromWorker =
  | { type: 'backend'; name: string; detail: string }
  | { type: 'data'; trainImages: number; darkShare: number }
  | { type: 'step'; model: ModelName; epoch: number; step: number; stepsPerEpoch: number; epochs: number; loss: number }
  | { type: 'epoch'; model: ModelName; epoch: number; counts: GroupCounts; seconds: number }
  | { type: 'trained'; model: ModelName; seconds: number }
  | {
      type: 'figures';
      /** Test faces sorted by representation (risk-wrapped CNN's bias), least and most represented. */
      least: SmallImage[];
      most: SmallImage[];
      /** Accuracy of the standard CNN per representation percentile chunk. */
      accuracyVsRepresentation: { percentile: number; accuracy: number; n: number }[];
    }
  | { type: 'done'; seconds: number; stopped: boolean }
  | { type: 'scored'; id: number; probability: number; representation: number; dbvaeProbability: number }
  | { type: 'error'; message: string };
