import { stat } from 'node:fs/promises';
import { InputError, OutputError, UsageError } from '../errors';
import type { ParsedValues } from '../args';
import { num, requireInput, resolvePath, str, type CliIO, type CommandDefinition } from '../command';
import { writeFileAtomic, writeDirAtomic } from '../fs-atomic';
import { saveStoredModel } from '../model-store';
import { claimOutput, writeOutputMarker } from '../output-dir';
import { ProgressBar } from '../progress';
import { hasTrainCheckpoint, loadTrainCheckpoint, resolveResume, TrainingSession, type MetricsEpoch, type MetricsStep, type RestoredTraining } from '../train-checkpoint';

/** Which network `dbvae train` fits. */
export type ModelKind = 'standard' | 'dbvae';

/** Options of `dbvae train`. */
export interface TrainOptions {
  /** Training file in the lab layout (`images`, `labels`). */
  data: string;
  /** `standard` (the lab CNN) or `dbvae`. */
  model: ModelKind;
  /** Output folder for the model and `metrics.json`. */
  out: string;
  /** Training epochs. */
  epochs: number;
  /**
   * Training steps per epoch (absent = a full pass, data size / batch size); the DB-VAE refreshes
   * its sampling weights at every epoch's start, so shorter epochs refresh them more often.
   */
  stepsPerEpoch?: number;
  /** Batch size. */
  batchSize: number;
  /** DB-VAE latent size. */
  latentDim: number;
  /** DB-VAE histogram smoothing (alpha). */
  alpha: number;
  /** DB-VAE KL weight. */
  klWeight: number;
  /** DB-VAE resampling rule: the lab's `max` (default) or the paper's `product`. */
  combine?: 'max' | 'product';
  /** DB-VAE tempering of the resampling weights, `p^(1/T)` (1 = none; about the latent size tames the product rule). */
  temperature?: number;
  /** DB-VAE share of uniform sampling mixed into the weights, in [0, 1]. */
  uniformMix?: number;
  /** DB-VAE weight of the reconstruction term (1 = the lab's loss). */
  reconstructionWeight?: number;
  /** DB-VAE: resample faces each epoch (default true); false trains the same VAE classifier on uniform batches (the ablation). */
  debias?: boolean;
  /** Steps at the end of the last epoch whose weights are averaged into the saved model (0 or absent = the last step's, the lab's). */
  averageLastSteps?: number;
  /** SynthFaces `attributes.json` (default: beside `data` when present): per-epoch share of drawn faces per group. */
  attributes?: string;
  /** Adam learning rate. */
  learningRate: number;
  /** Seed of the initialisers and batches. */
  seed: number;
  /** Worker threads sharing each batch with the main thread (standard model only). Default 0. */
  workers?: number;
  /** Replace a previous `dbvae train` output in `out`. */
  force?: boolean;
  /** Continue the interrupted run in `out` with its saved settings (`data` and `model` may be left empty). */
  resume?: boolean;
}

/** Contents of `metrics.json` written by `dbvae train`. */
export interface TrainingMetrics {
  /** Which model was trained. */
  model: ModelKind;
  /** The options of the run. */
  settings: Omit<TrainOptions, 'data' | 'out' | 'force' | 'resume'> & {
    /** The training file, as given. */
    data: string;
  };
  /** Loss terms per step (`classification` only for the standard CNN). */
  steps: MetricsStep[];
  /** Mean loss terms per epoch, with seconds, throughput and (DB-VAE) the resampling statistics. */
  epochs: MetricsEpoch[];
  /** Warnings raised during training (such as posterior collapse). */
  warnings: string[];
  /** Wall-clock seconds. */
  seconds: number;
}

/**
 * Trains the chosen model on `options.data` with a progress bar, then writes the model
 * (`model/`, `dbvae-model.json`) and `metrics.json` into `options.out`, atomically. The output
 * folder is checked and locked before any work (see `claimOutput`); a checkpoint is written at
 * every epoch end and on SIGINT/SIGTERM, and `resume` continues an interrupted run exactly.
 * @returns The metrics written.
 * @throws InputError when the data file is missing or unusable; OutputError when `out` may not be written; InterruptedError after a signal (with the checkpoint saved); Hdf5LayoutError / Hdf5ReadError (from `@dbvae/core-data`) for a malformed or damaged file.
 */
