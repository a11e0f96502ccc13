import { constants, existsSync } from 'node:fs';
import { access, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import packageJson from '../../package.json';
import { requireInput, resolvePath, str, type CliIO, type CommandDefinition } from '../command';
import { InputError, UsageError } from '../errors';
import { writeDirAtomic } from '../fs-atomic';
import { loadStoredModel, MODEL_MANIFEST, type ModelManifest } from '../model-store';
import { isRiskScoresFile, withOutputs, type OutputClaim } from '../output-dir';
import { ProgressBar } from '../progress';
import type { AccuracyVsRiskSeries, ReportData } from '../report/types';
import { writeReport } from '../report/write-report';
import { riskFormatFromPath } from '../risk-output';
import { RISK_SOURCE, WRAPPER_KINDS, type FittedRisk, type WrapperKind } from '../risk-scoring';
import { resumablePaths } from '../scoring/resumable-output';
import { readRiskModelManifest, RISK_MODEL_MANIFEST, saveRiskModel } from '../scoring/risk-model-store';
import { scoreToFile } from '../scoring/score-to-file';

export type { WrapperKind };

const CLI_VERSION: string = packageJson.version;

/** Options of `dbvae risk`. */
export interface RiskOptions {
  /** Folder written by `dbvae train` (not needed with `riskModel`). */
  model?: string;
  /**
   * Lab-layout HDF5 file the risk components are fitted on (labels used). Default: the training
   * file recorded in the model's manifest by `dbvae train`. Never the scored data.
   */
  fit?: string;
  /** Data to score, streaming: lab-layout HDF5 file, folder of images (with group sub-folders or not) or text list of image paths. */
  data: string;
  /** Risk estimator to fit (not needed with `riskModel`). */
  wrapper?: WrapperKind;
  /** Per-sample scores file (.csv or .json). */
  out: string;
  /** Report folder, if any. */
  report?: string;
  /** Epochs to fit the wrapper's risk components on the fit set. */
  epochs: number;
  /** Score only the first this many samples of `data` (default: all of them). */
  maxSamples?: number;
  /** Fit on at most this many images of the fit set (a seeded uniform subset). Default 4000. */
  maxFitSamples?: number;
  /** Seed of the wrapper's initialisers and sampling. */
  seed: number;
  /** A fitted risk model folder to score with (skips fitting). */
  riskModel?: string;
  /** Save the fitted risk model here. */
  saveRiskModel?: string;
  /** Scoring threads (1 = the main thread). Default 1. */
  workers?: number;
  /** Images per chunk: the unit of reading, seeding and resumption. Default 256. */
  chunkSize?: number;
  /** `redis://HOST:PORT/DB`: score through BullMQ workers (`dbvae worker`) instead of locally. */
  queue?: string;
  /** Name of the queued job (a restarted coordinator with the same name resumes it). */
  job?: string;
  /** Images per queued shard (a multiple of the chunk size). Default 4096. */
  shardSize?: number;
  /** Replace an existing `out` file, a previous report in `report` or a risk model in `saveRiskModel`. */
  force?: boolean;
}

interface FitData {
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
  height: number;
  width: number;
}

/** The fit set: a seeded uniform subset (in file order) of at most `maxSamples` images of a lab-layout file, as RGB. */
async function loadFitData(path: string, maxSamples: number, seed: number): Promise<FitData> {
  const { createRandom } = await import('@dbvae/backend');
  const core = await import('@dbvae/core-data');
  const d = await core.readLabH5(path);
  const size = d.height * d.width * 3;
  const k = Math.min(d.n, maxSamples);
  const picked = k === d.n ? Int32Array.from({ length: d.n }, (_, i) => i) : core.sampleUniformWithoutReplacement(d.n, k, createRandom(seed)).sort();
  const images = new Uint8Array(k * size);
  const labels = new Uint8Array(k);
  picked.forEach((row, i) => {
    images.set(d.images.subarray(row * size, (row + 1) * size), i * size);
    labels[i] = d.labels[row] as number;
  });
  if (d.channelOrder === 'bgr') core.swapRedBlueInPlace(images);
  return { images, labels, n: k, height: d.height, width: d.width };
}

/** The fit file: `--fit`, else the training file recorded by `dbvae train`. @throws InputError when neither names an existing file. */
async function resolveFitPath(options: RiskOptions & { model: string }, manifest: ModelManifest): Promise<string> {
  if (options.fit !== undefined) {
    await requireInput(options.fit, 'file', '--fit');
    return options.fit;
  }
  const recorded = manifest.settings['data'];
  if (typeof recorded !== 'string' || recorded === '') {
    throw new InputError(`--model ${options.model}: its ${MODEL_MANIFEST} records no training file; name the data to fit the risk on with --fit <train.h5> (not the data you score).`);
  }
  try {
    await requireInput(recorded, 'file', 'the training file');
  } catch (cause) {
    throw new InputError(`--model ${options.model} was trained on ${recorded}, which is no longer there; pass the training file (or another labelled set from the same distribution) with --fit <train.h5>.`, { cause });
  }
  return recorded;
}

/** Checks before any work that `path` can be created: its folder exists and is writable. */
async function requireWritable(path: string, flag: string): Promise<void> {
  const dir = dirname(path);
  try {
    await access(dir, constants.W_OK);
  } catch (cause) {
    throw new InputError(`${flag} ${path}: cannot write into ${dir}; create the folder or choose another path.`, { cause });
  }
}

/**
 * Fits a risk estimator on the fit set (`--fit`, default the model's training file; never the
 * scored data) with {@link fitRisk} and saves it, with the frozen model, as a risk model folder
 * (atomically): what `--risk-model` and the queue workers load.
 * @throws InputError for a missing model or fit file, or a DB-VAE model (the wrappers need the standard CNN).
 */
export async function fitRiskModel(options: RiskOptions & { model: string; wrapper: WrapperKind }, dir: string, io: CliIO): Promise<void> {
  await requireInput(options.model, 'dir', '--model');
  const { fitRisk } = await import('../risk-scoring');
  const stored = await loadStoredModel(options.model);
  let fitted: FittedRisk | undefined;
  try {
    if (!stored.classifier) {
      throw new InputError(`--model ${options.model}: risk wrappers wrap the standard CNN; train one with 'dbvae train --model standard' (the DB-VAE scores its own bias in 'dbvae demo').`);
    }
    const fitPath = await resolveFitPath(options, stored.manifest);
    if (resolve(fitPath) === resolve(options.data)) io.stderr.write(`note: --data is the fit set itself (${fitPath}); its scores are in-sample.\n`);
    const [h, w] = stored.manifest.inputShape;
    const fitData = await loadFitData(fitPath, options.maxFitSamples ?? 4000, options.seed);
    if (fitData.height !== h || fitData.width !== w) throw new InputError(`--fit ${fitPath}: images are ${fitData.height}x${fitData.width} but the model takes ${h}x${w}.`);
    const copies = RISK_SOURCE[options.wrapper] === 'retrained-copy';
    io.stderr.write(`Fitting ${options.wrapper} on ${fitData.n} images of ${fitPath} (the model is frozen and its predictions are its own${copies ? `; ${options.wrapper === 'ensemble' ? 'the ensemble members are copies' : 'MC dropout runs in a copy'} trained on these images` : ''})\n`);
    const fitBar = new ProgressBar({ total: options.epochs, label: `fitting ${options.wrapper}`, stream: io.stderr });
    fitted = await fitRisk(stored.classifier, fitData, { wrapper: options.wrapper, epochs: options.epochs, seed: options.seed, onEpochEnd: (_e, loss) => fitBar.tick(1, `loss ${loss.toFixed(4)}`) });
    fitBar.done();
    const done = fitted;
    await writeDirAtomic(dir, (tmp) =>
      saveRiskModel(tmp, done, {
        cliVersion: CLI_VERSION,
        wrapper: options.wrapper,
        inputShape: [h, w, 3],
        settings: { model: options.model, fit: fitPath, fitSamples: fitData.n, epochs: options.epochs, seed: options.seed },
      }),
    );
  } finally {
    fitted?.dispose();
    stored.dispose();
  }
}

/**
 * Scores every sample of `options.data` with a risk model, streaming. Unless `riskModel` names a
 * saved one, first fits one on the fit set (`--fit`, default the model's training file; never
 * the scored data; see {@link fitRiskModel}) and saves it (`saveRiskModel`, or a temporary
 * folder). Then reads the data in chunks, scores them on `workers` threads (or through BullMQ
 * workers with `queue`), appends rows in input order and writes the CSV/JSON atomically; rerun
 * after an interruption, it resumes after the last complete chunk. The prediction column is the
 * frozen model's own output for post-hoc wrappers (column predictionSource says which). With
 * `--report`, also writes the accuracy-versus-risk report. Images of a folder or list are taken
 * as faces (label 1).
 * @throws UsageError when neither a risk model nor a model and wrapper are given;
 *   InputError for a missing model, fit or data path, an unwritable output, or a DB-VAE model.
 */
export async function runRisk(options: RiskOptions, io: CliIO): Promise<void> {
  await requireInput(options.data, 'any', '--data');
  const inputs = [options.model, options.data, options.fit, options.riskModel].filter((p): p is string => p !== undefined);
  const claims: OutputClaim[] = [{ path: options.out, flag: '--out', command: 'dbvae risk', type: 'file', isOwnFile: isRiskScoresFile, force: options.force, inputs, cwd: io.cwd }];
  if (options.report) claims.push({ path: options.report, flag: '--report', command: 'dbvae risk', type: 'dir', kind: 'report', force: options.force, inputs, cwd: io.cwd });
  if (options.saveRiskModel) await requireOwnRiskModelDir(options.saveRiskModel, options.force === true);
  await withOutputs(claims, () => riskClaimed(options, io));
}

/**
 * `--save-risk-model` is replaced only when it holds a previous risk model and `--force` is given;
 * any other non-empty folder (or a file) is refused before any work.
 */
async function requireOwnRiskModelDir(dir: string, force: boolean): Promise<void> {
  const { readdir, stat } = await import('node:fs/promises');
  if (!existsSync(dir)) return;
  if (!(await stat(dir)).isDirectory()) throw new InputError(`--save-risk-model ${dir} is a file; give a new or empty folder.`);
  const entries = await readdir(dir);
  if (entries.length === 0) return;
  if (!existsSync(join(dir, RISK_MODEL_MANIFEST))) throw new InputError(`--save-risk-model ${dir} is a folder with ${entries.length} entries that were not written by dbvae; it is never replaced. Give a new or empty folder.`);
  if (!force) throw new InputError(`--save-risk-model ${dir} holds a previous risk model; pass --force to replace it, or give another folder.`);
}

async function riskClaimed(options: RiskOptions, io: CliIO): Promise<void> {
  await requireWritable(options.out, '--out');
  const { workers = 1, chunkSize = 256, shardSize = 4096 } = options;
  const { initBackend } = await import('@dbvae/backend');
  await initBackend();
  let riskModelDir = options.riskModel;
  let ownRiskModel: string | undefined;
  try {
    if (riskModelDir === undefined) {
      if (options.model === undefined || options.wrapper === undefined) throw new UsageError('give --model and --wrapper to fit a risk model, or --risk-model <dir> to score with a saved one.', 'risk');
      if (options.queue !== undefined && options.saveRiskModel === undefined) throw new UsageError('--queue needs the risk model in a folder every worker can read: add --save-risk-model <dir> (or score with --risk-model <dir>).', 'risk');
      if (options.saveRiskModel === undefined) {
        // Threads load the fitted model from a folder, so it is saved beside the output while the
        // run lasts; an interrupted run is resumed with it (a refit would be another model).
        ownRiskModel = `${options.out}.risk-model`;
        riskModelDir = ownRiskModel;
      } else riskModelDir = options.saveRiskModel;
      const interrupted = ownRiskModel !== undefined && existsSync(resumablePaths(options.out).progress) && existsSync(join(ownRiskModel, RISK_MODEL_MANIFEST));
      if (interrupted) io.stderr.write(`Resuming with the risk model fitted by the interrupted run (${ownRiskModel}).\n`);
      else {
        await fitRiskModel({ ...options, model: options.model, wrapper: options.wrapper }, riskModelDir, io);
        if (options.saveRiskModel !== undefined) io.stdout.write(`Risk model: ${options.saveRiskModel}\n`);
      }
    } else {
      await requireInput(riskModelDir, 'dir', '--risk-model');
    }
    if (options.queue !== undefined) {
      const { runCoordinator } = await import('../queue/coordinator');
      const result = await runCoordinator({ url: options.queue, data: options.data, riskModelDir, out: options.out, chunkSize, shardSize, seed: options.seed, jobName: options.job, limit: options.maxSamples }, io);
      io.stdout.write(`Wrote ${result.rows} rows to ${options.out}${result.failed > 0 ? ` (${result.failed} failed, see the error column)` : ''}\n`);
    } else {
      const result = await scoreToFile({ data: options.data, riskModelDir, out: options.out, chunkSize, workers, seed: options.seed, limit: options.maxSamples }, io);
      io.stdout.write(`Wrote ${result.rows} rows to ${options.out}${result.failed > 0 ? ` (${result.failed} failed, see the error column)` : ''}\n`);
    }
    if (options.report) {
      const written = await writeRiskReport(options.report, options.out, options.data, riskModelDir, { ...options, chunkSize });
      io.stdout.write(`Report: ${written}\n`);
    }
    // Only a finished run drops the risk model it fitted for itself.
    if (ownRiskModel) await rm(ownRiskModel, { recursive: true, force: true });
  } catch (error) {
    if (ownRiskModel && !existsSync(resumablePaths(options.out).progress)) await rm(ownRiskModel, { recursive: true, force: true });
    throw error;
  }
}

/** Writes the accuracy-versus-risk report from a finished scores file (a second, streaming pass over the images for the face grids). */
async function writeRiskReport(reportDir: string, out: string, data: string, riskModelDir: string, options: RiskOptions & { chunkSize: number }): Promise<string> {
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
    subtitle: `${rows.length} samples of ${data}, scored by the ${manifest.wrapper} wrapper fitted on ${String(manifest.settings.fitSamples ?? '?')} images of ${String(manifest.settings.fit ?? '?')}. Bias is a log-density: lower means less represented. Predictions are the frozen model's own${manifest.riskSource === 'retrained-copy' ? `; the epistemic risk comes from ${manifest.wrapper === 'ensemble' ? 'ensemble members' : 'an MC-dropout copy'} trained on the fit set` : ''}.`,
    accuracyVsRisk: series,
    imageGrids,
    settings: { model: String(manifest.settings.model ?? ''), fit: String(manifest.settings.fit ?? ''), data, wrapper: manifest.wrapper, riskSource: manifest.riskSource, epochs: Number(manifest.settings.epochs ?? 0), samples: rows.length, seed: options.seed },
  };
  return (await writeReport(reportDir, report)).indexPath;
}

