/** The lab's figures as small SVG strings (no chart library: the page stays light). */
import { GROUPS, type GroupCounts, type ModelName } from './protocol';
import { wilsonInterval } from './stats';

/** Colours of the two models, used by every figure and the legend. */
export const MODEL_COLORS: Record<ModelName, string> = { standard: '#e4572e', dbvae: '#2e86ab' };
/** Display names of the two models. */
export const MODEL_LABELS: Record<ModelName, string> = { standard: 'standard CNN', dbvae: 'DB-VAE' };

/** Loss curves: one polyline per model, x = step of its own run, y = total loss (shared scale). */
export function lossChart(series: Record<ModelName, number[]>, width = 520, height = 200): string {
  const all = [...series.standard, ...series.dbvae].filter(Number.isFinite);
  if (all.length === 0) return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="loss curves (no steps yet)"></svg>`;
  const max = Math.max(...all);
  const min = Math.min(0, ...all);
  const longest = Math.max(series.standard.length, series.dbvae.length, 2);
  const pad = 30;
  const x = (i: number) => pad + (i / (longest - 1)) * (width - pad - 10);
  const y = (v: number) => height - pad - ((v - min) / (max - min || 1)) * (height - pad - 10);
  const lines = (Object.keys(series) as ModelName[])
    .map((m) => {
      const pts = series[m].map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      return pts ? `<polyline fill="none" stroke="${MODEL_COLORS[m]}" stroke-width="1.5" points="${pts}"><title>${MODEL_LABELS[m]}</title></polyline>` : '';
    })
    .join('');
  const axes = `<line x1="${pad}" y1="${height - pad}" x2="${width - 10}" y2="${height - pad}" stroke="#999"/><line x1="${pad}" y1="10" x2="${pad}" y2="${height - pad}" stroke="#999"/>`;
  const labels = `<text x="${pad - 4}" y="14" text-anchor="end" font-size="10">${max.toFixed(2)}</text><text x="${pad - 4}" y="${height - pad}" text-anchor="end" font-size="10">${min.toFixed(1)}</text><text x="${width / 2}" y="${height - 8}" text-anchor="middle" font-size="11">training step</text>`;
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="training loss per step">${axes}${labels}${lines}</svg>`;
}

/** Per-group accuracy of both models: bars with 95% Wilson intervals, groups side by side. */
export function groupAccuracyChart(counts: Partial<Record<ModelName, GroupCounts>>, width = 520, height = 220): string {
  const pad = 34;
  const groupWidth = (width - pad - 10) / GROUPS.length;
  const models = (['standard', 'dbvae'] as ModelName[]).filter((m) => counts[m]);
  const barWidth = groupWidth / 3;
  const y = (v: number) => height - pad - v * (height - pad - 12);
  let body = '';
  GROUPS.forEach((g, gi) => {
    models.forEach((m, mi) => {
      const c = counts[m]![g];
      const acc = c.n > 0 ? c.k / c.n : 0;
      const { low, high } = wilsonInterval(c.k, c.n);
      const x0 = pad + gi * groupWidth + groupWidth / 6 + mi * barWidth;
      const cx = x0 + barWidth / 2;
      body += `<rect data-model="${m}" data-group="${g}" data-accuracy="${acc}" data-low="${low}" data-high="${high}" x="${x0.toFixed(1)}" y="${y(acc).toFixed(1)}" width="${(barWidth - 3).toFixed(1)}" height="${(y(0) - y(acc)).toFixed(1)}" fill="${MODEL_COLORS[m]}"><title>${MODEL_LABELS[m]} ${g}: ${(100 * acc).toFixed(1)}% (${c.k}/${c.n}; 95% CI ${(100 * low).toFixed(1)}–${(100 * high).toFixed(1)}%)</title></rect>`;
      if (Number.isFinite(low)) body += `<line x1="${(cx - 1.5).toFixed(1)}" x2="${(cx - 1.5).toFixed(1)}" y1="${y(low).toFixed(1)}" y2="${y(high).toFixed(1)}" stroke="#222" stroke-width="1.5"/>`;
    });
    body += `<text x="${(pad + gi * groupWidth + groupWidth / 2).toFixed(1)}" y="${height - pad + 16}" text-anchor="middle" font-size="12">${g}</text>`;
  });
  const grid = [0, 0.5, 1].map((v) => `<line x1="${pad}" x2="${width - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${pad - 4}" y="${y(v) + 4}" text-anchor="end" font-size="10">${v * 100}%</text>`).join('');
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="face recall per group with 95% intervals">${grid}${body}</svg>`;
}

/** Accuracy against representation percentile (lab 3): one point per chunk of test faces. */
export function accuracyVsRepresentationChart(chunks: { percentile: number; accuracy: number; n: number }[], width = 520, height = 200): string {
  const pad = 34;
  const x = (p: number) => pad + (p / 100) * (width - pad - 14);
  const y = (v: number) => height - pad - v * (height - pad - 12);
  const pts = chunks.map((c) => `${x(c.percentile).toFixed(1)},${y(c.accuracy).toFixed(1)}`).join(' ');
  const dots = chunks
    .map((c) => `<circle data-chunk="${c.percentile}" data-accuracy="${c.accuracy}" cx="${x(c.percentile).toFixed(1)}" cy="${y(c.accuracy).toFixed(1)}" r="4" fill="${MODEL_COLORS.standard}"><title>up to the ${c.percentile}th percentile: ${(100 * c.accuracy).toFixed(1)}% of ${c.n}</title></circle>`)
    .join('');
  const grid = [0, 0.5, 1].map((v) => `<line x1="${pad}" x2="${width - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${pad - 4}" y="${y(v) + 4}" text-anchor="end" font-size="10">${v * 100}%</text>`).join('');
  const axis = `<text x="${width / 2}" y="${height - 6}" text-anchor="middle" font-size="11">representation percentile (least → most represented)</text>`;
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="accuracy against representation">${grid}${axis}<polyline fill="none" stroke="${MODEL_COLORS.standard}" points="${pts}"/>${dots}</svg>`;
}
