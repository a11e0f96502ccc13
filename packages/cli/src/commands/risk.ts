import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import packageJson from '../../package.json';
import { requireInput, resolvePath, str, type CliIO, type CommandDefinition } from '../command';
import { InputError, UsageError } from '../errors';
import { writeDirAtomic } from '../fs-atomic';
import { loadStoredModel } from '../model-store';
import { ProgressBar } from '../progress';
import type { AccuracyVsRiskSeries, ReportData } from '../report/types';
import { writeReport } from '../report/write-report';
import { riskFormatFromPath } from '../risk-output';
import { readRiskModelManifest, saveRiskModel } from '../scoring/risk-model-store';
import { scoreToFile } from '../scoring/score-to-file';

const CLI_VERSION: string = packageJson.version;

/** Risk estimators `dbvae risk` can wrap a model with. */
export type WrapperKind = 'histogram-vae' | 'mve' | 'dropout' | 'ensemble';

/** Options of `dbvae risk`. */
export interface RiskOptions {
  /** Folder written by `dbvae train` (not needed with `riskModel`). */
  model?: string;
  /** Lab-layout HDF5 file, folder of images (with group sub-folders) or list of image paths: every image is scored. */
  data: string;
  /** Risk estimator to fit (not needed with `riskModel`). */
  wrapper?: WrapperKind;
  /** Per-sample scores file (.csv or .json). */
  out: string;
  /** Report folder, if any. */
  report?: string;
  /** Epochs to fit the wrapper's risk heads. */
  epochs: number;
  /** Fit the risk heads on at most this many samples (the first ones). */
  maxSamples: number;
  seed: number;
  /** A fitted risk model folder to score with (skips fitting). */
  riskModel?: string;
  /** Save the fitted risk model here. */
  saveRiskModel?: string;
  /** Scoring threads (1 = the main thread). */
  workers: number;
  /** Images per chunk: the unit of reading, seeding and resumption. */
  chunkSize: number;
  /** `redis://HOST:PORT/DB`: score through BullMQ workers instead of locally. */
  queue?: string;
  /** Name of the queued job (a restarted coordinator with the same name resumes it). */
  job?: string;
  /** Images per queued shard (a multiple of the chunk size). */
  shardSize: number;
}

interface FitData {
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
  height: number;
  width: number;
}

/** The first `maxSamples` images of a source, for fitting (folders and lists count as faces). */
async function loadFitData(path: string, maxSamples: number, size: [number, number]): Promise<FitData> {
  const { openImageSource } = await import('@dbvae/core-data');
  const source = await openImageSource(path, { size });
  try {
    const n = Math.min(source.n, maxSamples);
    const chunk = await source.read(0, n);
    if (chunk.failures.length > 0) throw new InputError(`--data ${path}: ${chunk.failures[0]!.reason} (${chunk.failures.length} images cannot be read).`);
    return { images: chunk.images, labels: chunk.labels ?? new Uint8Array(n).fill(1), n, height: source.height, width: source.width };
  } finally {
    await source.close();
  }
}

const WRAP_OPTIONS = {
  'histogram-vae': { bias: true, epistemic: 'vae', vae: { latentDim: 32, decoder: 'auto' } },
  mve: { aleatoric: true },
  dropout: { epistemic: 'dropout' },
  ensemble: { epistemic: 'ensemble' },
} as const;

const RISKS_OF: Record<WrapperKind, Array<'bias' | 'epistemic' | 'aleatoric'>> = {
  'histogram-vae': ['bias', 'epistemic'],
  mve: ['aleatoric'],
  dropout: ['epistemic'],
  ensemble: ['epistemic'],
};

/**
 * Wraps the model with a risk estimator, fits its risk heads on the first `maxSamples`
 * samples of `options.data` and saves the fitted risk model into `dir` (atomically).
 * @throws InputError for a missing model or data path, or a DB-VAE model (the wrappers need the standard CNN).
 */
