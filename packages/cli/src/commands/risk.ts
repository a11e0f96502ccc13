import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { requireInput, resolvePath, str, type CliIO, type CommandDefinition } from '../command';
import { InputError, UsageError } from '../errors';
import { loadStoredModel, MODEL_MANIFEST, type ModelManifest } from '../model-store';
import { ProgressBar } from '../progress';
import { averageFacesPerPercentile, extremeImages } from '../report/face-grids';
import type { AccuracyVsRiskSeries, ReportData } from '../report/types';
import { writeReport } from '../report/write-report';
import { riskFormatFromPath, writeRiskScores, type RiskScoreRow } from '../risk-output';
import { RISK_SOURCE, WRAPPER_KINDS, type FittedRisk, type WrapperKind } from '../risk-scoring';

export type { WrapperKind };

/** Options of `dbvae risk`. */
export interface RiskOptions {
  /** Folder written by `dbvae train`. */
  model: string;
  /**
   * Lab-layout HDF5 file the risk components are fitted on (labels used). Default: the training
   * file recorded in the model's manifest by `dbvae train`. Never the scored data.
   */
  fit?: string;
  /** Lab-layout HDF5 file or folder of images to score. */
  data: string;
  wrapper: WrapperKind;
  /** Per-sample scores file (.csv or .json). */
  out: string;
  /** Report folder, if any. */
  report?: string;
  /** Epochs to fit the wrapper's risk components on the fit set. */
  epochs: number;
  /** Score at most this many samples of `data` (the first ones). */
  maxSamples: number;
  /** Fit on at most this many images of the fit set (a seeded uniform subset). Default 4000. */
  maxFitSamples?: number;
  seed: number;
}

interface RiskData {
  images: Uint8Array;
  labels: Uint8Array;
  files?: string[];
  groups?: string[];
  n: number;
  height: number;
  width: number;
}

async function loadRiskData(path: string, maxSamples: number, size: [number, number]): Promise<RiskData> {
  const core = await import('@dbvae/core-data');
  const cut = <T extends { slice(a: number, b: number): T }>(a: T, n: number, per = 1) => a.slice(0, n * per);
  if ((await stat(path)).isFile()) {
    const d = await core.readLabH5(path);
    const n = Math.min(d.n, maxSamples);
    const images = cut(d.images, n, d.height * d.width * 3);
    if (d.channelOrder === 'bgr') core.swapRedBlueInPlace(images);
    return { images, labels: cut(d.labels, n), n, height: d.height, width: d.width };
  }
  const entries = await readdir(path, { withFileTypes: true });
  const grouped = entries.some((e) => e.isDirectory());
  const d = await core.loadImageFolder(path, { groups: grouped, size });
  const n = Math.min(d.files.length, maxSamples);
  const sz = d.height * d.width * 3;
  return { images: d.images.slice(0, n * sz), labels: new Uint8Array(n).fill(1), files: d.files.slice(0, n), groups: grouped ? d.groups.slice(0, n) : undefined, n, height: d.height, width: d.width };
}

