import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidArgumentError } from '@dbvae/backend';
import { writeDirAtomic } from '../fs-atomic';
import { writeOutputMarker } from '../output-dir';
import { REPORT_PALETTE, accuracyVsRiskChart, groupProbabilityChart, lossCurveChart, samplingWeightsChart, type ChartSpec } from './charts';
import { accuracyVsRiskIntervalChart, describeRiskTrend, groupAccuracyChart, groupShareChart } from './interval-charts';
import { assembleReportHtml, type ReportBlock, type ReportDocument, type ReportSection, type SummaryCard, type TableBlock, type TextBlock } from './html';
import { imageGridPng } from './image-grid';
import { renderChartSvg, svgToPng } from './render';
import type { ReportData } from './types';

/** What {@link writeReport} wrote. */
export interface WrittenReport {
  /** Absolute path of `index.html`. */
  indexPath: string;
  /** File names written beside it (chart and image PNGs), relative to the report folder. */
  files: string[];
  /** Section ids on the page, in order. */
  sections: string[];
}

/** Options of {@link writeReport}. */
export interface WriteReportOptions {
  /** Write a PNG copy of each chart beside the page. Default true. */
  chartPngs?: boolean;
  /** Pixel density of the chart PNGs. Default 2. */
  pngScale?: number;
  /** Further text files written beside `index.html` in the same atomic step, by file name (such as `summary.json`). */
  extraFiles?: Record<string, string>;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'item';
}

