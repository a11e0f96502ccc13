import type { GroupMetricsResult } from '../group-metrics';

/** An RGB image as bytes: `height * width * 3` values in row-major, channel-last order. */
export interface RgbImage {
  /** Pixels, `height * width * 3` bytes (R, G, B per pixel). */
  data: Uint8Array | Uint8ClampedArray;
  /** Width in pixels. Default 64 (the lab's size). */
  width?: number;
  /** Height in pixels. Default 64. */
  height?: number;
}

/** One row of an image grid. */
export interface ImageGridRow {
  /** Label drawn at the left of the row (such as `'10%'` or `'most represented'`). */
  label?: string;
  /** The row's images, left to right. */
  images: RgbImage[];
}

/** An image grid section of the report. */
export interface ReportImageGrid {
  /** Short title, such as `'Average face per bias percentile'`. */
  title: string;
  /** One or two sentences saying what to look for. */
  caption?: string;
  /** Rows of images. */
  rows: ImageGridRow[];
}

/** Per-group metrics of one model (the output of `groupMetrics`). */
export interface ModelGroupMetrics {
  /** Model name as shown, such as `'Standard CNN'` or `'DB-VAE'`. */
  model: string;
  /** Its metrics. */
  metrics: GroupMetricsResult;
}

/** A training loss curve. */
export interface LossSeries {
  /** Model the series belongs to, such as `'DB-VAE'`. */
  model: string;
  /** Which loss, such as `'total'`, `'classification'`, `'reconstruction'`, `'KL'`. */
  loss: string;
  /** Values in step order (per batch or per epoch). */
  values: ArrayLike<number>;
}

/** One chunk of the accuracy-versus-risk analysis (matches `RiskChunk` of `@dbvae/risk-wrappers`). */
export interface RiskChunkData {
  /** Upper percentile of the chunk (10, 20, ...). */
  percentile: number;
  /** Fraction predicted correctly. */
  accuracy: number;
  /** Mean risk score of the chunk. */
  meanRisk?: number;
  /** Samples in the chunk. */
  count?: number;
}

/** One accuracy-versus-risk curve. */
export interface AccuracyVsRiskSeries {
  /** Risk the samples were sorted by: `'bias'` (representation density), `'epistemic'`, `'aleatoric'`, or another name. One chart is drawn per risk. */
  risk: string;
  /** Series name, such as the model (`'DB-VAE'`). */
  label: string;
  /** Chunks in percentile order. */
  chunks: RiskChunkData[];
}

/** Each group's share of the drawn training faces per epoch, for one model. */
export interface GroupShareSeries {
  /** Model name, such as `'DB-VAE'`. */
  model: string;
  /** Per epoch (0-based): share per group, summing to 1. */
  epochs: {
    /** The epoch (0-based). */
    epoch: number;
    /** Each group's share of the faces drawn that epoch. */
    share: Record<string, number>;
  }[];
}

/** Results over several seeds, drawn as a table in the report. */
export interface SeedTable {
  /** Column names. */
  columns: string[];
  /** Rows of cells. */
  rows: (string | number)[][];
  /** What the table shows. */
  caption?: string;
}

/** Everything `writeReport` draws. Every section is optional; absent sections are left out. */
export interface ReportData {
  /** Page title. */
  title: string;
  /** A sentence under the title. */
  subtitle?: string;
  /** When the run happened (ISO string). Default: now. */
  generatedAt?: string;
  /** Per-group face-detection metrics, one entry per model (the lab's bar chart). */
  groupMetrics?: ModelGroupMetrics[];
  /** Training loss curves. */
  losses?: LossSeries[];
  /** Accuracy against risk percentile. */
  accuracyVsRisk?: AccuracyVsRiskSeries[];
  /**
   * How sure the comparison is, in words, shown right under the headline cards (such as the
   * intervals of the variance difference and over how many seeds it holds).
   */
  uncertainty?: string[];
  /** Per-group accuracy with 95% intervals (`low`, `high` of each group) is drawn from `groupMetrics`; results over seeds go here. */
  seeds?: SeedTable;
  /** Further charts (any Vega-Lite spec), drawn in their own section after the results over seeds. */
  charts?: {
    /** Name of the chart, slugged into its file name (`<name>.png`). */
    name: string;
    /** Title shown with the chart (leads its caption). */
    title: string;
    /** The Vega-Lite spec. */
    spec: Record<string, unknown>;
    /** Text shown under the chart after the title. */
    caption?: string;
  }[];
  /** Each group's share of the drawn faces per epoch (how far resampling moves the rare groups). */
  groupShare?: GroupShareSeries[];
  /** Sampling probability of each training face used by the DB-VAE (the last epoch's). */
  samplingWeights?: ArrayLike<number>;
  /** Image grids (average face per percentile, most and least represented faces, ...). */
  imageGrids?: ReportImageGrid[];
  /** Run settings shown as a table (epochs, latent size, alpha, seed, ...). */
  settings?: Record<string, string | number | boolean>;
  /** Free-text notes shown at the end (caveats, commands to reproduce). */
  notes?: string[];
}
