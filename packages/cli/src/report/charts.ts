import { InvalidArgumentError } from '@dbvae/backend';
import type { AccuracyVsRiskSeries, LossSeries, ModelGroupMetrics } from './types';

/** A Vega-Lite specification (plain JSON), ready for `renderChartSvg` or any Vega-Lite renderer. */
export type ChartSpec = Record<string, unknown>;

/** @internal The Vega-Lite schema every report chart names. */
export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Colours of the report: the standard CNN in slate, the DB-VAE in teal, further series after them. */
export const REPORT_PALETTE: readonly string[] = ['#64748b', '#0d9488', '#f59e0b', '#6366f1', '#e11d48', '#84cc16', '#0ea5e9', '#a855f7'];

const FONT = 'Inter, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif';

/** Shared look: light grid, no chart border, readable labels. */
export const CHART_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  font: FONT,
  background: 'white',
  padding: 8,
  view: { stroke: null },
  axis: { labelColor: '#475569', titleColor: '#334155', titleFontWeight: 600, titleFontSize: 12, labelFontSize: 11, gridColor: '#e2e8f0', domainColor: '#94a3b8', tickColor: '#94a3b8' },
  legend: { labelColor: '#334155', titleColor: '#334155', labelFontSize: 12, titleFontSize: 12, orient: 'top', symbolType: 'circle', symbolOpacity: 1, symbolSize: 90 },
  header: { labelFontSize: 13, labelFontWeight: 600, labelColor: '#1e293b', titleFontSize: 0 },
  title: { fontSize: 14, fontWeight: 600, color: '#0f172a', anchor: 'start', offset: 10 },
  range: { category: [...REPORT_PALETTE] },
});

/** @internal `value`, or a typed error naming `what` when it is not a finite number. */
export function finite(value: number, what: string): number {
  if (!Number.isFinite(value)) throw new InvalidArgumentError(`${what} is ${value}; chart data must be finite numbers.`);
  return value;
}

/**
 * The lab's figure: mean face probability per group (LF, LM, DF, DM, ...) with one bar per model
 * side by side, the value printed on each bar. Groups keep the order of the first model; models
 * the order given (and the report palette's colours in that order).
 * @throws InvalidArgumentError when no model is given or a value is not finite.
 */
export function groupProbabilityChart(models: readonly ModelGroupMetrics[], options: { metric?: 'meanProb' | 'accuracy' } = {}): ChartSpec {
  if (models.length === 0) throw new InvalidArgumentError('groupProbabilityChart: give the metrics of at least one model.');
  const metric = options.metric ?? 'meanProb';
  const bars = groupedBars(models, (model, group, s) => ({ value: finite(s[metric], `${model} ${group} ${metric}`) }));
  const title = metric === 'meanProb' ? 'Face probability' : 'Accuracy (faces detected)';
  return {
    ...bars.spec,
    encoding: {
      ...bars.encoding,
      y: { field: 'value', type: 'quantitative', title, scale: { domain: [0, 1] }, axis: { format: '.1f', tickCount: 5 } },
    },
    layer: [
      { mark: { type: 'bar', cornerRadiusTopLeft: 3, cornerRadiusTopRight: 3, width: { band: 0.9 } } },
      { mark: { type: 'text', dy: -6, fontSize: 10, color: '#334155' }, encoding: { text: { field: 'value', type: 'quantitative', format: '.2f' }, color: { value: '#334155' } } },
    ],
  };
}

/**
 * @internal The layout the per-group bar charts share: one row per (model, group) with the
 * fields `row` adds, groups in the order first seen, one bar per model side by side in the
 * order given (and the palette's colours in that order).
 */
export function groupedBars(
  models: readonly ModelGroupMetrics[],
  row: (model: string, group: string, stats: ModelGroupMetrics['metrics']['groups'][string]) => Record<string, unknown>,
): { values: Record<string, unknown>[]; spec: ChartSpec; encoding: Record<string, unknown> } {
  const groupOrder: string[] = [];
  const values: Record<string, unknown>[] = [];
  for (const m of models) {
    for (const [group, s] of Object.entries(m.metrics.groups)) {
      if (!groupOrder.includes(group)) groupOrder.push(group);
      values.push({ model: m.model, group, ...row(m.model, group, s), n: s.n });
    }
  }
  const modelOrder = models.map((m) => m.model);
  return {
    values,
    spec: { $schema: SCHEMA, config: CHART_CONFIG, width: Math.max(320, groupOrder.length * models.length * 56), height: 280, data: { values } },
    encoding: {
      x: { field: 'group', type: 'nominal', sort: groupOrder, title: 'Group', axis: { labelAngle: 0, labelFontSize: 12, labelFontWeight: 600 } },
      xOffset: { field: 'model', type: 'nominal', sort: modelOrder },
      color: { field: 'model', type: 'nominal', sort: modelOrder, title: null },
    },
  };
}