/** `dbvae risk`. */
export const riskCommand: CommandDefinition<RiskOptions> = {
  name: 'risk',
  summary: 'Per-sample risk scores (bias, epistemic, aleatoric) as CSV/JSON, plus a report.',
  description:
    "Wraps a standard CNN trained by dbvae train with a risk estimator fitted on --fit (default: the training file recorded when the model was trained; never on --data) and scores every sample of --data (an HDF5 file, a folder of images with one sub-folder per group or not, or a text file listing image paths; folder and list images count as faces): histogram-vae (representation bias as a log-density, higher = better represented, and epistemic uncertainty) and mve (aleatoric) are post-hoc: the model is frozen and the prediction column is its own output, as in dbvae evaluate; dropout (Monte Carlo dropout) and ensemble (epistemic) train copies of the model on --fit (column riskSource says retrained-copy); the prediction column is the frozen model's own face probability for every wrapper. The model folder is only read. --save-risk-model keeps the fitted risk model; --risk-model scores with a saved one (no fitting). Scoring streams: --data is read --chunk-size images at a time on --workers threads, rows are appended in input order, the CSV/JSON is written atomically at the end, and rerunning an interrupted command resumes after its last complete chunk. With --queue redis://HOST:PORT/DB the data is split into shards that any number of `dbvae worker` processes score. Writes one row per sample (index, file, group, label, prediction, bias, epistemic, aleatoric, predictionSource, riskSource, and error for images that cannot be read) to --out, as CSV or JSON by its extension, and with --report an HTML report of accuracy against risk percentile.",
  options: [
    { name: 'model', kind: 'path', placeholder: '<dir>', description: 'Model folder written by dbvae train (to fit a risk model)' },
    { name: 'data', kind: 'path', required: true, placeholder: '<h5|folder|list>', description: 'Data to score: lab-layout HDF5 file, folder of images or text list of image paths' },
    { name: 'fit', kind: 'path', placeholder: '<train.h5>', description: "Labelled lab-layout HDF5 file the risk is fitted on (default: the model's training file)" },
    { name: 'wrapper', kind: 'choice', choices: WRAPPER_KINDS, description: 'Risk estimator to fit' },
    { name: 'out', kind: 'path', default: 'risk.csv', placeholder: '<file.csv|file.json>', description: 'Per-sample scores' },
    { name: 'report', kind: 'path', placeholder: '<dir>', description: 'Also write an HTML report here' },
    { name: 'epochs', kind: 'int', default: 2, min: 1, description: 'Epochs to fit the risk on --fit' },
    { name: 'max-samples', kind: 'int', min: 1, description: 'Score only the first this many samples of --data (default: all)' },
    { name: 'max-fit-samples', kind: 'int', default: 4000, min: 1, description: 'Fit on at most this many images of --fit (a seeded uniform subset)' },
    { name: 'seed', kind: 'int', default: 0, min: 0, description: 'Random seed' },
    { name: 'save-risk-model', kind: 'path', placeholder: '<dir>', description: 'Save the fitted risk model here' },
    { name: 'risk-model', kind: 'path', placeholder: '<dir>', description: 'Score with a saved risk model (no fitting)' },
    { name: 'workers', kind: 'int', default: 1, min: 1, description: 'Scoring threads, each with its own engine (1 = the main thread)' },
    { name: 'chunk-size', kind: 'int', default: 256, min: 1, description: 'Images read and scored at a time (memory, seeding and resumption unit)' },
    { name: 'queue', kind: 'string', placeholder: '<redis://host:port/db>', description: 'Score through BullMQ workers (dbvae worker) on this Redis' },
    { name: 'job', kind: 'string', placeholder: '<name>', description: 'Queued job name (default: derived from --data, --out and the risk model); rerun with it to resume' },
    { name: 'shard-size', kind: 'int', default: 4096, min: 1, description: 'Images per queued shard (a multiple of --chunk-size)' },
    { name: 'force', kind: 'boolean', description: 'Replace an existing --out file, a previous report in --report or a risk model in --save-risk-model' },
  ],
  examples: [
    'dbvae risk --model models/standard --data data/synth/test --wrapper histogram-vae --out risk.csv --report report/risk',
    'dbvae risk --model models/standard --fit data/synth/train.h5 --data data/synth/test --wrapper mve --save-risk-model models/risk-mve --out risk.json',
    'dbvae risk --risk-model models/risk-mve --data data/all-images.txt --workers 2 --out risk-all.csv',
    'dbvae risk --risk-model /shared/risk-mve --data /shared/faces.h5 --queue redis://127.0.0.1:6379/0 --out risk.csv   # then: dbvae worker --queue redis://127.0.0.1:6379/0',
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
      fit: path('fit'),
      data: resolvePath(io, str(v, 'data')),
      wrapper: v.wrapper as WrapperKind | undefined,
      out: resolvePath(io, out),
      report: path('report'),
      epochs: v.epochs as number,
      maxSamples: v['max-samples'] as number | undefined,
      maxFitSamples: v['max-fit-samples'] as number,
      seed: v.seed as number,
      riskModel,
      saveRiskModel: path('save-risk-model'),
      workers: v.workers as number,
      chunkSize,
      queue: v.queue as string | undefined,
      job: v.job as string | undefined,
      shardSize,
      force: v.force === true,
    };
  },
  run: runRisk,
};
