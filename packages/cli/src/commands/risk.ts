import { requireInput, resolvePath, str, type CliIO, type CommandDefinition } from '../command';
import { readdir, stat } from 'node:fs/promises';
import { InputError, UsageError } from '../errors';
import { loadStoredModel } from '../model-store';
import { isRiskScoresFile, withOutputs, type OutputClaim } from '../output-dir';
import { ProgressBar } from '../progress';
import { averageFacesPerPercentile, extremeImages } from '../report/face-grids';
import type { AccuracyVsRiskSeries, ReportData } from '../report/types';
import { writeReport } from '../report/write-report';
import { riskFormatFromPath, writeRiskScores, type RiskScoreRow } from '../risk-output';

/** Risk estimators `dbvae risk` can wrap a model with. */
export type WrapperKind = 'histogram-vae' | 'mve' | 'dropout' | 'ensemble';

/** Options of `dbvae risk`. */
export interface RiskOptions {
  /** Folder written by `dbvae train`. */
  model: string;
  /** Lab-layout HDF5 file or folder of images. */
  data: string;
  wrapper: WrapperKind;
  /** Per-sample scores file (.csv or .json). */
  out: string;
  /** Report folder, if any. */
  report?: string;
  /** Epochs to fit the wrapper's risk heads. */
  epochs: number;
  /** Use at most this many samples (the first ones). */
  maxSamples: number;
  seed: number;
  /** Replace an existing `out` file or a previous report in `report`. */
  force?: boolean;
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

const WRAP_OPTIONS = {
  'histogram-vae': { bias: true, epistemic: 'vae', vae: { latentDim: 32, decoder: 'auto' } },
  mve: { aleatoric: true },
  dropout: { epistemic: 'dropout' },
  ensemble: { epistemic: 'ensemble' },
} as const;

/**
 * Wraps the model with a risk estimator, fits its risk heads on `options.data`, scores every
 * sample, writes the per-sample scores (CSV or JSON by extension) and, with `--report`, the
 * accuracy-versus-risk report. Images of a folder are taken as faces (label 1).
 * @throws InputError for a missing model or data path, or a DB-VAE model (the wrappers need the standard CNN).
 */
export async function runRisk(options: RiskOptions, io: CliIO): Promise<void> {
  await requireInput(options.model, 'dir', '--model');
  await requireInput(options.data, 'any', '--data');
  const inputs = [options.model, options.data];
  const claims: OutputClaim[] = [{ path: options.out, flag: '--out', command: 'dbvae risk', type: 'file', isOwnFile: isRiskScoresFile, force: options.force, inputs, cwd: io.cwd }];
  if (options.report) claims.push({ path: options.report, flag: '--report', command: 'dbvae risk', type: 'dir', kind: 'report', force: options.force, inputs, cwd: io.cwd });
  await withOutputs(claims, () => riskClaimed(options, io));
}

async function riskClaimed(options: RiskOptions, io: CliIO): Promise<void> {
  const { initBackend, tf } = await import('@dbvae/backend');
  const { uint8ToFloatBatch } = await import('@dbvae/core-data');
  const rw = await import('@dbvae/risk-wrappers');
  await initBackend();
  const stored = await loadStoredModel(options.model);
  if (!stored.classifier) {
    stored.dispose();
    throw new InputError(`--model ${options.model}: risk wrappers wrap the standard CNN; train one with 'dbvae train --model standard' (the DB-VAE scores its own bias in 'dbvae demo').`);
  }
  const [h, w] = stored.manifest.inputShape;
  const data = await loadRiskData(options.data, options.maxSamples, [h, w]);
  if (data.height !== h || data.width !== w) throw new InputError(`--data ${options.data}: images are ${data.height}x${data.width} but the model takes ${h}x${w}.`);
  const x = uint8ToFloatBatch(data.images, { height: h, width: w });
  const y = tf.tensor2d(Array.from(data.labels), [data.n, 1]);
  const wrapper = rw.wrap(stored.classifier, { ...WRAP_OPTIONS[options.wrapper], seed: options.seed });
  try {
    wrapper.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const steps = Math.ceil(data.n / 32);
    const bar = new ProgressBar({ total: options.epochs, label: `fitting ${options.wrapper}`, stream: io.stderr });
    await wrapper.fit(x, y, { epochs: options.epochs, batchSize: 32, seed: options.seed, callbacks: { onEpochEnd: () => bar.tick() } });
    bar.done(`${steps} steps per epoch`);
    const risk = wrapper.predict(x);
    let probs: Float32Array;
    const scores: Partial<Record<'bias' | 'epistemic' | 'aleatoric', Float32Array>> = {};
    try {
      probs = tf.tidy(() => tf.sigmoid(risk.yHat).dataSync() as Float32Array);
      for (const r of ['bias', 'epistemic', 'aleatoric'] as const) {
        const t = risk[r];
        if (t) scores[r] = t.dataSync() as Float32Array;
      }
    } finally {
      risk.dispose();
    }
    const rows: RiskScoreRow[] = Array.from({ length: data.n }, (_, i) => ({
      index: i,
      file: data.files?.[i],
      group: data.groups?.[i],
      label: data.labels[i],
      prediction: probs[i],
      bias: scores.bias?.[i],
      epistemic: scores.epistemic?.[i],
      aleatoric: scores.aleatoric?.[i],
    }));
    await writeRiskScores(options.out, rows);
    io.stdout.write(`Wrote ${data.n} rows to ${options.out}\n`);
    if (options.report) {
      const correct = Array.from(probs, (p, i) => ((p >= 0.5 ? 1 : 0) === data.labels[i] ? 1 : 0));
      const numChunks = Math.min(10, data.n);
      const series: AccuracyVsRiskSeries[] = Object.entries(scores).map(([r, s]) => ({ risk: r, label: 'Standard CNN', chunks: rw.accuracyVsRisk(s, correct, { numChunks }) }));
      const packed = { data: data.images, n: data.n, width: w, height: h };
      const report: ReportData = {
        title: `Risk of the standard CNN (${options.wrapper})`,
        subtitle: `${data.n} samples of ${options.data}, scored by the ${options.wrapper} wrapper.`,
        accuracyVsRisk: series,
        imageGrids: scores.bias
          ? [
              { title: 'Average image per bias percentile', rows: [averageFacesPerPercentile(packed, scores.bias, numChunks)] },
              { title: 'Least and most represented samples', rows: extremeImages(packed, scores.bias, Math.min(8, data.n)) },
            ]
          : undefined,
        settings: { model: options.model, data: options.data, wrapper: options.wrapper, epochs: options.epochs, samples: data.n, seed: options.seed },
      };
      const written = await writeReport(options.report, report);
      io.stdout.write(`Report: ${written.indexPath}\n`);
    }
  } finally {
    x.dispose();
    y.dispose();
    wrapper.dispose();
    stored.dispose();
  }
}

/** `dbvae risk`. */
export const riskCommand: CommandDefinition<RiskOptions> = {
  name: 'risk',
  summary: 'Per-sample risk scores (bias, epistemic, aleatoric) as CSV/JSON, plus a report.',
  description:
    'Wraps a standard CNN trained by dbvae train with a risk estimator, fits its risk heads on --data (images of a folder count as faces) and scores every sample: histogram-vae (representation bias and epistemic uncertainty), mve (aleatoric), dropout (epistemic, Monte Carlo dropout) or ensemble (epistemic). Writes one row per sample (index, file, group, label, prediction and the risk columns) to --out, as CSV or JSON by its extension, and with --report an HTML report of accuracy against risk percentile.',
  options: [
    { name: 'model', kind: 'path', required: true, placeholder: '<dir>', description: 'Model folder written by dbvae train' },
    { name: 'data', kind: 'path', required: true, placeholder: '<h5|folder>', description: 'Lab-layout HDF5 file or folder of images' },
    { name: 'wrapper', kind: 'choice', choices: ['histogram-vae', 'mve', 'dropout', 'ensemble'], required: true, description: 'Risk estimator' },
    { name: 'out', kind: 'path', default: 'risk.csv', placeholder: '<file.csv|file.json>', description: 'Per-sample scores' },
    { name: 'report', kind: 'path', placeholder: '<dir>', description: 'Also write an HTML report here' },
    { name: 'epochs', kind: 'int', default: 2, min: 1, description: 'Epochs to fit the risk heads' },
    { name: 'max-samples', kind: 'int', default: 5000, min: 1, description: 'Use at most this many samples (the first ones)' },
    { name: 'seed', kind: 'int', default: 0, min: 0, description: 'Random seed' },
    { name: 'force', kind: 'boolean', description: 'Replace an existing --out file or a previous report in --report' },
  ],
  examples: ['dbvae risk --model models/standard --data data/synth/train.h5 --wrapper histogram-vae --out risk.csv --report report/risk', 'dbvae risk --model models/standard --data data/synth/test --wrapper dropout --out risk.json'],
  toOptions: (v, io) => {
    const out = str(v, 'out');
    try {
      riskFormatFromPath(out);
    } catch (error) {
      throw new UsageError((error as Error).message, 'risk', { cause: error });
    }
    return {
      model: resolvePath(io, str(v, 'model')),
      data: resolvePath(io, str(v, 'data')),
      wrapper: str(v, 'wrapper') as WrapperKind,
      out: resolvePath(io, out),
      report: v.report === undefined ? undefined : resolvePath(io, str(v, 'report')),
      epochs: v.epochs as number,
      maxSamples: v['max-samples'] as number,
      seed: v.seed as number,
      force: v.force === true,
    };
  },
  run: runRisk,
};
