import { mkdir, readFile, readdir, access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors';
import { writeFileAtomic } from '../fs-atomic';
import type { GroupMetricsResult } from '../group-metrics';
import { meanInterval, type MeanInterval } from '../stats/seed-summary';
import type { SynthDataSettings, VariantOutcome, VariantSettings } from './synth-run';

/** One row of a sweep: a named model setting. */
export interface SweepSetting {
  /** Stable id (file names, JSON keys), such as `alpha-0.01`. */
  id: string;
  /** Row label, such as `alpha 0.01`. */
  label: string;
  /** What to train. */
  variant: VariantSettings;
}

/** A sweep: the data, the rows and the seeds. */
export interface SweepPlan {
  /** How each seed's data is generated. */
  data: SynthDataSettings;
  /** The rows: one model setting each. */
  settings: SweepSetting[];
  /** The seeds every setting is run with. */
  seeds: number[];
}

/** What one finished cell (setting x seed) stored. */
export interface CellRecord {
  /** Id of the cell's {@link SweepSetting}. */
  setting: string;
  /** The cell's seed. */
  seed: number;
  /** Accuracy per test group and its summaries. */
  metrics: GroupMetricsResult;
  /** Per epoch each group's share of the drawn faces (DB-VAE network only). */
  sampling: VariantOutcome['sampling'];
  /** Wall-clock seconds of training. */
  seconds: number;
}

/** One row of the Table-1 layout: mean accuracy and variance across groups, as means over seeds with 95% t-intervals (fractions). */
export interface SweepRow {
  /** Id of the row's setting. */
  id: string;
  /** Row label. */
  label: string;
  /** Seeds whose cells the row summarises. */
  seeds: number[];
  /** Mean accuracy across groups: mean over seeds with its t-interval. */
  meanAccuracy: MeanInterval;
  /** Variance of accuracy across groups: mean over seeds with its t-interval. */
  accuracyVariance: MeanInterval;
  /** Per group: mean accuracy over seeds with its t-interval. */
  groups: Record<string, MeanInterval>;
  /** Mean over seeds of the last epoch's share of drawn faces per group (DB-VAE network only). */
  lastEpochShare?: Record<string, number>;
}

/** Runs one cell; injectable so the resume logic can be tested without training. */
export type CellRunner = (setting: SweepSetting, seed: number, data: SynthDataSettings) => Promise<Omit<CellRecord, 'setting' | 'seed'>>;

const PLAN_FILE = 'plan.json';
const CELLS_DIR = 'cells';

function cellFile(setting: string, seed: number): string {
  return `${setting}--seed-${seed}.json`;
}

/**
 * Runs every (setting, seed) cell of a sweep that has no result yet in `out/cells/`, writing each
 * cell's result atomically as soon as it finishes: an interrupted sweep rerun with the same plan
 * picks up where it stopped and never reruns a finished cell. The plan is stored in
 * `out/plan.json`; a different plan in the same folder is refused (seeds may be added).
 * @returns All cell records of the plan, finished now or before.
 * @throws InputError when `out` holds another plan or cannot be written.
 */
export async function runSweep(out: string, plan: SweepPlan, runCell: CellRunner, log: (line: string) => void = () => undefined): Promise<CellRecord[]> {
  await mkdir(join(out, CELLS_DIR), { recursive: true });
  try {
    await access(out, constants.W_OK);
  } catch {
    throw new InputError(`--out ${out}: the folder is not writable; choose another.`);
  }
  const planPath = join(out, PLAN_FILE);
  const stored = await readJson<SweepPlan>(planPath);
  const key = (p: SweepPlan) => JSON.stringify({ data: p.data, settings: p.settings });
  if (stored && key(stored) !== key(plan)) {
    throw new InputError(`--out ${out}: holds a sweep with other settings (${planPath}); use another folder, or the same flags to resume it.`);
  }
  await writeFileAtomic(planPath, `${JSON.stringify({ ...plan, seeds: [...new Set([...(stored?.seeds ?? []), ...plan.seeds])].sort((a, b) => a - b) }, null, 2)}\n`);
  const done = new Set(await readdir(join(out, CELLS_DIR)));
  const records: CellRecord[] = [];
  const total = plan.settings.length * plan.seeds.length;
  let index = 0;
  for (const seed of plan.seeds) {
    for (const setting of plan.settings) {
      index++;
      const file = join(out, CELLS_DIR, cellFile(setting.id, seed));
      if (done.has(cellFile(setting.id, seed))) {
        const rec = await readJson<CellRecord>(file);
        if (rec) {
          records.push(rec);
          log(`[${index}/${total}] ${setting.label}, seed ${seed}: done before, kept`);
          continue;
        }
      }
      log(`[${index}/${total}] ${setting.label}, seed ${seed}: training...`);
      const result = await runCell(setting, seed, plan.data);
      const rec: CellRecord = { setting: setting.id, seed, ...result };
      await writeFileAtomic(file, `${JSON.stringify(rec)}\n`);
      records.push(rec);
      log(`[${index}/${total}] ${setting.label}, seed ${seed}: mean accuracy ${(rec.metrics.meanAccuracy * 100).toFixed(1)}%, variance ${(rec.metrics.accuracyVariance * 1e4).toFixed(0)} %² (${rec.seconds.toFixed(0)} s)`);
    }
  }
  return records;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined; // a torn file from an older, non-atomic writer: rerun that cell
  }
}

