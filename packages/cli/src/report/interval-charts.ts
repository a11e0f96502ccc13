import { InvalidArgumentError } from '@dbvae/backend';
import { wilsonInterval } from '../stats/wilson';
import { CHART_CONFIG, REPORT_PALETTE, SCHEMA, finite, groupedBars, type ChartSpec } from './charts';
import type { AccuracyVsRiskSeries, GroupShareSeries, ModelGroupMetrics } from './types';

const RISK_TITLES: Record<string, string> = {
  bias: 'Representation-bias percentile (rarest first)',
  epistemic: 'Epistemic-uncertainty percentile (low first)',
  aleatoric: 'Aleatoric-uncertainty percentile (low first)',
};

/**
 * Accuracy per group with 95% Wilson error bars (`low`/`high` of `groupMetrics`), one bar per
 * model side by side: the lab's per-group figure with its uncertainty.
 * @throws InvalidArgumentError when no model is given or a value is not finite.
 */
export function groupAccuracyChart(models: readonly ModelGroupMetrics[]): ChartSpec {
  if (models.length === 0) throw new InvalidArgumentError('groupAccuracyChart: give the metrics of at least one model.');
  const bars = groupedBars(models, (model, group, s) => ({ accuracy: finite(s.accuracy, `${model} ${group} accuracy`), low: finite(s.low, `${model} ${group} low`), high: finite(s.high, `${model} ${group} high`) }));
  const lowest = Math.min(...bars.values.map((v) => v.low as number));
  const floor = Math.max(0, Math.floor(lowest * 10) / 10 - 0.1);
  return {
    ...bars.spec,
    encoding: bars.encoding,
    layer: [
      { mark: { type: 'bar', cornerRadiusTopLeft: 3, cornerRadiusTopRight: 3, width: { band: 0.9 }, opacity: 0.85 }, encoding: { y: { field: 'accuracy', type: 'quantitative', title: 'Accuracy (faces detected), 95% interval', scale: { domain: [floor, 1] }, axis: { format: '.0%', tickCount: 5 } } } },
      { mark: { type: 'rule', color: '#0f172a', strokeWidth: 1.5 }, encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color: { value: '#0f172a' } } },
    ],
  };
}

/**
 * Accuracy against risk percentile with a 95% Wilson interval per chunk (from its `count`), one
 * line per series; the lab's `plot_accuracy_vs_risk` with error bars.
 * @throws InvalidArgumentError when there is no series, they mix risks, or a chunk has no count.
 */
export function accuracyVsRiskIntervalChart(series: readonly AccuracyVsRiskSeries[]): ChartSpec {
  if (series.length === 0) throw new InvalidArgumentError('accuracyVsRiskIntervalChart: give at least one series.');
  const risk = series[0]!.risk;
  if (series.some((s) => s.risk !== risk)) throw new InvalidArgumentError('accuracyVsRiskIntervalChart: all series of one chart must share the same risk.');
  const values: Record<string, unknown>[] = [];
  series.forEach((s, i) => {
    // The series' error bars share x values; a small sideways shift per series keeps them apart.
    // (Vega-Lite's xOffset only applies to a discrete x axis, and this one is quantitative.)
    const shift = (i - (series.length - 1) / 2) * 1.2;
    for (const c of s.chunks) {
      const count = c.count;
      if (count === undefined || !Number.isInteger(count) || count < 1) throw new InvalidArgumentError(`accuracyVsRiskIntervalChart: chunk ${c.percentile} of ${s.label} needs its sample count for the interval.`);
      const { low, high } = wilsonInterval(Math.round(finite(c.accuracy, 'accuracy') * count), count);
      const percentile = finite(c.percentile, 'percentile');
      values.push({ label: s.label, percentile, position: percentile + shift, accuracy: c.accuracy, low, high });
    }
  });
  const labels = series.map((s) => s.label);
  const x = { field: 'position', type: 'quantitative', title: RISK_TITLES[risk] ?? `${risk} percentile`, scale: { domain: [0, 100] }, axis: { values: [0, 20, 40, 60, 80, 100], labelExpr: "datum.value + '%'" } };
  const color = { field: 'label', type: 'nominal', sort: labels, title: null, scale: { range: [...REPORT_PALETTE] } };
  return {
    $schema: SCHEMA,
    config: CHART_CONFIG,
    width: 330,
    height: 240,
    data: { values },
    encoding: { x, color },
    layer: [
      { mark: { type: 'rule', strokeWidth: 1.2, opacity: 0.55 }, encoding: { y: { field: 'low', type: 'quantitative', title: 'Accuracy (95% interval)', scale: { zero: false }, axis: { format: '.0%' } }, y2: { field: 'high' } } },
      { mark: { type: 'line', strokeWidth: 2.2 }, encoding: { y: { field: 'accuracy', type: 'quantitative' } } },
      { mark: { type: 'point', filled: true, size: 45, opacity: 1 }, encoding: { y: { field: 'accuracy', type: 'quantitative' } } },
    ],
  };
}