export async function runTrain(options: TrainOptions, io: CliIO): Promise<TrainingMetrics> {
  options = await resolveResume(options);
  await requireInput(options.data, 'file', '--data');
  if (!options.resume && !options.force && (await hasTrainCheckpoint(options.out))) {
    throw new OutputError(`--out ${options.out} holds an interrupted 'dbvae train' run; continue it with 'dbvae train --resume ${options.out}', or pass --force to start over.`);
  }
  const claim = await claimOutput({ path: options.out, flag: options.resume ? '--resume' : '--out', command: 'dbvae train', type: 'dir', kind: 'model', force: options.force, resume: options.resume, inputs: [options.data], cwd: io.cwd });
  try {
    return await trainClaimed(options, io, claim.cleaned);
  } finally {
    await claim.release();
  }
}

async function trainClaimed(options: TrainOptions, io: CliIO, cleaned: readonly string[]): Promise<TrainingMetrics> {
  for (const path of cleaned) io.stderr.write(`Removed ${path}, left by an interrupted run.\n`);
  const { initBackend, tf } = await import('@dbvae/backend');
  const { FaceDataset } = await import('@dbvae/core-data');
  const models = await import('@dbvae/models');
  const backend = await initBackend();
  const t0 = Date.now();
  const data = await FaceDataset.fromH5(options.data, { seed: options.seed });
  // checked on a full pass even when --steps-per-epoch is given: a batch needs that many images
  const fullPass = Math.floor(data.size / options.batchSize);
  if (fullPass < 1) throw new InputError(`--data ${options.data}: ${data.size} images is fewer than one batch of ${options.batchSize}; lower --batch-size.`);
  const stepsPerEpoch = options.stepsPerEpoch ?? fullPass;
  const { height, width } = data;
  if (height !== 64 || width !== 64) throw new InputError(`--data ${options.data}: the images are ${height}x${width}, but the ${options.model === 'dbvae' ? 'DB-VAE' : 'standard CNN'} takes 64x64 images (the lab's size); resize them to 64x64 first.`);
  const dataBytes = (await stat(options.data)).size;
  const restored: RestoredTraining | undefined = options.resume ? await loadTrainCheckpoint(options.out) : undefined;
  if (restored && restored.state.dataBytes !== dataBytes) throw new InputError(`--resume ${options.out}: ${options.data} changed since the run started (${restored.state.dataBytes} bytes then, ${dataBytes} now); a run continues only on the same data. Start again with --force.`);
  io.stderr.write(`${restored ? `Resuming at epoch ${restored.position.epoch + 1}, step ${restored.position.step}: ` : ''}Training the ${options.model === 'dbvae' ? 'DB-VAE' : 'standard CNN'} on ${data.size} images (${data.numFaces} faces), ${options.epochs} epochs x ${stepsPerEpoch} steps, backend ${backend.name}\n`);
  const bar = new ProgressBar({ total: options.epochs * stepsPerEpoch, label: 'training', stream: io.stderr });
  const isDbvae = options.model === 'dbvae';
  const common = {
    epochs: options.epochs,
    ...(options.stepsPerEpoch ? { stepsPerEpoch: options.stepsPerEpoch } : {}),
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    seed: options.seed,
    progressBar: false as const,
    ...(options.averageLastSteps ? { averageLastSteps: options.averageLastSteps } : {}),
    onStep: (r: { epoch: number; total: number }) => bar.tick(1, `epoch ${r.epoch + 1}/${options.epochs} loss ${r.total.toFixed(4)}`),
  };
  const { data: _d, out: _o, force: _f, resume: _r, ...rest } = options;
  const settings = { ...rest, data: options.data };
  const pick = (l: { total: number; classification: number; kl: number; reconstruction: number }) => (isDbvae ? { total: l.total, classification: l.classification, kl: l.kl, reconstruction: l.reconstruction } : { total: l.total, classification: l.classification });
  const session = new TrainingSession({ out: options.out, io, settings, dataBytes, stepsPerEpoch, pick, restored });
  bar.update(session.stepsDone);
  const optimizer = restored?.optimizer ?? tf.train.adam(options.learningRate);
  let saveable: Parameters<typeof saveStoredModel>[1] | undefined = restored?.model;
  let run: Awaited<ReturnType<TrainingSession['finish']>>;
  try {
    let history: Awaited<ReturnType<typeof models.trainClassifier>>;
    if (isDbvae) {
      const dbvae = restored?.model.kind === 'dbvae' ? restored.model.dbvae : new models.DBVAE({ latentDim: options.latentDim, seed: options.seed });
      saveable = { kind: 'dbvae', dbvae };
      const faceGroups = await faceGroupsFor(options, data.faceIndices, io);
      const sessionOptions = session.trainOptions(saveable, optimizer, common.onStep);
      history = await models.trainDBVAE(dbvae, data, {
        ...common,
        ...sessionOptions,
        alpha: options.alpha,
        klWeight: options.klWeight,
        combine: options.combine ?? 'max',
        temperature: options.temperature ?? 1,
        uniformMix: options.uniformMix ?? 0,
        debias: options.debias ?? true,
        ...(options.reconstructionWeight !== undefined && options.reconstructionWeight !== 1 ? { reconstruction: { weight: options.reconstructionWeight } } : {}),
        ...(faceGroups ? { faceGroups } : {}),
        onEpochEnd: async (e) => {
          if (e.groupShare) io.stderr.write(`\n${formatGroupShare(e.epoch, e.groupShare, e.effectiveSampleSize)}\n`);
          await sessionOptions.onEpochEnd(e);
        },
      });
    } else {
      const classifier = restored?.model.kind === 'standard' ? restored.model.classifier : models.buildStandardClassifier({ seed: options.seed });
      saveable = { kind: 'standard', classifier };
      history = await models.trainClassifier(classifier, data, { ...common, ...session.trainOptions(saveable, optimizer, common.onStep), workers: options.workers ?? 0 });
    }
    run = await session.finish(history, saveable, optimizer);
    bar.done();
  } catch (error) {
    optimizer.dispose();
    if (saveable?.kind === 'dbvae') saveable.dbvae.dispose();
    else saveable?.classifier.dispose();
    throw error;
  } finally {
    session.close();
  }
  const metrics: TrainingMetrics = {
    model: options.model,
    settings,
    steps: run.steps,
    epochs: run.epochs,
    warnings: run.warnings,
    seconds: restored ? run.seconds : (Date.now() - t0) / 1000,
  };
  for (const w of metrics.warnings) io.stderr.write(`warning: ${w}\n`);
  const model = saveable;
  try {
    await writeDirAtomic(options.out, async (tmp) => {
      await saveStoredModel(tmp, model, settings);
      await writeFileAtomic(`${tmp}/metrics.json`, `${JSON.stringify(metrics, null, 2)}\n`);
      await writeOutputMarker(tmp, 'model', 'dbvae train');
    });
  } finally {
    optimizer.dispose();
    if (model.kind === 'dbvae') model.dbvae.dispose();
    else model.classifier.dispose();
  }
  const last = metrics.epochs[metrics.epochs.length - 1];
  io.stdout.write(`Wrote ${options.out} (model, metrics.json) in ${metrics.seconds.toFixed(1)} s${last ? `; last epoch mean loss ${last.total.toFixed(4)}` : ''}\n`);
  return metrics;
}

