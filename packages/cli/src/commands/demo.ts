import { num, resolvePath, str, type CliIO, type CommandDefinition } from '../command';
import { claimOutput } from '../output-dir';
import { groupMetrics, type GroupMetricsResult } from '../group-metrics';
import { latentLogDensity } from '../latent-density';
import { ProgressBar } from '../progress';
import { averageFacesPerPercentile, extremeImages } from '../report/face-grids';
import type { AccuracyVsRiskSeries, LossSeries, ReportData } from '../report/types';
import { writeReport, type WrittenReport } from '../report/write-report';

/** Options of `dbvae demo`. */
export interface DemoOptions {
  /** Report folder. */
  out: string;
  /** Training images generated. */
  n: number;
  /** Test faces per group. */
  testPerGroup: number;
  /** Training epochs of each model. */
  epochs: number;
  /** Batch size. */
  batchSize: number;
  /** Latent size of the DB-VAE. */
  latentDim: number;
  /** DB-VAE debiasing strength (smaller debiases more). */
  alpha: number;
  /** How latent dimensions combine into a sampling weight: the lab's 'max' or the paper's 'product'. */
  combine: 'max' | 'product';
  /** Weight of the KL term of the DB-VAE loss. */
  klWeight: number;
  /** Seed of the data, initialisers and sampling. */
  seed: number;
  /** Use the full-size settings (lab sizes: 20000 images, latent 100, 2 epochs, 100 test faces per group). */
  full: boolean;
  /** Replace a previous report in `out`. */
  force?: boolean;
}

/** Small defaults that finish in a few minutes on a 2-core CPU. */
export const DEMO_SMALL = {
  /** Training images. */
  n: 4000,
  /** Test faces per group. */
  testPerGroup: 100,
  /** Training epochs of each model. */
  epochs: 3,
  /** Latent size of the DB-VAE. */
  latentDim: 16,
} as const;
/** The full-size run (`--full`). */
export const DEMO_FULL = {
  /** Training images. */
  n: 20000,
  /** Test faces per group. */
  testPerGroup: 100,
  /** Training epochs of each model. */
  epochs: 2,
  /** Latent size of the DB-VAE. */
  latentDim: 100,
} as const;

const GROUPS = ['LF', 'LM', 'DF', 'DM'] as const;

/** What {@link runDemo} measured (also drawn in the report). */
export interface DemoResult {
  /** The report written (folder, page, files). */
  report: WrittenReport;
  /** Per-group accuracy of each model on the balanced test faces. */
  metrics: {
    /** The standard CNN. */
    standard: GroupMetricsResult;
    /** The DB-VAE. */
    dbvae: GroupMetricsResult;
  };
  /** Wall time of the whole run, in seconds. */
  seconds: number;
}

/**
 * The lab end to end on SynthFaces: generate data, train the standard CNN and the DB-VAE,
 * evaluate both per group on balanced test faces, score representation bias (log density of
 * the DB-VAE's latent means under histograms of the training faces' means) and epistemic
 * uncertainty (the DB-VAE's reconstruction error), and write the report.
 */
export async function runDemo(options: DemoOptions, io: CliIO): Promise<DemoResult> {
  const claim = await claimOutput({ path: options.out, flag: '--out', command: 'dbvae demo', type: 'dir', kind: 'report', force: options.force, cwd: io.cwd });
  return demoClaimed(options, io).finally(() => claim.release());
}