/** The fit set: a seeded uniform subset (in file order) of at most `maxSamples` images of a lab-layout file, as RGB. */
async function loadFitData(path: string, maxSamples: number, seed: number): Promise<RiskData> {
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
async function resolveFitPath(options: RiskOptions, manifest: ModelManifest): Promise<string> {
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

/** Images scored per chunk (a multiple of the prediction batch). */
const CHUNK = 256;

/**
 * Fits a risk estimator on the fit set (`--fit`, default the model's training file) and scores
 * every sample of `options.data` with it, chunk by chunk ({@link fitRisk}, {@link scoreRiskChunk}):
 * the scored data never train anything, and the model folder is only read. Writes the
 * per-sample scores (CSV or JSON by extension) and, with `--report`, the accuracy-versus-risk
 * report. Images of a folder are taken as faces (label 1).
 * @throws InputError for a missing model, fit or data path, an unwritable output, or a DB-VAE model (the wrappers need the standard CNN).
 */
export async function runRisk(options: RiskOptions, io: CliIO): Promise<void> {
  await requireInput(options.model, 'dir', '--model');
  await requireInput(options.data, 'any', '--data');
  await requireWritable(options.out, '--out');
  const { initBackend } = await import('@dbvae/backend');
  const rw = await import('@dbvae/risk-wrappers');
  const { fitRisk, scoreRiskChunk } = await import('../risk-scoring');
  await initBackend();
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
    const data = await loadRiskData(options.data, options.maxSamples, [h, w]);
    if (data.height !== h || data.width !== w) throw new InputError(`--data ${options.data}: images are ${data.height}x${data.width} but the model takes ${h}x${w}.`);
    const copies = RISK_SOURCE[options.wrapper] === 'retrained-copy';
    io.stderr.write(`Fitting ${options.wrapper} on ${fitData.n} images of ${fitPath} (the model is frozen and its predictions are its own${copies ? `; ${options.wrapper === 'ensemble' ? 'the ensemble members are copies' : 'MC dropout runs in a copy'} trained on these images` : ''})\n`);
    const fitBar = new ProgressBar({ total: options.epochs, label: `fitting ${options.wrapper}`, stream: io.stderr });
    fitted = await fitRisk(stored.classifier, fitData, { wrapper: options.wrapper, epochs: options.epochs, seed: options.seed, onEpochEnd: (_e, loss) => fitBar.tick(1, `loss ${loss.toFixed(4)}`) });
    fitBar.done();
    const scoreBar = new ProgressBar({ total: data.n, label: 'scoring', stream: io.stderr });
    const rows: RiskScoreRow[] = [];
    const size = h * w * 3;
    for (let start = 0; start < data.n; start += CHUNK) {
      const end = Math.min(data.n, start + CHUNK);
      rows.push(
        ...scoreRiskChunk(fitted, {
          images: data.images.subarray(start * size, end * size),
          height: h,
          width: w,
          offset: start,
          labels: data.labels.subarray(start, end),
          files: data.files?.slice(start, end),
          groups: data.groups?.slice(start, end),
        }),
      );
      scoreBar.tick(end - start);
    }
    scoreBar.done();
    await writeRiskScores(options.out, rows);
    io.stdout.write(`Wrote ${data.n} rows to ${options.out}\n`);
    if (options.report) {
      const correct = rows.map((r) => ((r.prediction as number) >= 0.5 ? 1 : 0) === r.label ? 1 : 0);
      const numChunks = Math.min(10, data.n);
      const scores: Partial<Record<'bias' | 'epistemic' | 'aleatoric', Float64Array>> = {};
      for (const r of ['bias', 'epistemic', 'aleatoric'] as const) if (rows[0]?.[r] !== undefined) scores[r] = Float64Array.from(rows, (row) => row[r] as number);
      const series: AccuracyVsRiskSeries[] = Object.entries(scores).map(([r, s]) => ({ risk: r, label: 'Standard CNN', chunks: rw.accuracyVsRisk(s, correct, { numChunks }) }));
      const packed = { data: data.images, n: data.n, width: w, height: h };
      const report: ReportData = {
        title: `Risk of the standard CNN (${options.wrapper})`,
        subtitle: `${data.n} samples of ${options.data}, scored by the ${options.wrapper} wrapper fitted on ${fitData.n} images of ${fitPath}. Bias is a log-density: lower means less represented. Predictions are the frozen model's own${copies ? `; the epistemic risk comes from ${options.wrapper === 'ensemble' ? 'ensemble members' : 'an MC-dropout copy'} trained on the fit set` : ''}.`,
        accuracyVsRisk: series,
        imageGrids: scores.bias
          ? [
              { title: 'Average image per bias percentile (least represented first)', rows: [averageFacesPerPercentile(packed, scores.bias, numChunks)] },
              { title: 'Least and most represented samples', rows: extremeImages(packed, scores.bias, Math.min(8, data.n)) },
            ]
          : undefined,
        settings: { model: options.model, fit: fitPath, data: options.data, wrapper: options.wrapper, riskSource: RISK_SOURCE[options.wrapper], epochs: options.epochs, fitSamples: fitData.n, samples: data.n, seed: options.seed },
      };
      const written = await writeReport(options.report, report);
      io.stdout.write(`Report: ${written.indexPath}\n`);
    }
  } finally {
    fitted?.dispose();
    stored.dispose();
  }
}

/** `dbvae risk`. */
export const riskCommand: CommandDefinition<RiskOptions> = {
  name: 'risk',
  summary: 'Per-sample risk scores (bias, epistemic, aleatoric) as CSV/JSON, plus a report.',
  description:
    "Wraps a standard CNN trained by dbvae train with a risk estimator fitted on --fit (default: the training file recorded when the model was trained; never on --data) and scores every sample of --data (an HDF5 file, or a folder of images, with one sub-folder per group or not; folder images count as faces). The model is frozen and only read: the prediction column is its own face probability, as in dbvae evaluate. histogram-vae (representation bias as a log-density, higher = better represented, and epistemic uncertainty) and mve (aleatoric) fit parts around the frozen model; dropout (Monte Carlo dropout) and ensemble (epistemic) train copies of the model on --fit (column riskSource says retrained-copy). Writes one row per sample (index, file, group, label, prediction, bias, epistemic, aleatoric, predictionSource, riskSource) to --out, as CSV or JSON by its extension, and with --report an HTML report of accuracy against risk percentile.",
  options: [
    { name: 'model', kind: 'path', required: true, placeholder: '<dir>', description: 'Model folder written by dbvae train' },
    { name: 'data', kind: 'path', required: true, placeholder: '<h5|folder>', description: 'Data to score: lab-layout HDF5 file or folder of images' },
    { name: 'wrapper', kind: 'choice', choices: WRAPPER_KINDS, required: true, description: 'Risk estimator' },
    { name: 'fit', kind: 'path', placeholder: '<train.h5>', description: "Labelled lab-layout HDF5 file the risk is fitted on (default: the model's training file)" },
    { name: 'out', kind: 'path', default: 'risk.csv', placeholder: '<file.csv|file.json>', description: 'Per-sample scores' },
    { name: 'report', kind: 'path', placeholder: '<dir>', description: 'Also write an HTML report here' },
    { name: 'epochs', kind: 'int', default: 2, min: 1, description: 'Epochs to fit the risk on --fit' },
    { name: 'max-samples', kind: 'int', default: 5000, min: 1, description: 'Score at most this many samples of --data (the first ones)' },
    { name: 'max-fit-samples', kind: 'int', default: 4000, min: 1, description: 'Fit on at most this many images of --fit (a seeded uniform subset)' },
    { name: 'seed', kind: 'int', default: 0, min: 0, description: 'Random seed' },
  ],
  examples: [
    'dbvae risk --model models/standard --data data/synth/test --wrapper histogram-vae --out risk.csv --report report/risk',
    'dbvae risk --model models/standard --fit data/synth/train.h5 --data data/synth/test --wrapper mve --out risk.json',
    'dbvae risk --model models/standard --data data/synth/test --wrapper dropout --out risk-dropout.csv',
  ],
  toOptions: (v, io) => {
    const out = str(v, 'out');
    try {
      riskFormatFromPath(out);
    } catch (error) {
      throw new UsageError((error as Error).message, 'risk', { cause: error });
    }
    return {
      model: resolvePath(io, str(v, 'model')),
      fit: v.fit === undefined ? undefined : resolvePath(io, str(v, 'fit')),
      data: resolvePath(io, str(v, 'data')),
      wrapper: str(v, 'wrapper') as WrapperKind,
      out: resolvePath(io, out),
      report: v.report === undefined ? undefined : resolvePath(io, str(v, 'report')),
      epochs: v.epochs as number,
      maxSamples: v['max-samples'] as number,
      maxFitSamples: v['max-fit-samples'] as number,
      seed: v.seed as number,
    };
  },
  run: runRisk,
};
