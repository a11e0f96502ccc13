import type { ChartSpec } from '@dbvae/cli';

/** What the chart needs of one attribute of a `biasReport`. */
export interface RegressionPanel {
  name: string;
  correlation: number;
  regression: { slope: number; intercept: number };
  /** Mean change of the target (x) and of this attribute (y) at each walk offset. */
  binned: { offset: number; x: number; y: number }[];
}

/**
 * The notebook's regression plots as one Vega-Lite chart: a panel per attribute with the mean
 * change of its logit against the mean change of the target's logit at each walk offset (the
 * notebook's `x_bins`), and the least-squares line fitted on every step and sample.
 */
export function regressionChart(target: string, panels: readonly RegressionPanel[]): ChartSpec {
  const label = (p: RegressionPanel): string => `${p.name} (r = ${p.correlation.toFixed(2)})`;
  const points = panels.flatMap((p) => p.binned.map((b) => ({ kind: 'bin', attribute: label(p), x: b.x, y: b.y, offset: b.offset })));
  const lines = panels.flatMap((p) => {
    const xs = p.binned.map((b) => b.x);
    return [Math.min(...xs), Math.max(...xs)].map((x) => ({ kind: 'fit', attribute: label(p), x, y: p.regression.intercept + p.regression.slope * x }));
  });
  const encoding = {
    x: { field: 'x', type: 'quantitative', title: `change of '${target}' logit` },
    y: { field: 'y', type: 'quantitative', title: 'change of attribute logit' },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Logit changes along the walk on '${target}' (mean per step offset; least-squares line)`,
    data: { values: [...lines, ...points] },
    facet: { field: 'attribute', type: 'nominal', title: null, sort: panels.map(label) },
    columns: Math.min(4, panels.length),
    spec: {
      width: 180,
      height: 160,
      layer: [
        { transform: [{ filter: "datum.kind === 'fit'" }], mark: { type: 'line', color: '#e11d48' }, encoding },
        { transform: [{ filter: "datum.kind === 'bin'" }], mark: { type: 'point', filled: true, color: '#0d9488' }, encoding },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  };
}