function requiredUnlessResume(v: ParsedValues): object {
  if (v.resume !== undefined) {
    if (v.out !== undefined && v.out !== v.resume) throw new UsageError('--resume names the folder to continue; leave out --out (or give the same folder).', 'train');
    if (v.force) throw new UsageError('--force starts over and --resume continues; give one of them.', 'train');
    return {};
  }
  for (const [name, what] of [['data', 'Training file (lab layout)'], ['model', 'Which model to train'], ['out', 'Output folder for the model and metrics.json']] as const) {
    if (v[name] === undefined) throw new UsageError(`--${name} is required (${what}).`, 'train');
  }
  return {};
}

/** One line per epoch: each group's expected share of the drawn faces and the effective sample size. */
export function formatGroupShare(epoch: number, share: Record<string, number>, effectiveSampleSize?: number): string {
  const parts = Object.entries(share)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([g, v]) => `${g} ${(v * 100).toFixed(1)}%`);
  return `epoch ${epoch + 1} drawn faces: ${parts.join('  ')}${effectiveSampleSize !== undefined ? `  (effective sample size ${effectiveSampleSize.toFixed(0)})` : ''}`;
}

/**
 * Group of each training face (in `faceIndices` order) from a SynthFaces `attributes.json`:
 * `--attributes`, or the file beside `--data` when it exists; undefined when there is none.
 * @throws InputError for an unreadable file or one that does not match the data.
 */