/** Summarises cell records into the Table-1 rows, in the plan's order. */
export function sweepRows(plan: SweepPlan, records: readonly CellRecord[]): SweepRow[] {
  return plan.settings.map((s) => {
    const cells = records.filter((r) => r.setting === s.id && plan.seeds.includes(r.seed)).sort((a, b) => a.seed - b.seed);
    const groups: Record<string, MeanInterval> = {};
    const names = [...new Set(cells.flatMap((c) => Object.keys(c.metrics.groups)))];
    for (const g of names) groups[g] = meanInterval(cells.map((c) => c.metrics.groups[g]?.accuracy ?? Number.NaN).filter(Number.isFinite));
    const shares = cells.map((c) => c.sampling[c.sampling.length - 1]?.groupShare).filter((x): x is Record<string, number> => x !== undefined);
    const lastEpochShare = shares.length ? Object.fromEntries(Object.keys(shares[0]!).map((g) => [g, shares.reduce((a, x) => a + (x[g] ?? 0), 0) / shares.length])) : undefined;
    return {
      id: s.id,
      label: s.label,
      seeds: cells.map((c) => c.seed),
      meanAccuracy: meanInterval(cells.map((c) => c.metrics.meanAccuracy)),
      accuracyVariance: meanInterval(cells.map((c) => c.metrics.accuracyVariance)),
      groups,
      ...(lastEpochShare ? { lastEpochShare } : {}),
    };
  });
}

/** The rows as a Markdown table in the DB-VAE paper's Table-1 layout (percent and percent squared, 95% t-intervals over seeds). */
export function sweepMarkdown(rows: readonly SweepRow[], caption: string): string {
  const pct = (m: MeanInterval) => `${(m.mean * 100).toFixed(1)} (${(m.low * 100).toFixed(1)}–${(m.high * 100).toFixed(1)})`;
  const sq = (m: MeanInterval) => `${(m.mean * 1e4).toFixed(1)} (${(m.low * 1e4).toFixed(1)}–${(m.high * 1e4).toFixed(1)})`;
  const groupNames = [...new Set(rows.flatMap((r) => Object.keys(r.groups)))];
  const header = ['Setting', 'Seeds', 'Mean accuracy (%)', 'Variance (%²)', ...groupNames.map((g) => `${g} (%)`), 'Rare-group share of draws'];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`];
  for (const r of rows) {
    const share = r.lastEpochShare ? `${(((r.lastEpochShare.DF ?? 0) + (r.lastEpochShare.DM ?? 0)) * 100).toFixed(0)}%` : '–';
    lines.push(`| ${[r.label, String(r.seeds.length), pct(r.meanAccuracy), sq(r.accuracyVariance), ...groupNames.map((g) => (r.groups[g] ? (r.groups[g]!.mean * 100).toFixed(1) : '–')), share].join(' | ')} |`);
  }
  return `${caption}\n\n${lines.join('\n')}\n`;
}