async function demoClaimed(options: DemoOptions, io: CliIO): Promise<DemoResult> {
  const t0 = Date.now();
  const { initBackend, tf } = await import('@dbvae/backend');
  const { generateSynthFaces, FaceDataset, imagesToTensor } = await import('@dbvae/core-data');
  const models = await import('@dbvae/models');
  const { samplingWeights } = await import('@dbvae/resampling');
  const { accuracyVsRisk } = await import('@dbvae/risk-wrappers');
  const backend = await initBackend();
  const log = (s: string) => io.stderr.write(`${s}\n`);
  log(`dbvae demo: ${options.n} training images, ${options.testPerGroup} test faces per group, ${options.epochs} epochs, latent ${options.latentDim}, backend ${backend.name}`);

  const train = generateSynthFaces({ n: options.n, seed: options.seed });
  const test = generateSynthFaces({ n: 4 * options.testPerGroup, seed: options.seed + 1000003, faceFraction: 1, groups: [...GROUPS] });
  const testGroups = test.attributes.map((a) => a.group ?? '?');
  const data = FaceDataset.fromArrays({ images: train.images, labels: train.labels, height: train.height, width: train.width, seed: options.seed });
  const steps = Math.floor(data.size / options.batchSize);
  const common = (bar: ProgressBar) => ({
    epochs: options.epochs,
    batchSize: options.batchSize,
    seed: options.seed,
    progressBar: false as const,
    onStep: (r: { epoch: number; total: number }) => bar.tick(1, `epoch ${r.epoch + 1}/${options.epochs} loss ${r.total.toFixed(4)}`),
  });

  const classifier = models.buildStandardClassifier({ seed: options.seed });
  const dbvae = new models.DBVAE({ latentDim: options.latentDim, seed: options.seed });
  try {
    let bar = new ProgressBar({ total: options.epochs * steps, label: 'standard CNN', stream: io.stderr });
    const stdHistory = await models.trainClassifier(classifier, data, common(bar));
    bar.done();
    stdHistory.optimizer.dispose();
    bar = new ProgressBar({ total: options.epochs * steps, label: 'DB-VAE      ', stream: io.stderr });
    const dbHistory = await models.trainDBVAE(dbvae, data, { ...common(bar), alpha: options.alpha, combine: options.combine, klWeight: options.klWeight });
    bar.done();
    dbHistory.optimizer.dispose();
    for (const w of dbHistory.warnings) log(`warning: ${w.message}`);

    log('Evaluating on the test faces...');
    const nTest = test.attributes.length;
    const probStd = new Float32Array(nTest);
    const probDb = new Float32Array(nTest);
    const recon = new Float64Array(nTest);
    const k = options.latentDim;
    const testLatents = new Float32Array(nTest * k);
    const batch = 64;
    for (let start = 0; start < nTest; start += batch) {
      const idx = Array.from({ length: Math.min(batch, nTest - start) }, (_, i) => start + i);
      const x = imagesToTensor(test, { indices: idx });
      try {
        const [ps, pd, err, mu] = tf.tidy(() => {
          const r = dbvae.reconstruct(x);
          const e = tf.mean(tf.abs(tf.sub(x, r)), [1, 2, 3]);
          return [tf.sigmoid(classifier.predict(x) as Parameters<typeof tf.sigmoid>[0]).dataSync(), dbvae.predict(x).dataSync(), e.dataSync(), dbvae.encode(x).mean.dataSync()];
        });
        probStd.set(ps as Float32Array, start);
        probDb.set(pd as Float32Array, start);
        recon.set(err as Float32Array, start);
        testLatents.set(mu as Float32Array, start * k);
      } finally {
        x.dispose();
      }
    }
    const metrics = { standard: groupMetrics(probStd, testGroups), dbvae: groupMetrics(probDb, testGroups) };

    // Representation bias: density of each test face's latent code among the training faces'.
    const trainLatents = dbvae.latentMeans(data.faceBatches(batch));
    const density = latentLogDensity(trainLatents, testLatents, k, { alpha: options.alpha });
    const weights = samplingWeights(trainLatents, { shape: [trainLatents.length / k, k], alpha: options.alpha, combine: options.combine });
    const numChunks = Math.min(10, nTest);
    const series = (risk: string, score: ArrayLike<number>): AccuracyVsRiskSeries[] => [
      { risk, label: 'Standard CNN', chunks: accuracyVsRisk(score, Array.from(probStd, (p) => (p >= 0.5 ? 1 : 0)), { numChunks }) },
      { risk, label: 'DB-VAE', chunks: accuracyVsRisk(score, Array.from(probDb, (p) => (p >= 0.5 ? 1 : 0)), { numChunks }) },
    ];
    const loss = (model: string, history: typeof dbHistory, terms: ('total' | 'classification' | 'reconstruction' | 'kl')[]): LossSeries[] => terms.map((t) => ({ model, loss: t === 'kl' ? 'KL' : t, values: history.steps.map((s) => s[t]) }));
    const packed = { data: test.images, n: nTest, width: test.width, height: test.height };
    const reportData: ReportData = {
      title: 'Debiasing face detection on SynthFaces',
      subtitle: `A standard CNN and a DB-VAE trained on the same ${options.n} images, where dark-skinned faces are rare, then tested on ${options.testPerGroup} faces of each group.`,
      groupMetrics: [
        { model: 'Standard CNN', metrics: metrics.standard },
        { model: 'DB-VAE', metrics: metrics.dbvae },
      ],
      losses: [...loss('Standard CNN', stdHistory, ['classification']), ...loss('DB-VAE', dbHistory, ['total', 'classification', 'reconstruction'])],
      accuracyVsRisk: [...series('bias', density), ...series('epistemic', recon)],
      samplingWeights: weights,
      imageGrids: [
        { title: 'Average face per representation percentile', caption: 'Test faces sorted by the density of their DB-VAE encoding, rarest on the left, averaged in ten chunks.', rows: [averageFacesPerPercentile(packed, density, numChunks)] },
        { title: 'Least and most represented test faces', caption: 'By the density of their DB-VAE encoding among the training faces.', rows: extremeImages(packed, density, Math.min(8, nTest)) },
      ],
      settings: { 'training images': options.n, 'test faces per group': options.testPerGroup, epochs: options.epochs, 'batch size': options.batchSize, 'latent dim': options.latentDim, alpha: options.alpha, 'resampling rule': options.combine, 'KL weight': options.klWeight, seed: options.seed, backend: backend.name },
      notes: [
        'Accuracy is the share of test faces detected as faces (probability at least 0.5), per group; all test images are faces.',
        'Representation bias: mean log probability of a face\'s DB-VAE latent code under 10-bin histograms of the training faces\' codes (low = rare).',
        'Epistemic uncertainty: the DB-VAE\'s mean absolute reconstruction error; faces are sorted from the most certain (left) to the most uncertain (right).',
        `Reproduce: dbvae demo --n ${options.n} --test-per-group ${options.testPerGroup} --epochs ${options.epochs} --latent-dim ${options.latentDim} --alpha ${options.alpha} --combine ${options.combine} --seed ${options.seed}`,
      ],
    };
    const report = await writeReport(options.out, reportData);
    const seconds = (Date.now() - t0) / 1000;
    const line = (name: string, m: GroupMetricsResult) => `${name.padEnd(13)} mean accuracy ${(m.meanAccuracy * 100).toFixed(1)}%  variance ${(m.accuracyVariance * 1e4).toFixed(1)} %²  ` + GROUPS.map((g) => `${g} ${((m.groups[g]?.accuracy ?? 0) * 100).toFixed(0)}%`).join(' ');
    io.stdout.write(`${line('Standard CNN', metrics.standard)}\n${line('DB-VAE', metrics.dbvae)}\nReport: ${report.indexPath} (${seconds.toFixed(0)} s)\n`);
    return { report, metrics, seconds };
  } finally {
    classifier.dispose();
    dbvae.dispose();
  }
}