export async function fitRiskModel(options: RiskOptions & { model: string; wrapper: WrapperKind }, dir: string, io: CliIO): Promise<void> {
  await requireInput(options.model, 'dir', '--model');
  const { tf } = await import('@dbvae/backend');
  const { uint8ToFloatBatch } = await import('@dbvae/core-data');
  const rw = await import('@dbvae/risk-wrappers');
  const stored = await loadStoredModel(options.model);
  if (!stored.classifier) {
    stored.dispose();
    throw new InputError(`--model ${options.model}: risk wrappers wrap the standard CNN; train one with 'dbvae train --model standard' (the DB-VAE scores its own bias in 'dbvae demo').`);
  }
  const [h, w] = stored.manifest.inputShape;
  let x: import('@dbvae/backend').tf.Tensor4D | undefined;
  let y: import('@dbvae/backend').tf.Tensor2D | undefined;
  let wrapper: import('@dbvae/risk-wrappers').RiskModel | undefined;
  try {
    const data = await loadFitData(options.data, options.maxSamples, [h, w]);
    if (data.height !== h || data.width !== w) throw new InputError(`--data ${options.data}: images are ${data.height}x${data.width} but the model takes ${h}x${w}.`);
    x = uint8ToFloatBatch(data.images, { height: h, width: w });
    y = tf.tensor2d(Array.from(data.labels), [data.n, 1]);
    wrapper = rw.wrap(stored.classifier, { ...WRAP_OPTIONS[options.wrapper], seed: options.seed });
    wrapper.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const steps = Math.ceil(data.n / 32);
    const bar = new ProgressBar({ total: options.epochs, label: `fitting ${options.wrapper}`, stream: io.stderr });
    await wrapper.fit(x, y, { epochs: options.epochs, batchSize: 32, seed: options.seed, callbacks: { onEpochEnd: () => bar.tick() } });
    bar.done(`${steps} steps per epoch`);
    const fitted = wrapper;
    await writeDirAtomic(dir, (tmp) =>
      saveRiskModel(tmp, fitted, {
        cliVersion: CLI_VERSION,
        wrapper: options.wrapper,
        inputShape: [h, w, 3],
        risks: RISKS_OF[options.wrapper],
        settings: { model: options.model, fittedOn: options.data, samples: data.n, epochs: options.epochs, seed: options.seed },
      }),
    );
  } finally {
    x?.dispose();
    y?.dispose();
    wrapper?.dispose();
    stored.dispose();
  }
}

/**
 * Scores every sample of `options.data` with a risk model, streaming: fits one first (on the
 * first `maxSamples` samples) unless `riskModel` names a saved one, then reads the data in
 * chunks, scores them on `workers` threads (or through BullMQ workers with `queue`), appends
 * rows in input order and writes the CSV/JSON atomically; an interrupted run resumes. With
 * `--report`, also writes the accuracy-versus-risk report. Images of a folder or list are taken
 * as faces (label 1).
 * @throws UsageError when neither a risk model nor a model and wrapper are given;
 *   InputError for a missing model or data path, or a DB-VAE model.
 */
export async function runRisk(options: RiskOptions, io: CliIO): Promise<void> {
  await requireInput(options.data, 'any', '--data');
  const { initBackend } = await import('@dbvae/backend');
  await initBackend();
  let riskModelDir = options.riskModel;
  let tmpDir: string | undefined;
  try {
    if (riskModelDir === undefined) {
      if (options.model === undefined || options.wrapper === undefined) throw new UsageError('give --model and --wrapper to fit a risk model, or --risk-model <dir> to score with a saved one.', 'risk');
      if (options.saveRiskModel === undefined) {
        // The threads (or queue workers) load the fitted model from a folder, so it is saved even when not asked for.
        tmpDir = await mkdtemp(join(tmpdir(), 'dbvae-risk-model-'));
        riskModelDir = join(tmpDir, 'risk-model');
      } else riskModelDir = options.saveRiskModel;
      if (options.queue !== undefined && options.saveRiskModel === undefined) throw new UsageError('--queue needs the risk model in a folder every worker can read: add --save-risk-model <dir> (or score with --risk-model <dir>).', 'risk');
      await fitRiskModel({ ...options, model: options.model, wrapper: options.wrapper }, riskModelDir, io);
      if (options.saveRiskModel !== undefined) io.stdout.write(`Risk model: ${options.saveRiskModel}\n`);
    } else {
      await requireInput(riskModelDir, 'dir', '--risk-model');
    }
    if (options.queue !== undefined) {
      const { runCoordinator } = await import('../queue/coordinator');
      const result = await runCoordinator({ url: options.queue, data: options.data, riskModelDir, out: options.out, chunkSize: options.chunkSize, shardSize: options.shardSize, seed: options.seed, jobName: options.job }, io);
      io.stdout.write(`Wrote ${result.rows} rows to ${options.out}${result.failed > 0 ? ` (${result.failed} failed, see the error column)` : ''}\n`);
    } else {
      const result = await scoreToFile({ data: options.data, riskModelDir, out: options.out, chunkSize: options.chunkSize, workers: options.workers, seed: options.seed }, io);
      io.stdout.write(`Wrote ${result.rows} rows to ${options.out}${result.failed > 0 ? ` (${result.failed} failed, see the error column)` : ''}\n`);
    }
    if (options.report) {
      const written = await writeRiskReport(options.report, options.out, options.data, riskModelDir, options);
      io.stdout.write(`Report: ${written}\n`);
    }
  } finally {
    if (tmpDir) await rm(tmpDir, { recursive: true, force: true });
  }
}

