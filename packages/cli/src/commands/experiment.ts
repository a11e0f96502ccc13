import { join } from 'node:path';
import { num, resolvePath, str, type CliIO, type CommandDefinition } from '../command';
import { prepareSynthData, runVariant, type PreparedSynthData, type SynthDataSettings, type VariantSettings } from '../experiment/synth-run';
import { runSweep, sweepMarkdown, sweepRows, type CellRunner, type SweepPlan, type SweepRow, type SweepSetting } from '../experiment/sweep';
import { UsageError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import { DEMO_RECONSTRUCTION_WEIGHT, DEMO_SKEW, DEMO_SMALL } from './demo';

/** Which grid `dbvae experiment` runs. */
export type ExperimentGrid = 'table1' | 'ablation';

/** Options of `dbvae experiment`. */
export interface ExperimentOptions {
  /** Folder of the results (resumable). */
  out: string;
  /** Which grid of settings to run. */
  grid: ExperimentGrid;
  /** First seed. */
  seed: number;
  /** Number of seeds: seed, seed + 1, ... */
  seeds: number;
  /** Training images per seed (half faces). */
  n: number;
  /** Balanced test faces per group. */
  testPerGroup: number;
  /** Training epochs of every model. */
  epochs: number;
  /** Training steps per epoch (the DB-VAE refreshes its sampling weights every epoch); undefined = a full pass. */
  stepsPerEpoch?: number;
  /** Images per training step. */
  batchSize: number;
  /** Latent size of the VAE classifiers. */
  latentDim: number;
  /** How latent dimensions combine into resampling weights: 'max' (the lab's) or 'product' (the paper's). */
  combine: 'max' | 'product';
  /** Tempering; undefined = the latent size for the product rule, 1 for max. */
  temperature?: number;
  /** Uniform share mixed into the resampling weights. */
  uniformMix: number;
  /** Weight of the DB-VAE's KL term. */
  klWeight: number;
  /** Weight of the DB-VAE's reconstruction term. */
  reconstructionWeight: number;
  /** P(dark skin) among training faces: how rare the rare group is. */
  darkSkin: number;
  /** Share of non-faces drawn with dark-skin colours (decoys). */
  spuriousFraction: number;
  /** Alphas of the Table-1 grid. Default the paper's 0.1, 0.05, 0.01, 0.001. */
  alphas: number[];
}

/** The paper's Table-1 alphas. */
export const TABLE1_ALPHAS = [0.1, 0.05, 0.01, 0.001] as const;

/** The rows of a grid. */
export function gridSettings(options: ExperimentOptions): SweepSetting[] {
  const temperature = options.temperature ?? (options.combine === 'product' ? options.latentDim : 1);
  const base: Omit<VariantSettings, 'kind'> = { epochs: options.epochs, batchSize: options.batchSize, latentDim: options.latentDim, alpha: 0.001, combine: options.combine, temperature, uniformMix: options.uniformMix, klWeight: options.klWeight, reconstructionWeight: options.reconstructionWeight, ...(options.stepsPerEpoch ? { stepsPerEpoch: options.stepsPerEpoch } : {}) };
  if (options.grid === 'ablation') {
    return [
      { id: 'cnn', label: 'Standard CNN', variant: { ...base, kind: 'standard' } },
      { id: 'vae', label: 'VAE classifier, no resampling', variant: { ...base, kind: 'vae' } },
      { id: 'dbvae-max', label: "DB-VAE, lab's max rule", variant: { ...base, kind: 'dbvae', combine: 'max', temperature: 1 } },
      { id: `dbvae-product-t${options.latentDim}`, label: `DB-VAE, product rule tempered by ${options.latentDim}`, variant: { ...base, kind: 'dbvae', combine: 'product', temperature: options.latentDim } },
    ];
  }
  return [
    { id: 'no-debiasing', label: 'No debiasing (same network, uniform batches)', variant: { ...base, kind: 'vae' } },
    ...options.alphas.map((alpha) => ({ id: `alpha-${alpha}`, label: `alpha ${alpha}`, variant: { ...base, kind: 'dbvae' as const, alpha } })),
  ];
}

/** Trains and tests one cell on SynthFaces, reusing a seed's generated data across its rows. */
function synthCellRunner(): CellRunner {
  let cached: { key: string; data: PreparedSynthData } | undefined;
  return async (setting, seed, dataSettings: SynthDataSettings) => {
    const key = JSON.stringify({ dataSettings, seed });
    if (cached?.key !== key) cached = { key, data: await prepareSynthData(dataSettings, seed) };
    const r = await runVariant(setting.variant, cached.data, seed);
    return { metrics: r.metrics, sampling: r.sampling, seconds: r.seconds };
  };
}

/**
 * Runs a grid of settings over seeds on SynthFaces, resumably (each finished cell is kept in
 * `out/cells/`), then writes the paper's Table-1 layout as `table.md` and `table.json`.
 * @param runCell - Trains one cell; the default trains on SynthFaces (tests inject a fake).
 * @returns The table rows.
 */
export async function runExperiment(options: ExperimentOptions, io: CliIO, runCell: CellRunner = synthCellRunner()): Promise<SweepRow[]> {
  const seeds = Array.from({ length: options.seeds }, (_, i) => options.seed + i);
  const data: SynthDataSettings = { n: options.n, testPerGroup: options.testPerGroup, darkSkin: options.darkSkin, spuriousFraction: options.spuriousFraction };
  const plan: SweepPlan = { data, settings: gridSettings(options), seeds };
  const { initBackend } = await import('@dbvae/backend');
  await initBackend();
  const records = await runSweep(options.out, plan, runCell, (line) => io.stderr.write(`${line}\n`));
  const rows = sweepRows(plan, records);
  const caption = `SynthFaces, ${options.n} training images (${(options.darkSkin * 100).toFixed(0)}% dark-skinned faces, ${(options.spuriousFraction * 100).toFixed(0)}% dark decoys among non-faces), ${options.epochs} epochs${options.stepsPerEpoch ? ` of ${options.stepsPerEpoch} steps` : ''}, KL weight ${options.klWeight}, latent ${options.latentDim}, ${options.testPerGroup} test faces per group; seeds ${seeds.join(', ')}. Means over seeds with 95% t-intervals. Reproduce: dbvae experiment --grid ${options.grid} --seed ${options.seed} --seeds ${options.seeds} --n ${options.n} --epochs ${options.epochs} --steps-per-epoch ${options.stepsPerEpoch ?? 0} --latent-dim ${options.latentDim} --kl-weight ${options.klWeight} --combine ${options.combine}${options.temperature !== undefined ? ` --temperature ${options.temperature}` : ''} --dark-skin ${options.darkSkin} --spurious-fraction ${options.spuriousFraction} --reconstruction-weight ${options.reconstructionWeight}`;
  const markdown = sweepMarkdown(rows, caption);
  await writeFileAtomic(join(options.out, 'table.md'), markdown);
  await writeFileAtomic(join(options.out, 'table.json'), `${JSON.stringify({ grid: options.grid, plan, rows }, null, 2)}\n`);
  const { writeReport } = await import('../report/write-report');
  const { sweepChart } = await import('../report/interval-charts');
  await writeReport(join(options.out, 'report'), {
    title: options.grid === 'table1' ? 'Debiasing strength on SynthFaces (the paper\'s Table 1)' : 'Ablation on SynthFaces',
    subtitle: caption,
    notes: [caption],
    seeds: { columns: ['Setting', 'Seeds', 'Mean accuracy (%)', 'Variance (%²)'], rows: rows.map((r) => [r.label, r.seeds.length, `${(r.meanAccuracy.mean * 100).toFixed(1)} (${(r.meanAccuracy.low * 100).toFixed(1)}–${(r.meanAccuracy.high * 100).toFixed(1)})`, `${(r.accuracyVariance.mean * 1e4).toFixed(1)} (${(r.accuracyVariance.low * 1e4).toFixed(1)}–${(r.accuracyVariance.high * 1e4).toFixed(1)})`]), caption: 'Means over seeds with 95% t-intervals.' },
    charts: [{ name: 'sweep', title: 'Mean accuracy and variance across groups', spec: sweepChart(rows), caption: 'Per setting, the mean over seeds (dot) and its 95% t-interval (bar).' }],
  }, { chartPngs: false });
  io.stdout.write(markdown);
  io.stdout.write(`Wrote ${join(options.out, 'table.md')}, table.json and report/index.html\n`);
  return rows;
}

function parseAlphas(text: string): number[] {
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.length === 0 || values.some((v) => !(v > 0 && Number.isFinite(v)))) {
    throw new UsageError(`--alphas expects positive numbers separated by commas, got '${text}'.`, 'experiment');
  }
  return values;
}