/** Builds the page description (sections, cards, chart specs) from report data; no I/O. */
export function planReport(data: ReportData): {
  /** Title, subtitle and summary cards. */
  doc: Omit<ReportDocument, 'sections'>;
  /** The sections with their charts, grids, tables and text, not yet rendered. */
  sections: PlannedSection[];
} {
  if (!data.title) throw new InvalidArgumentError('writeReport: the report needs a title.');
  const sections: PlannedSection[] = [];
  const cards: SummaryCard[] = [];
  const models = data.groupMetrics ?? [];
  if (models.length) {
    models.forEach((m, i) => {
      const accs = Object.values(m.metrics.groups).map((g) => g.accuracy);
      const gap = (Math.max(...accs) - Math.min(...accs)) * 100;
      cards.push({ label: m.model, value: pct(m.metrics.meanAccuracy), detail: `mean accuracy over groups · gap ${gap.toFixed(1)} pp · variance ${(m.metrics.accuracyVariance * 1e4).toFixed(2)} %² · one run, see “How sure is this?”`, color: REPORT_PALETTE[i % REPORT_PALETTE.length] });
    });
    const groups = [...new Set(models.flatMap((m) => Object.keys(m.metrics.groups)))];
    const rows: (string | number)[][] = groups.map((g) => {
      const first = models.find((m) => m.metrics.groups[g])?.metrics.groups[g];
      return [g, first?.n ?? '', ...models.flatMap((m) => {
        const s = m.metrics.groups[g];
        return s ? [s.meanProb.toFixed(3), `${pct(s.accuracy)} (${pct(s.low)}–${pct(s.high)})`] : ['–', '–'];
      })];
    });
    rows.push(['Mean accuracy', '', ...models.flatMap((m) => ['', pct(m.metrics.meanAccuracy)])]);
    rows.push(['Variance (%²)', '', ...models.flatMap((m) => ['', (m.metrics.accuracyVariance * 1e4).toFixed(2)])]);
    if (data.uncertainty?.length) sections.push({ id: 'uncertainty', title: 'How sure is this?', items: [{ kind: 'text', text: data.uncertainty, list: true }] });
    sections.push({
      id: 'groups',
      title: 'Face detection by group',
      intro: 'Mean predicted face probability on the balanced test faces of each group (light/dark skin × female/male). A fair detector has bars of equal height; debiasing should lift the groups the standard CNN finds hardest.',
      items: [
        { kind: 'chart', name: 'group-accuracy', spec: groupAccuracyChart(models), caption: 'Accuracy per group with 95% Wilson intervals (the black bars): differences that stay within the intervals are test-set noise.' },
        { kind: 'chart', name: 'group-probabilities', spec: groupProbabilityChart(models), caption: 'Mean face probability per group, standard CNN beside the DB-VAE.' },
        { kind: 'table', columns: ['Group', 'Faces', ...models.flatMap((m) => [`${m.model} prob.`, `${m.model} acc. (95% interval)`])], rows, caption: 'Accuracy = share of faces with probability ≥ 0.5 (recall on faces), with its 95% Wilson interval. Variance is across groups, in percent squared as in the DB-VAE paper.' },
      ],
    });
  }
  if (data.seeds) {
    sections.push({ id: 'seeds', title: 'Over seeds', intro: 'The same comparison repeated with other seeds (data, weights and batches all change): one run is one draw from this spread.', items: [{ kind: 'table', columns: data.seeds.columns, rows: data.seeds.rows, caption: data.seeds.caption }] });
  }
  if (data.charts?.length) {
    sections.push({ id: 'charts', title: 'Charts', items: data.charts.map((c) => ({ kind: 'chart' as const, name: slug(c.name), spec: c.spec, caption: c.caption ? `${c.title}. ${c.caption}` : c.title })) });
  }
  if (data.losses?.length) {
    sections.push({
      id: 'training',
      title: 'Training',
      intro: 'Loss per training step; faint lines are the raw values, solid lines a moving average.',
      items: [{ kind: 'chart', name: 'training-loss', spec: lossCurveChart(data.losses), caption: 'Training losses by model.' }],
    });
  }
  if (data.accuracyVsRisk?.length) {
    const risks = [...new Set(data.accuracyVsRisk.map((s) => s.risk))];
    sections.push({
      id: 'risk',
      title: 'Accuracy against risk',
      intro: 'Test samples sorted by a risk score and cut into equal chunks, with 95% intervals per chunk. If a model is worse on rarely seen faces, accuracy climbs from left to right on the bias chart; if an uncertainty score flags mistakes, accuracy falls from left to right on its chart. The captions say what the curves measured here actually do.',
      items: risks.map((risk) => {
        const series = data.accuracyVsRisk!.filter((s) => s.risk === risk);
        const withCounts = series.every((s) => s.chunks.every((c) => c.count !== undefined && c.count > 0));
        const trend = withCounts ? series.map(describeRiskTrend).filter(Boolean).join(' ') : '';
        return { kind: 'chart' as const, name: `accuracy-vs-${slug(risk)}`, spec: withCounts ? accuracyVsRiskIntervalChart(series) : accuracyVsRiskIntervalChartFallback(series), caption: `Accuracy per ${risk} percentile chunk.${trend ? ` ${trend}` : ''}` };
      }),
    });
  }
  if (data.groupShare?.length) {
    sections.push({
      id: 'group-share',
      title: 'Who gets drawn',
      intro: 'Each group\'s share of the faces drawn for training, per epoch (the expected share under that epoch\'s sampling probabilities). Uniform sampling draws each group at its frequency in the training set; resampling should lift the rare groups.',
      items: [{ kind: 'chart', name: 'group-share', spec: groupShareChart(data.groupShare), caption: 'Share of drawn training faces per group and epoch.' }],
    });
  }
  if (data.samplingWeights && data.samplingWeights.length) {
    const w = data.samplingWeights;
    let sum = 0;
    let max = 0;
    let min = Infinity;
    for (let i = 0; i < w.length; i++) {
      sum += w[i] as number;
      max = Math.max(max, w[i] as number);
      min = Math.min(min, w[i] as number);
    }
    const ratio = min > 0 ? (max / min).toFixed(1) : '∞';
    sections.push({
      id: 'sampling',
      title: 'Sampling probabilities',
      intro: `How the DB-VAE re-weights its ${w.length} training faces: rare faces (low latent density) are drawn more often. The most favoured face is drawn ${ratio}× as often as the least.`,
      items: [{ kind: 'chart', name: 'sampling-probabilities', spec: samplingWeightsChart(Array.from({ length: w.length }, (_, i) => (w[i] as number) / (sum || 1))), caption: 'Left: distribution of the sampling probabilities relative to uniform. Right: the same values sorted.' }],
    });
  }
  if (data.imageGrids?.length) {
    sections.push({
      id: 'faces',
      title: 'Faces',
      intro: 'What the models see as common and as rare.',
      items: data.imageGrids.map((g, i) => ({ kind: 'grid' as const, name: `faces-${i + 1}-${slug(g.title)}`, grid: g })),
    });
  }
  if (data.settings && Object.keys(data.settings).length) {
    sections.push({ id: 'settings', title: 'Settings', items: [{ kind: 'table', columns: ['Setting', 'Value'], rows: Object.entries(data.settings).map(([k, v]) => [k, String(v)]) }] });
  }
  if (data.notes?.length) sections.push({ id: 'notes', title: 'Notes', items: [{ kind: 'text', text: data.notes, list: true }] });
  const when = data.generatedAt ?? new Date().toISOString();
  return { doc: { title: data.title, subtitle: data.subtitle, meta: `Generated ${when.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`, cards }, sections };
}