/**
 * Share of the drawn faces per group over the training epochs, one panel per model: how far the
 * resampling moves the rare groups (uniform sampling draws each group at its frequency).
 * @throws InvalidArgumentError when there is no series or a share is not finite.
 */
export function groupShareChart(series: readonly GroupShareSeries[]): ChartSpec {
  if (series.length === 0) throw new InvalidArgumentError('groupShareChart: give at least one series.');
  const values: Record<string, unknown>[] = [];
  for (const s of series) for (const e of s.epochs) for (const [group, share] of Object.entries(e.share)) values.push({ model: s.model, epoch: e.epoch + 1, group, share: finite(share, `${s.model} ${group} share`) });
  const groups = [...new Set(values.map((v) => v.group as string))];
  return {
    $schema: SCHEMA,
    config: CHART_CONFIG,
    data: { values },
    facet: { column: { field: 'model', type: 'nominal', sort: series.map((s) => s.model), title: null } },
    spec: {
      width: 300,
      height: 200,
      layer: [
        { mark: { type: 'line', strokeWidth: 2.2, point: true }, encoding: { x: { field: 'epoch', type: 'ordinal', title: 'Epoch' }, y: { field: 'share', type: 'quantitative', title: 'Share of drawn faces', axis: { format: '.0%' }, scale: { domain: [0, 1] } }, color: { field: 'group', type: 'nominal', sort: groups, title: null, scale: { range: [...REPORT_PALETTE.slice(2), ...REPORT_PALETTE.slice(0, 2)] } } } },
      ],
    },
  };
}

/**
 * One sentence describing an accuracy-against-risk curve as measured (never what it "should"
 * do): accuracy in the first and last chunks with their 95% intervals, and whether the change is
 * larger than their overlap allows.
 */
export function describeRiskTrend(s: AccuracyVsRiskSeries): string {
  const first = s.chunks[0];
  const last = s.chunks[s.chunks.length - 1];
  if (!first || !last || first.count === undefined || last.count === undefined) return '';
  const a = wilsonInterval(Math.round(first.accuracy * first.count), first.count);
  const b = wilsonInterval(Math.round(last.accuracy * last.count), last.count);
  const fmt = (x: number) => `${(x * 100).toFixed(0)}%`;
  const direction = b.low > a.high ? 'rises' : a.low > b.high ? 'falls' : 'shows no clear change';
  return `${s.label}: accuracy ${direction} from ${fmt(first.accuracy)} (${fmt(a.low)}–${fmt(a.high)}) in the first tenth to ${fmt(last.accuracy)} (${fmt(b.low)}–${fmt(b.high)}) in the last.`;
}

/** One row of a sweep chart: a setting's mean accuracy and variance across groups, each a mean over seeds with its interval (fractions). */
export interface SweepChartRow {
  label: string;
  meanAccuracy: { mean: number; low: number; high: number };
  accuracyVariance: { mean: number; low: number; high: number };
}

/**
 * The paper's Table 1 as a chart: per setting, the mean accuracy (%) and the variance of accuracy
 * across groups (%²), each a mean over seeds with its 95% interval, side by side.
 * @throws InvalidArgumentError when there is no row or a value is not finite.
 */
export function sweepChart(rows: readonly SweepChartRow[]): ChartSpec {
  if (rows.length === 0) throw new InvalidArgumentError('sweepChart: give at least one row.');
  const order = rows.map((r) => r.label);
  const values = rows.flatMap((r) => [
    { label: r.label, metric: 'Mean accuracy (%)', mean: finite(r.meanAccuracy.mean * 100, `${r.label} mean`), low: finite(r.meanAccuracy.low * 100, `${r.label} low`), high: finite(r.meanAccuracy.high * 100, `${r.label} high`) },
    { label: r.label, metric: 'Variance across groups (%²)', mean: finite(r.accuracyVariance.mean * 1e4, `${r.label} variance`), low: finite(r.accuracyVariance.low * 1e4, `${r.label} variance low`), high: finite(r.accuracyVariance.high * 1e4, `${r.label} variance high`) },
  ]);
  return {
    $schema: SCHEMA,
    config: CHART_CONFIG,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['Mean accuracy (%)', 'Variance across groups (%²)'] } },
    spec: {
      width: 300,
      height: Math.max(120, rows.length * 32),
      layer: [
        { mark: { type: 'rule', strokeWidth: 2, color: REPORT_PALETTE[0] }, encoding: { y: { field: 'label', type: 'nominal', sort: order, title: null }, x: { field: 'low', type: 'quantitative', title: '95% interval over seeds', scale: { zero: false } }, x2: { field: 'high' } } },
        { mark: { type: 'point', filled: true, size: 70, color: REPORT_PALETTE[1], opacity: 1 }, encoding: { y: { field: 'label', type: 'nominal', sort: order }, x: { field: 'mean', type: 'quantitative' } } },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  };
}