/** `dbvae experiment`. */
export const experimentCommand: CommandDefinition<ExperimentOptions> = {
  name: 'experiment',
  summary: "Resumable sweep over seeds: the paper's Table 1 (alphas) or the ablation, with intervals.",
  description:
    "Trains a grid of settings on SynthFaces over several seeds and writes the DB-VAE paper's Table-1 layout (mean accuracy and variance of accuracy across groups, means over seeds with 95% t-intervals) as table.md and table.json. --grid table1 runs no debiasing and alpha 0.1, 0.05, 0.01, 0.001; --grid ablation runs the standard CNN, the same VAE classifier without resampling, the lab's max rule and the tempered product rule. Each finished cell is saved at once: rerun the same command after an interruption and it resumes without retraining finished cells.",
  options: [
    { name: 'out', kind: 'path', required: true, placeholder: '<dir>', description: 'Results folder (resumable)' },
    { name: 'grid', kind: 'choice', choices: ['table1', 'ablation'], default: 'table1', description: "Which grid: the paper's alphas or the ablation" },
    { name: 'seed', kind: 'int', default: 1, min: 0, description: 'First seed' },
    { name: 'seeds', kind: 'int', default: 5, min: 1, description: 'Number of seeds' },
    { name: 'n', kind: 'int', default: DEMO_SMALL.n, min: 8, description: 'Training images' },
    { name: 'test-per-group', kind: 'int', default: DEMO_SMALL.testPerGroup, min: 1, description: 'Test faces per group' },
    { name: 'epochs', kind: 'int', default: DEMO_SMALL.epochs, min: 1, description: 'Training epochs' },
    { name: 'steps-per-epoch', kind: 'int', default: DEMO_SMALL.stepsPerEpoch ?? 0, min: 0, description: 'Training steps per epoch; the DB-VAE refreshes its sampling weights every epoch (0 = a full pass, the lab\'s epoch)' },
    { name: 'batch-size', kind: 'int', default: 32, min: 2, description: 'Images per step' },
    { name: 'latent-dim', kind: 'int', default: DEMO_SMALL.latentDim, min: 1, description: 'DB-VAE latent size' },
    { name: 'combine', kind: 'choice', choices: ['max', 'product'], default: 'max', description: 'Resampling rule of the Table-1 rows' },
    { name: 'temperature', kind: 'number', min: 0, exclusiveMin: true, description: 'Tempering (default: the latent size for the product rule, 1 for max)' },
    { name: 'uniform-mix', kind: 'number', default: 0, min: 0, max: 1, description: 'Share of uniform sampling mixed into the weights' },
    { name: 'kl-weight', kind: 'number', default: DEMO_SMALL.klWeight, min: 0, description: 'DB-VAE KL weight (the demo\'s default; the lab\'s is 0.0005)' },
    { name: 'reconstruction-weight', kind: 'number', default: DEMO_RECONSTRUCTION_WEIGHT, min: 0, description: 'DB-VAE weight of the reconstruction term' },
    { name: 'dark-skin', kind: 'number', default: DEMO_SKEW.darkSkin, min: 0, max: 1, description: 'Share of dark-skinned training faces' },
    { name: 'spurious-fraction', kind: 'number', default: DEMO_SKEW.spuriousFraction, min: 0, max: 1, description: 'Share of non-faces drawn as dark-skin decoys' },
    { name: 'alphas', kind: 'string', default: TABLE1_ALPHAS.join(','), description: 'Alphas of the table1 grid, comma-separated' },
  ],
  examples: ['dbvae experiment --out sweeps/table1', 'dbvae experiment --out sweeps/ablation --grid ablation --seeds 3'],
  toOptions: (v, io) => ({
    out: resolvePath(io, str(v, 'out')),
    grid: str(v, 'grid') as ExperimentGrid,
    seed: num(v, 'seed'),
    seeds: num(v, 'seeds'),
    n: num(v, 'n'),
    testPerGroup: num(v, 'test-per-group'),
    epochs: num(v, 'epochs'),
    ...(num(v, 'steps-per-epoch') > 0 ? { stepsPerEpoch: num(v, 'steps-per-epoch') } : {}),
    batchSize: num(v, 'batch-size'),
    latentDim: num(v, 'latent-dim'),
    combine: str(v, 'combine') as 'max' | 'product',
    ...(v.temperature === undefined ? {} : { temperature: num(v, 'temperature') }),
    uniformMix: num(v, 'uniform-mix'),
    klWeight: num(v, 'kl-weight'),
    reconstructionWeight: num(v, 'reconstruction-weight'),
    darkSkin: num(v, 'dark-skin'),
    spuriousFraction: num(v, 'spurious-fraction'),
    alphas: parseAlphas(str(v, 'alphas')),
  }),
  run: async (options, io) => {
    await runExperiment(options, io);
  },
};