/**
 * Training loss curves: one panel per model, one coloured line per loss, each panel with its
 * own y scale. Raw values are drawn faint; a trailing moving average over `smooth` steps on top.
 * @param options.smooth Moving-average window in steps; 1 draws only the raw values. Default: about 1/20 of the longest series (at least 1).
 * @throws InvalidArgumentError when there is no series, a series is empty, or a value is not finite.
 */
export function lossCurveChart(series: readonly LossSeries[], options: { smooth?: number } = {}): ChartSpec {
  if (series.length === 0) throw new InvalidArgumentError('lossCurveChart: give at least one loss series.');
  const values: Record<string, unknown>[] = [];
  let longest = 0;
  for (const s of series) {
    if (s.values.length === 0) throw new InvalidArgumentError(`lossCurveChart: the ${s.model} ${s.loss} series is empty.`);
    longest = Math.max(longest, s.values.length);
    const step = Math.max(1, Math.ceil(s.values.length / 400));
    for (let i = 0; i < s.values.length; i += step) values.push({ model: s.model, loss: s.loss, step: i + 1, value: finite(s.values[i] as number, `${s.model} ${s.loss} loss at step ${i + 1}`) });
  }
  const smooth = options.smooth ?? Math.max(1, Math.round(longest / 20));
  const modelOrder = [...new Set(series.map((s) => s.model))];
  const lossOrder = [...new Set(series.map((s) => s.loss))];
  const base = {
    x: { field: 'step', type: 'quantitative', title: 'Step' },
    color: { field: 'loss', type: 'nominal', sort: lossOrder, title: null, scale: { range: [...REPORT_PALETTE.slice(1), REPORT_PALETTE[0]] }, legend: { symbolType: 'stroke', symbolStrokeWidth: 3, symbolSize: 200 } },
    detail: { field: 'loss' },
  };
  const layers: Record<string, unknown>[] = [];
  if (smooth > 1) {
    layers.push({ mark: { type: 'line', strokeWidth: 1, opacity: 0.3 }, encoding: { ...base, y: { field: 'value', type: 'quantitative', title: 'Loss' } } });
    layers.push({
      transform: [{ window: [{ op: 'mean', field: 'value', as: 'smoothed' }], frame: [-(smooth - 1), 0], groupby: ['model', 'loss'], sort: [{ field: 'step' }] }],
      mark: { type: 'line', strokeWidth: 2.2 },
      encoding: { ...base, y: { field: 'smoothed', type: 'quantitative', title: 'Loss' } },
    });
  } else {
    layers.push({ mark: { type: 'line', strokeWidth: 2 }, encoding: { ...base, y: { field: 'value', type: 'quantitative', title: 'Loss' } } });
  }
  return {
    $schema: SCHEMA,
    config: CHART_CONFIG,
    data: { values },
    facet: { column: { field: 'model', type: 'nominal', sort: modelOrder, title: null } },
    spec: { width: modelOrder.length > 1 ? 380 : 760, height: 220, layer: layers },
    resolve: { scale: { y: 'independent' } },
  };
}

const RISK_TITLES: Record<string, string> = {
  bias: 'Representation-bias percentile (rarest first)',
  epistemic: 'Epistemic-uncertainty percentile (low first)',
  aleatoric: 'Aleatoric-uncertainty percentile (low first)',
};

/**
 * Accuracy against risk percentile (line with points), one line per series; the lab's
 * `plot_accuracy_vs_risk`. All series must share the same `risk`.
 * @throws InvalidArgumentError when there is no series, the series mix risks, a series has no chunks, or a value is not finite.
 */