/** The chart without intervals, for chunks that carry no sample counts. */
function accuracyVsRiskIntervalChartFallback(series: NonNullable<ReportData['accuracyVsRisk']>): ChartSpec {
  return accuracyVsRiskChart(series);
}

/** A section before rendering: charts are still specs and grids still pixels. */
export interface PlannedSection {
  /** Anchor id of the section. */
  id: string;
  /** Section heading. */
  title: string;
  /** A paragraph under the heading. */
  intro?: string;
  /** Its contents, in order. */
  items: PlannedItem[];
}

/** A block before rendering. */
export type PlannedItem =
  | {
    /** A chart. */
    kind: 'chart';
    /** File name stem of its PNG. */
    name: string;
    /** Its Vega-Lite specification. */
    spec: ChartSpec;
    /** Caption under it. */
    caption?: string;
  }
  | {
    /** An image grid. */
    kind: 'grid';
    /** File name stem of its PNG. */
    name: string;
    /** The images and their layout. */
    grid: NonNullable<ReportData['imageGrids']>[number];
  }
  | TableBlock
  | TextBlock;

/**
 * Writes a self-contained report folder: `index.html` (inline CSS and SVG charts, no scripts,
 * no network) plus one PNG per chart and per image grid beside it. The folder is built in a
 * temporary folder and renamed into place, so `outDir` is either the old report or the whole
 * new one, never half of it.
 * @param outDir Report folder (created; replaced if it exists).
 * @param data What to draw; sections without data are left out.
 * @throws InvalidArgumentError / ShapeError for malformed data (non-finite values, bad images); ChartRenderError if a chart fails to render.
 * @example
 * await writeReport('report', { title: 'DB-VAE on SynthFaces', groupMetrics: [{ model: 'Standard CNN', metrics }] });
 */
export async function writeReport(outDir: string, data: ReportData, options: WriteReportOptions = {}): Promise<WrittenReport> {
  const { doc, sections: planned } = planReport(data);
  const chartPngs = options.chartPngs ?? true;
  const scale = options.pngScale ?? 2;
  const files: string[] = [];
  await writeDirAtomic(outDir, async (tmp) => {
    const sections: ReportSection[] = [];
    for (const s of planned) {
      const blocks: ReportBlock[] = [];
      for (const item of s.items) {
        if (item.kind === 'chart') {
          const svg = await renderChartSvg(item.spec);
          let png: string | undefined;
          if (chartPngs) {
            png = `${item.name}.png`;
            await writeFile(join(tmp, png), await svgToPng(svg, scale));
            files.push(png);
          }
          blocks.push({ kind: 'chart', svg, png, caption: item.caption });
        } else if (item.kind === 'grid') {
          const src = `${item.name}.png`;
          await writeFile(join(tmp, src), await imageGridPng(item.grid.rows));
          files.push(src);
          blocks.push({ kind: 'image', src, alt: item.grid.title, caption: item.grid.caption ? `${item.grid.title}. ${item.grid.caption}` : item.grid.title });
        } else {
          blocks.push(item);
        }
      }
      sections.push({ id: s.id, title: s.title, intro: s.intro, blocks });
    }
    await writeFile(join(tmp, 'index.html'), assembleReportHtml({ ...doc, sections }));
    for (const [name, text] of Object.entries(options.extraFiles ?? {})) {
      if (name.includes('/') || name.includes('\\') || name === 'index.html' || name.startsWith('.')) throw new InvalidArgumentError(`writeReport: extra file name '${name}' must be a plain file name other than index.html.`);
      await writeFile(join(tmp, name), text);
      files.push(name);
    }
    await writeOutputMarker(tmp, 'report', 'writeReport');
  });
  return { indexPath: join(resolve(outDir), 'index.html'), files, sections: planned.map((s) => s.id) };
}
