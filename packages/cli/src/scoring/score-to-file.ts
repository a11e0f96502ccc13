import { stat } from 'node:fs/promises';
import type { CliIO } from '../command';
import { InputError } from '../errors';
import { formatSeconds } from '../progress';
import type { ChunkScorer } from './chunk-scorer';
import { ResumableRiskOutput } from './resumable-output';
import { loadRiskModel, readRiskModelManifest, riskModelId } from './risk-model-store';
import { scoreInOrder } from './score-in-order';
import { firstImages } from './score-range';

/** Options of {@link scoreToFile}. */
export interface ScoreToFileOptions {
  /** Lab HDF5 file, image folder or list of image paths. */
  data: string;
  /** Folder written by `--save-risk-model`. */
  riskModelDir: string;
  /** Output `.csv` / `.json`. */
  out: string;
  /** Images per chunk (also the unit of resumption and of seeding). */
  chunkSize: number;
  /** Scoring threads: 1 scores on the main thread; more start worker threads, each with its own engine. */
  workers: number;
  /** Run seed (part of the run's identity; the scoring draws restart from the risk model's fitted seed and each chunk's offset). */
  seed: number;
  /** Backend of the worker threads (default: the fastest installed). */
  backend?: string;
  /** Score only the first this many images (default: all). */
  limit?: number;
  /**
   * A scorer already started for `riskModelDir` (e.g. a thread pool kept across runs), used
   * instead of starting one; `parallel` chunks are kept in flight. It is not closed here.
   */
  scorer?: {
    /** The started scorer. */
    scorer: ChunkScorer;
    /** Chunks kept in flight at once. */
    parallel: number;
  };
}

/** What a finished scoring run wrote. */
export interface ScoreToFileResult {
  /** Rows written (one per image, failed ones included). */
  rows: number;
  /** Rows with an `error` instead of scores. */
  failed: number;
  /** Chunks skipped because an interrupted run had written them. */
  resumedChunks: number;
}

/**
 * What identifies a scoring run for resumption: the data (path, size, modification time, count),
 * the risk model's fingerprint, the seed and the chunking. A resumed run must match all of it.
 */
export async function scoringIdentity(data: string, n: number, riskModel: string, seed: number, chunkSize: number): Promise<Record<string, unknown>> {
  const st = await stat(data);
  return { data, n, dataBytes: st.isFile() ? st.size : undefined, dataModified: st.mtimeMs, riskModel, seed, chunkSize };
}

/**
 * Scores every image of `data` with a saved risk model, chunk by chunk, appending rows as
 * chunks complete (in input order, whatever the number of threads), and writes the CSV/JSON
 * atomically at the end. Rerun after an interruption, it continues after the last complete
 * chunk. Needs `initBackend()` first when `workers` is 1.
 * @throws InputError when the images do not match the risk model's input size, or an
 *   interrupted run with other settings left its files beside `out`.
 */
export async function scoreToFile(options: ScoreToFileOptions, io: CliIO): Promise<ScoreToFileResult> {
  const { data, riskModelDir, out, chunkSize, workers, seed } = options;
  const { openImageSource } = await import('@dbvae/core-data');
  const manifest = await readRiskModelManifest(riskModelDir);
  const [h, w] = manifest.inputShape;
  const source = firstImages(await openImageSource(data, { size: [h, w] }), options.limit);
  let output: ResumableRiskOutput | undefined;
  let close: (() => Promise<void>) | undefined;
  try {
    if (source.height !== h || source.width !== w) throw new InputError(`--data ${data}: images are ${source.height}x${source.width} but the risk model takes ${h}x${w}.`);
    const id = await riskModelId(riskModelDir);
    output = await ResumableRiskOutput.open(out, await scoringIdentity(data, source.n, id, seed, chunkSize));
    const chunks = Math.ceil(source.n / chunkSize);
    const resumedChunks = output.unitsDone;
    if (resumedChunks > 0) io.stderr.write(`Resuming ${out}: ${resumedChunks} of ${chunks} chunks (${output.rowsDone} rows) were written by an interrupted run.\n`);
    let scorer: ChunkScorer;
    if (options.scorer) scorer = options.scorer.scorer;
    else if (workers > 1) {
      const { createThreadScorer } = await import('./thread-scorer');
      const pool = await createThreadScorer(riskModelDir, workers, options.backend);
      scorer = pool.scorer;
      close = pool.close;
    } else {
      const model = await loadRiskModel(riskModelDir);
      scorer = model.scorer;
      close = async () => model.dispose();
    }
    const started = Date.now();
    let rows = 0;
    let failed = 0;
    let lastReport = 0;
    const o = output;
    await scoreInOrder({
      source,
      scorer,
      chunkSize,
      parallel: options.scorer?.parallel ?? (workers > 1 ? workers + 1 : 1),
      firstChunk: resumedChunks,
      onChunk: async (chunkRows, k) => {
        await o.append(chunkRows);
        rows += chunkRows.length;
        failed += chunkRows.filter((r) => r.error !== undefined).length;
        const now = Date.now();
        if (now - lastReport > 2000 || k === chunks - 1) {
          lastReport = now;
          const rate = rows / Math.max(1e-3, (now - started) / 1000);
          const left = source.n - o.rowsDone;
          io.stderr.write(`scoring: chunks ${k + 1}/${chunks}, ${o.rowsDone}/${source.n} rows, ${rate.toFixed(0)} rows/s, eta ${formatSeconds(left / rate)}\n`);
        }
      },
    });
    await output.finish();
    output = undefined;
    return { rows: source.n, failed: failed + 0, resumedChunks };
  } finally {
    await output?.close();
    await close?.();
    await source.close();
  }
}