export function accuracyVsRiskChart(series: readonly AccuracyVsRiskSeries[]): ChartSpec {
  if (series.length === 0) throw new InvalidArgumentError('accuracyVsRiskChart: give at least one series.');
  const risk = series[0]!.risk;
  if (series.some((s) => s.risk !== risk)) throw new InvalidArgumentError('accuracyVsRiskChart: all series of one chart must share the same risk; draw one chart per risk.');
  const values: Record<string, unknown>[] = [];
  for (const s of series) {
    if (s.chunks.length === 0) throw new InvalidArgumentError(`accuracyVsRiskChart: series ${s.label} has no chunks.`);
    for (const c of s.chunks) values.push({ label: s.label, percentile: finite(c.percentile, 'percentile'), accuracy: finite(c.accuracy, 'accuracy'), meanRisk: c.meanRisk ?? null, count: c.count ?? null });
  }
  const labels = series.map((s) => s.label);
  const enc = {
    x: { field: 'percentile', type: 'quantitative', title: RISK_TITLES[risk] ?? `${risk} percentile`, scale: { domain: [0, 100] }, axis: { values: [0, 20, 40, 60, 80, 100], labelExpr: "datum.value + '%'" } },
    y: { field: 'accuracy', type: 'quantitative', title: 'Accuracy', scale: { zero: false }, axis: { format: '.0%' } },
    color: { field: 'label', type: 'nominal', sort: labels, title: null, scale: labels.length === 1 ? { range: [REPORT_PALETTE[1]] } : { range: [...REPORT_PALETTE] } },
  };
  return {
    $schema: SCHEMA,
    config: CHART_CONFIG,
    width: 330,
    height: 240,
    data: { values },
    encoding: enc,
    layer: [{ mark: { type: 'line', strokeWidth: 2.2 } }, { mark: { type: 'point', filled: true, size: 55, opacity: 1 } }],
  };
}

/**
 * The DB-VAE's sampling probabilities over the training faces, two panels: a histogram of the
 * probabilities relative to uniform (`n * p`, so 1 means "drawn as often as under uniform
 * sampling"), and the same values sorted from largest to smallest (log scale) with the uniform
 * level as a dashed rule.
 * @throws InvalidArgumentError for no weights, a negative or non-finite weight, or weights that sum to zero.
 */
export function samplingWeightsChart(weights: ArrayLike<number>, options: { bins?: number } = {}): ChartSpec {
  const n = weights.length;
  if (n === 0) throw new InvalidArgumentError('samplingWeightsChart: no weights.');
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i] as number;
    if (!Number.isFinite(w) || w < 0) throw new InvalidArgumentError(`samplingWeightsChart: weight ${i} is ${w}; weights must be finite and non-negative.`);
    sum += w;
  }
  if (sum <= 0) throw new InvalidArgumentError('samplingWeightsChart: weights sum to zero.');
  const rel = Array.from({ length: n }, (_, i) => ((weights[i] as number) / sum) * n).sort((a, b) => b - a);
  const bins = options.bins ?? 40;
  const lo = 0;
  const hi = Math.max(rel[0] ?? 1, 1e-12);
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const r of rel) counts[Math.min(bins - 1, Math.floor((r - lo) / width))]! += 1;
  const hist = counts.map((count, b) => ({ start: lo + b * width, end: lo + (b + 1) * width, count }));
  const stride = Math.max(1, Math.ceil(n / 500));
  const sorted: Record<string, number>[] = [];
  for (let i = 0; i < n; i += stride) sorted.push({ rank: (i / n) * 100, rel: Math.max(rel[i] as number, 1e-6) });
  sorted.push({ rank: 100, rel: Math.max(rel[n - 1] as number, 1e-6) });
  const teal = REPORT_PALETTE[1];
  return {
    $schema: SCHEMA,
    config: CHART_CONFIG,
    hconcat: [
      {
        width: 380,
        height: 220,
        title: 'How often each face is drawn',
        data: { values: hist },
        mark: { type: 'bar', color: teal, binSpacing: 0 },
        encoding: {
          x: { field: 'start', type: 'quantitative', bin: { binned: true }, title: 'Sampling probability × n (1 = uniform)' },
          x2: { field: 'end' },
          y: { field: 'count', type: 'quantitative', title: 'Faces' },
        },
      },
      {
        width: 380,
        height: 220,
        title: 'Sorted, largest first',
        layer: [
          { data: { values: sorted }, mark: { type: 'line', color: teal, strokeWidth: 2.2 }, encoding: { x: { field: 'rank', type: 'quantitative', title: 'Faces (percent, by rank)', scale: { domain: [0, 100] } }, y: { field: 'rel', type: 'quantitative', title: 'Sampling probability × n', scale: { type: 'log' } } } },
          { data: { values: [{ y: 1 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#64748b' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
        ],
      },
    ],
  };
}