/** Writes the accuracy-versus-risk report from a finished scores file (a second, streaming pass over the images for the face grids). */
async function writeRiskReport(reportDir: string, out: string, data: string, riskModelDir: string, options: RiskOptions): Promise<string> {
  const rw = await import('@dbvae/risk-wrappers');
  const { readRiskScores } = await import('../scoring/read-risk-scores');
  const { streamingFaceGrids } = await import('../scoring/streaming-face-grids');
  const manifest = await readRiskModelManifest(riskModelDir);
  const rows = (await readRiskScores(out)).filter((r) => r.error === undefined && r.prediction !== undefined);
  const correct = rows.map((r) => ((r.prediction! >= 0.5 ? 1 : 0) === r.label ? 1 : 0));
  const numChunks = Math.min(10, rows.length);
  const series: AccuracyVsRiskSeries[] = (['bias', 'epistemic', 'aleatoric'] as const)
    .filter((k) => rows.length > 0 && rows.every((r) => r[k] !== undefined))
    .map((k) => ({ risk: k, label: 'Standard CNN', chunks: rw.accuracyVsRisk(Float32Array.from(rows, (r) => r[k]!), correct, { numChunks }) }));
  const imageGrids = rows.length > 0 && rows[0]!.bias !== undefined ? await streamingFaceGrids(data, manifest.inputShape, rows.map((r) => r.index), Float64Array.from(rows, (r) => r.bias!), numChunks, Math.min(8, rows.length), options.chunkSize) : undefined;
  const report: ReportData = {
    title: `Risk of the standard CNN (${manifest.wrapper})`,
    subtitle: `${rows.length} samples of ${data}, scored by the ${manifest.wrapper} wrapper.`,
    accuracyVsRisk: series,
    imageGrids,
    settings: { model: String(manifest.settings.model ?? ''), data, wrapper: manifest.wrapper, epochs: Number(manifest.settings.epochs ?? 0), samples: rows.length, seed: options.seed },
  };
  return (await writeReport(reportDir, report)).indexPath;
}

