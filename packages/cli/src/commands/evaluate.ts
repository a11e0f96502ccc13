import { requireInput, resolvePath, str, type CliIO, type CommandDefinition } from '../command';
import { InputError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { groupMetrics, type GroupMetricsResult } from '../group-metrics';
import { loadStoredModel, predictPacked } from '../model-store';
import { claimOutput, isGroupMetricsFile } from '../output-dir';

/** Options of `dbvae evaluate`. */
export interface EvaluateOptions {
  /** Folder written by `dbvae train`. */
  model: string;
  /** Folder with one sub-folder of face images per group. */
  faces: string;
  /** Where to write the metrics as JSON, if anywhere. */
  json?: string;
  /** Replace an existing `json` file that `dbvae evaluate` did not write. */
  force?: boolean;
}

/**
 * A plain-text table of group metrics for the terminal: one row per group with the accuracy's
 * 95% Wilson interval, then the mean accuracy and the variance of accuracy across groups
 * (percent squared, as in the DB-VAE paper).
 */
export function formatGroupMetricsTable(result: GroupMetricsResult): string {
  const rows = Object.entries(result.groups).map(([g, s]) => [g, String(s.n), s.meanProb.toFixed(3), `${(s.accuracy * 100).toFixed(1)}%`, `${(s.low * 100).toFixed(1)}-${(s.high * 100).toFixed(1)}%`]);
  const header = ['group', 'n', 'face prob', 'accuracy', '95% interval'];
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] as string).length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), ...rows.map(line), '', `mean accuracy      ${(result.meanAccuracy * 100).toFixed(2)}%`, `accuracy variance  ${(result.accuracyVariance * 1e4).toFixed(2)} (%²)`, ''].join('\n');
}

/** Writes the metrics as the JSON of `dbvae evaluate --json` (atomically). */
export async function writeGroupMetricsJson(path: string, result: GroupMetricsResult): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(result, null, 2)}\n`);
}

/**
 * Predicts every image under `options.faces/<group>/`, then prints (and optionally writes)
 * `groupMetrics` of the predictions.
 * @returns The metrics.
 * @throws InputError for a missing model or faces folder, or a faces folder without group sub-folders; DatasetError (from `@dbvae/core-data`) for an unreadable image.
 */
export async function runEvaluate(options: EvaluateOptions, io: CliIO): Promise<GroupMetricsResult> {
  await requireInput(options.model, 'dir', '--model');
  await requireInput(options.faces, 'dir', '--faces');
  const claim = options.json ? await claimOutput({ path: options.json, flag: '--json', command: 'dbvae evaluate', type: 'file', isOwnFile: isGroupMetricsFile, force: options.force, inputs: [options.model, options.faces], cwd: io.cwd }) : undefined;
  try {
    return await evaluateClaimed(options, io);
  } finally {
    await claim?.release();
  }
}

async function evaluateClaimed(options: EvaluateOptions, io: CliIO): Promise<GroupMetricsResult> {
  const { initBackend } = await import('@dbvae/backend');
  const { loadImageFolder } = await import('@dbvae/core-data');
  await initBackend();
  const model = await loadStoredModel(options.model);
  try {
    const [height, width] = model.manifest.inputShape;
    const faces = await loadImageFolder(options.faces, { groups: true, size: [height, width] });
    if (faces.groups.some((g) => g === '')) throw new InputError(`--faces ${options.faces}: put the images in one sub-folder per group (such as LF, LM, DF, DM).`);
    const probs = await predictPacked(model, faces);
    const result = groupMetrics(probs, faces.groups);
    io.stdout.write(formatGroupMetricsTable(result));
    if (options.json) {
      await writeGroupMetricsJson(options.json, result);
      io.stderr.write(`Wrote ${options.json}\n`);
    }
    return result;
  } finally {
    model.dispose();
  }
}

/** `dbvae evaluate`. */
export const evaluateCommand: CommandDefinition<EvaluateOptions> = {
  name: 'evaluate',
  summary: 'Face probability and accuracy per group of test faces, their mean and variance.',
  description:
    'Runs a trained model on every image in each sub-folder of --faces (one sub-folder per group, such as LF, LM, DF, DM; any image size, RGB or RGBA) and prints per group the number of faces, the mean face probability and the accuracy (share detected as faces), then the mean accuracy over groups and the variance of accuracy across groups. --json writes { "groups": { "<name>": { "n", "meanProb", "accuracy", "low", "high" } }, "meanAccuracy", "accuracyVariance" }, where low and high bound the accuracy\'s 95% Wilson interval.',
  options: [
    { name: 'model', kind: 'path', required: true, placeholder: '<dir>', description: 'Model folder written by dbvae train' },
    { name: 'faces', kind: 'path', required: true, placeholder: '<dir>', description: 'Folder of per-group sub-folders of face images' },
    { name: 'json', kind: 'path', placeholder: '<file>', description: 'Also write the metrics to this JSON file' },
    { name: 'force', kind: 'boolean', description: "Replace an existing --json file that 'dbvae evaluate' did not write" },
  ],
  examples: ['dbvae evaluate --model models/dbvae --faces data/synth/test', 'dbvae evaluate --model models/standard --faces data/synth/test --json standard.json'],
  toOptions: (v, io) => ({
    model: resolvePath(io, str(v, 'model')),
    faces: resolvePath(io, str(v, 'faces')),
    json: v.json === undefined ? undefined : resolvePath(io, str(v, 'json')),
    force: v.force === true,
  }),
  run: async (options, io) => {
    await runEvaluate(options, io);
  },
};