/** `dbvae demo`. */
export const demoCommand: CommandDefinition<DemoOptions> = {
  name: 'demo',
  summary: 'The whole lab on SynthFaces: train both models, compare per group, write the report.',
  description:
    'Generates SynthFaces, trains the standard CNN and the DB-VAE, evaluates both on balanced test groups, scores representation bias and epistemic uncertainty, and writes an HTML report with charts and face grids. The defaults are small (about a few minutes on a 2-core CPU); --full uses the lab sizes, and each size can be set on its own.',
  options: [
    { name: 'out', kind: 'path', default: 'report', placeholder: '<dir>', description: 'Report folder' },
    { name: 'full', kind: 'boolean', description: `Full-size run (${DEMO_FULL.n} images, latent ${DEMO_FULL.latentDim}, ${DEMO_FULL.testPerGroup} test faces per group)` },
    { name: 'n', kind: 'int', min: 8, description: `Training images (default ${DEMO_SMALL.n}, ${DEMO_FULL.n} with --full)` },
    { name: 'test-per-group', kind: 'int', min: 1, description: `Test faces per group (default ${DEMO_SMALL.testPerGroup}, ${DEMO_FULL.testPerGroup} with --full)` },
    { name: 'epochs', kind: 'int', min: 1, description: `Training epochs (default ${DEMO_SMALL.epochs})` },
    { name: 'batch-size', kind: 'int', default: 32, min: 2, description: 'Images per step' },
    { name: 'latent-dim', kind: 'int', min: 1, description: `DB-VAE latent size (default ${DEMO_SMALL.latentDim}, ${DEMO_FULL.latentDim} with --full)` },
    { name: 'alpha', kind: 'number', default: 0.001, min: 0, exclusiveMin: true, description: 'DB-VAE histogram smoothing' },
    { name: 'combine', kind: 'choice', choices: ['max', 'product'], default: 'max', description: "Resampling rule: the lab's max over dimensions or the paper's product" },
    { name: 'kl-weight', kind: 'number', default: 0.0005, min: 0, description: 'DB-VAE KL weight' },
    { name: 'seed', kind: 'int', default: 0, min: 0, description: 'Random seed' },
    { name: 'force', kind: 'boolean', description: 'Replace a previous report in --out' },
  ],
  examples: ['dbvae demo', 'dbvae demo --out report --full', 'dbvae demo --n 5000 --epochs 3'],
  toOptions: (v, io) => {
    const size = v.full ? DEMO_FULL : DEMO_SMALL;
    return {
      out: resolvePath(io, str(v, 'out')),
      full: v.full === true,
      n: (v.n as number | undefined) ?? size.n,
      testPerGroup: (v['test-per-group'] as number | undefined) ?? size.testPerGroup,
      epochs: (v.epochs as number | undefined) ?? size.epochs,
      batchSize: num(v, 'batch-size'),
      latentDim: (v['latent-dim'] as number | undefined) ?? size.latentDim,
      alpha: num(v, 'alpha'),
      combine: str(v, 'combine') as 'max' | 'product',
      klWeight: num(v, 'kl-weight'),
      seed: num(v, 'seed'),
      force: v.force === true,
    };
  },
  run: async (options, io) => {
    await runDemo(options, io);
  },
};