async function faceGroupsFor(options: TrainOptions, faceIndices: Int32Array, io: CliIO): Promise<string[] | undefined> {
  const { readFile, access } = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  let path = options.attributes;
  if (path === undefined) {
    const beside = join(dirname(options.data), 'attributes.json');
    try {
      await access(beside);
      path = beside;
    } catch {
      return undefined;
    }
  }
  let table: { attributes?: { group?: string | null }[] };
  try {
    table = JSON.parse(await readFile(path, 'utf8')) as typeof table;
  } catch (error) {
    throw new InputError(`--attributes ${path}: cannot read it as the attributes.json of dbvae synth (${(error as Error).message}).`);
  }
  const rows = table.attributes;
  if (!Array.isArray(rows)) throw new InputError(`--attributes ${path}: no "attributes" list; pass the attributes.json written by dbvae synth.`);
  const groups = Array.from(faceIndices, (i) => rows[i]?.group ?? undefined);
  if (groups.some((g) => typeof g !== 'string')) throw new InputError(`--attributes ${path}: does not describe the faces of --data (a face without a group); pass the file written with it.`);
  io.stderr.write(`Reporting the share of drawn faces per group from ${path}\n`);
  return groups as string[];
}

function workersFor(model: ModelKind, workers: number): number {
  if (model === 'dbvae' && workers > 0) throw new UsageError('--workers applies to --model standard only (the DB-VAE trains on the main thread).', 'train');
  return workers;
}