/** `dbvae risk`. */
export const riskCommand: CommandDefinition<RiskOptions> = {
  name: 'risk',
  summary: 'Per-sample risk scores (bias, epistemic, aleatoric) as CSV/JSON, plus a report.',
  description:
    'Wraps a standard CNN trained by dbvae train with a risk estimator, fits its risk heads on the first --max-samples samples of --data (images of a folder or list count as faces) and scores every sample: histogram-vae (representation bias and epistemic uncertainty), mve (aleatoric), dropout (epistemic, Monte Carlo dropout) or ensemble (epistemic). --save-risk-model keeps the fitted risk model; --risk-model scores with a saved one. Scoring streams: --data is read --chunk-size images at a time, on --workers threads, and rows are appended in input order; the CSV/JSON is written atomically at the end, and a rerun of an interrupted command resumes after its last complete chunk. With --queue redis://HOST:PORT/DB the data is split into shards scored by any number of `dbvae worker` processes. Writes one row per sample (index, file, group, label, prediction, the risk columns, and error for images that cannot be read) to --out, and with --report an HTML report of accuracy against risk percentile.',
  options: [
    { name: 'model', kind: 'path', placeholder: '<dir>', description: 'Model folder written by dbvae train (to fit a risk model)' },
    { name: 'data', kind: 'path', required: true, placeholder: '<h5|folder|list>', description: 'Lab-layout HDF5 file, folder of images or text list of image paths' },
    { name: 'wrapper', kind: 'choice', choices: ['histogram-vae', 'mve', 'dropout', 'ensemble'], description: 'Risk estimator to fit' },
    { name: 'out', kind: 'path', default: 'risk.csv', placeholder: '<file.csv|file.json>', description: 'Per-sample scores' },
    { name: 'report', kind: 'path', placeholder: '<dir>', description: 'Also write an HTML report here' },
    { name: 'epochs', kind: 'int', default: 2, min: 1, description: 'Epochs to fit the risk heads' },
    { name: 'max-samples', kind: 'int', default: 5000, min: 1, description: 'Fit the risk heads on at most this many samples (the first ones); every sample is scored' },
    { name: 'seed', kind: 'int', default: 0, min: 0, description: 'Random seed' },
    { name: 'save-risk-model', kind: 'path', placeholder: '<dir>', description: 'Save the fitted risk model here' },
    { name: 'risk-model', kind: 'path', placeholder: '<dir>', description: 'Score with a saved risk model (no fitting)' },
    { name: 'workers', kind: 'int', default: 1, min: 1, description: 'Scoring threads, each with its own engine (1 = the main thread)' },
    { name: 'chunk-size', kind: 'int', default: 256, min: 1, description: 'Images read and scored at a time (memory, seeding and resumption unit)' },
    { name: 'queue', kind: 'string', placeholder: '<redis://host:port/db>', description: 'Score through BullMQ workers (dbvae worker) on this Redis' },
    { name: 'job', kind: 'string', placeholder: '<name>', description: 'Queued job name (default: derived from --data, --out and the risk model); rerun with it to resume' },
    { name: 'shard-size', kind: 'int', default: 4096, min: 1, description: 'Images per queued shard (a multiple of --chunk-size)' },
  ],
  examples: [
    'dbvae risk --model models/standard --data data/synth/train.h5 --wrapper histogram-vae --save-risk-model models/risk --out risk.csv --report report/risk',
    'dbvae risk --risk-model models/risk --data data/all-images.txt --workers 2 --out risk.json',
    'dbvae risk --risk-model /shared/risk --data /shared/faces.h5 --queue redis://127.0.0.1:6379/0 --out risk.csv   # then: dbvae worker --queue redis://127.0.0.1:6379/0',
  ],
  toOptions: (v, io) => {
    const out = str(v, 'out');
    try {
      riskFormatFromPath(out);
    } catch (error) {
      throw new UsageError((error as Error).message, 'risk', { cause: error });
    }
    const path = (name: string): string | undefined => (v[name] === undefined ? undefined : resolvePath(io, str(v, name)));
    const riskModel = path('risk-model');
    if (riskModel === undefined && (v.model === undefined || v.wrapper === undefined)) throw new UsageError('give --model and --wrapper to fit a risk model, or --risk-model <dir> to score with a saved one.', 'risk');
    if (riskModel !== undefined && v['save-risk-model'] !== undefined) throw new UsageError('--risk-model scores with a saved risk model; --save-risk-model saves a newly fitted one: give one of them.', 'risk');
    const chunkSize = v['chunk-size'] as number;
    const shardSize = v['shard-size'] as number;
    if (v.queue !== undefined && shardSize % chunkSize !== 0) throw new UsageError(`--shard-size (${shardSize}) must be a multiple of --chunk-size (${chunkSize}).`, 'risk');
    return {
      model: path('model'),
      data: resolvePath(io, str(v, 'data')),
      wrapper: v.wrapper as WrapperKind | undefined,
      out: resolvePath(io, out),
      report: path('report'),
      epochs: v.epochs as number,
      maxSamples: v['max-samples'] as number,
      seed: v.seed as number,
      riskModel,
      saveRiskModel: path('save-risk-model'),
      workers: v.workers as number,
      chunkSize,
      queue: v.queue as string | undefined,
      job: v.job as string | undefined,
      shardSize,
    };
  },
  run: runRisk,
};