/** `dbvae train`. */
export const trainCommand: CommandDefinition<TrainOptions> = {
  name: 'train',
  summary: 'Train the standard CNN or the DB-VAE on a lab-layout training file.',
  description:
    'Trains a face classifier on an HDF5 file in the lab layout (images N x 64 x 64 x 3 uint8 BGR, labels N x 1) with a progress bar, then writes the model and metrics.json (loss per step and per epoch) into the output folder. The DB-VAE re-weights faces each epoch by how rare their latent encoding is.',
  options: [
    { name: 'data', kind: 'path', placeholder: '<train.h5>', description: 'Training file (lab layout); required unless --resume' },
    { name: 'model', kind: 'choice', choices: ['standard', 'dbvae'], description: 'Which model to train; required unless --resume' },
    { name: 'out', kind: 'path', placeholder: '<dir>', description: 'Output folder for the model, metrics.json and checkpoints (new, empty, or a previous output with --force); required unless --resume' },
    { name: 'epochs', kind: 'int', default: 2, min: 1, description: 'Training epochs (passes over the training data unless --steps-per-epoch is set)' },
    { name: 'steps-per-epoch', kind: 'int', default: 0, min: 0, description: 'Training steps per epoch; the DB-VAE refreshes its sampling weights every epoch (0 = a full pass over the data)' },
    { name: 'batch-size', kind: 'int', default: 32, min: 2, description: 'Images per step (half faces, half non-faces)' },
    { name: 'latent-dim', kind: 'int', default: 100, min: 1, description: 'DB-VAE latent size' },
    { name: 'alpha', kind: 'number', default: 0.001, min: 0, exclusiveMin: true, description: 'DB-VAE histogram smoothing: smaller debiases harder' },
    { name: 'kl-weight', kind: 'number', default: 0.0005, min: 0, description: 'DB-VAE weight of the KL term' },
    { name: 'combine', kind: 'choice', choices: ['max', 'product'], default: 'max', description: "DB-VAE resampling rule: the lab's max over latent dimensions or the paper's product" },
    { name: 'temperature', kind: 'number', default: 1, min: 0, exclusiveMin: true, description: 'DB-VAE tempering of the resampling weights, p^(1/T): about the latent size keeps the product rule from collapsing onto a few faces' },
    { name: 'uniform-mix', kind: 'number', default: 0, min: 0, max: 1, description: 'DB-VAE share of uniform sampling mixed into the resampling weights' },
    { name: 'reconstruction-weight', kind: 'number', default: 1, min: 0, description: "DB-VAE weight of the reconstruction term (1 = the lab's loss)" },
    { name: 'no-debias', kind: 'boolean', description: 'DB-VAE network trained on uniform batches, without resampling (the ablation baseline)' },
    { name: 'attributes', kind: 'path', placeholder: '<attributes.json>', description: 'SynthFaces attributes (default: attributes.json beside --data): per-epoch share of drawn faces per group' },
    { name: 'learning-rate', kind: 'number', default: 0.0005, min: 0, exclusiveMin: true, description: 'Adam learning rate' },
    { name: 'average-last', kind: 'int', default: 0, min: 0, description: "Save the weights averaged over the last N steps of the last epoch (0 = the last step's, the lab's)" },
    { name: 'seed', kind: 'int', default: 0, min: 0, description: 'Random seed (weights, batches)' },
    { name: 'workers', kind: 'int', default: 0, min: 0, description: 'Worker threads that share each batch (data parallelism; standard model only): 1 on a 2-core machine' },
    { name: 'force', kind: 'boolean', description: "Replace a previous 'dbvae train' output in --out" },
    { name: 'resume', kind: 'path', placeholder: '<dir>', description: 'Continue the interrupted run whose --out this was, with its saved settings' },
  ],
  examples: ['dbvae train --data data/synth/train.h5 --model standard --out models/standard', 'dbvae train --data data/synth/train.h5 --model standard --out models/standard --workers 1', 'dbvae train --data data/synth/train.h5 --model dbvae --out models/dbvae --epochs 6 --alpha 0.01', 'dbvae train --data data/synth/train.h5 --model dbvae --out models/product --combine product --temperature 100', 'dbvae train --data data/synth/train.h5 --model dbvae --out models/vae --no-debias', 'dbvae train --resume models/dbvae'],
  toOptions: (v, io) => ({
    ...requiredUnlessResume(v),
    data: v.data === undefined ? '' : resolvePath(io, str(v, 'data')),
    model: (v.model ?? 'standard') as ModelKind,
    out: resolvePath(io, str(v, v.resume === undefined ? 'out' : 'resume')),
    epochs: num(v, 'epochs'),
    ...(num(v, 'steps-per-epoch') > 0 ? { stepsPerEpoch: num(v, 'steps-per-epoch') } : {}),
    batchSize: num(v, 'batch-size'),
    latentDim: num(v, 'latent-dim'),
    alpha: num(v, 'alpha'),
    klWeight: num(v, 'kl-weight'),
    combine: str(v, 'combine') as 'max' | 'product',
    temperature: num(v, 'temperature'),
    uniformMix: num(v, 'uniform-mix'),
    reconstructionWeight: num(v, 'reconstruction-weight'),
    debias: v['no-debias'] !== true,
    ...(v.attributes === undefined ? {} : { attributes: resolvePath(io, str(v, 'attributes')) }),
    learningRate: num(v, 'learning-rate'),
    ...(num(v, 'average-last') > 0 ? { averageLastSteps: num(v, 'average-last') } : {}),
    seed: num(v, 'seed'),
    workers: workersFor(str(v, 'model') as ModelKind, num(v, 'workers')),
    force: v.force === true,
    resume: v.resume !== undefined,
  }),
  run: async (options, io) => {
    await runTrain(options, io);
  },
};
