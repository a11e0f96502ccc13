import { describe, it, expect } from 'vitest';
import { InvalidArgumentError } from '@dbvae/backend';
import { accuracyVsRiskChart, groupProbabilityChart, lossCurveChart, samplingWeightsChart } from '../src/report/charts';
import { renderChartSvg, svgToPng } from '../src/report/render';
import { groupMetrics } from '../src/group-metrics';
import sharp from 'sharp';

type AnyRec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const std = groupMetrics([0.9, 0.8, 0.3, 0.2], ['LF', 'LM', 'DF', 'DM']);
const db = groupMetrics([0.9, 0.85, 0.7, 0.6], ['LF', 'LM', 'DF', 'DM']);

describe('groupProbabilityChart', () => {
  it('draws one bar per model and group, grouped by group, coloured by model', () => {
    const spec = groupProbabilityChart([{ model: 'Standard CNN', metrics: std }, { model: 'DB-VAE', metrics: db }]) as AnyRec;
    const values = spec.data.values as AnyRec[];
    expect(values).toHaveLength(8);
    expect(values.find((v) => v.model === 'DB-VAE' && v.group === 'DF')!.value).toBeCloseTo(0.7, 12);
    expect(spec.encoding.x.field).toBe('group');
    expect(spec.encoding.x.sort).toEqual(['LF', 'LM', 'DF', 'DM']);
    expect(spec.encoding.xOffset.field).toBe('model');
    expect(spec.encoding.color.sort).toEqual(['Standard CNN', 'DB-VAE']);
    expect(spec.encoding.y.scale.domain).toEqual([0, 1]);
    expect(spec.layer.map((l: AnyRec) => l.mark.type)).toEqual(['bar', 'text']);
    const acc = groupProbabilityChart([{ model: 'Standard CNN', metrics: std }], { metric: 'accuracy' }) as AnyRec;
    expect(acc.data.values.map((v: AnyRec) => v.value)).toEqual([1, 1, 0, 0]);
    expect(() => groupProbabilityChart([])).toThrow(InvalidArgumentError);
  });

  it('renders to an SVG that names every group', async () => {
    const svg = await renderChartSvg(groupProbabilityChart([{ model: 'Standard CNN', metrics: std }, { model: 'DB-VAE', metrics: db }]));
    expect(svg.startsWith('<svg')).toBe(true);
    for (const g of ['LF', 'LM', 'DF', 'DM', 'DB-VAE']) expect(svg).toContain(`>${g}<`);
    expect(Number(/width="(\d+)"/.exec(svg)![1])).toBeGreaterThan(300);
    const png = await svgToPng(svg, 1);
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBe(Number(/width="(\d+)"/.exec(svg)![1]));
  });
});

describe('lossCurveChart', () => {
  it('facets by model and colours by loss, with a moving average', () => {
    const spec = lossCurveChart([
      { model: 'CNN', loss: 'classification', values: [3, 2, 1] },
      { model: 'DB-VAE', loss: 'total', values: [5, 4, 3, 2] },
      { model: 'DB-VAE', loss: 'kl', values: [1, 1, 1, 1] },
    ], { smooth: 2 }) as AnyRec;
    expect(spec.data.values).toHaveLength(11);
    expect(spec.data.values[0]).toEqual({ model: 'CNN', loss: 'classification', step: 1, value: 3 });
    expect(spec.facet.column.field).toBe('model');
    expect(spec.facet.column.sort).toEqual(['CNN', 'DB-VAE']);
    expect(spec.resolve.scale.y).toBe('independent');
    expect(spec.spec.layer).toHaveLength(2);
    expect(spec.spec.layer[1].transform[0].frame).toEqual([-1, 0]);
    expect(spec.spec.layer[0].encoding.color.field).toBe('loss');
    expect((lossCurveChart([{ model: 'a', loss: 'l', values: [1] }], { smooth: 1 }) as AnyRec).spec.layer).toHaveLength(1);
  });

  it('thins long series to at most about 400 points and rejects bad data', () => {
    const spec = lossCurveChart([{ model: 'm', loss: 'l', values: Array.from({ length: 4000 }, (_, i) => 1 / (i + 1)) }]) as AnyRec;
    expect(spec.data.values.length).toBeLessThanOrEqual(400);
    expect(() => lossCurveChart([{ model: 'm', loss: 'l', values: [] }])).toThrow(/empty/);
    expect(() => lossCurveChart([{ model: 'm', loss: 'l', values: [1, Number.NaN] }])).toThrow(/finite/);
  });
});

describe('accuracyVsRiskChart', () => {
  it('draws line plus points of accuracy against percentile, one colour per series', () => {
    const chunks = [10, 20, 30].map((p, i) => ({ percentile: p, accuracy: 0.5 + i * 0.1 }));
    const spec = accuracyVsRiskChart([{ risk: 'bias', label: 'CNN', chunks }, { risk: 'bias', label: 'DB-VAE', chunks }]) as AnyRec;
    expect(spec.layer.map((l: AnyRec) => l.mark.type)).toEqual(['line', 'point']);
    expect(spec.encoding.x.field).toBe('percentile');
    expect(spec.encoding.x.title).toMatch(/bias/i);
    expect(spec.encoding.y.field).toBe('accuracy');
    expect(spec.data.values).toHaveLength(6);
    expect(() => accuracyVsRiskChart([{ risk: 'bias', label: 'a', chunks }, { risk: 'epistemic', label: 'b', chunks }])).toThrow(/same risk/);
    expect(() => accuracyVsRiskChart([{ risk: 'bias', label: 'a', chunks: [] }])).toThrow(InvalidArgumentError);
  });
});

describe('samplingWeightsChart', () => {
  it('histograms the weights relative to uniform and sorts them', () => {
    const w = [1, 1, 2, 4]; // relative to uniform: n * p = 4 * w / 8 = 0.5, 0.5, 1, 2
    const spec = samplingWeightsChart(w, { bins: 4 }) as AnyRec;
    const hist = spec.hconcat[0].data.values as AnyRec[];
    expect(hist.map((h) => h.count)).toEqual([0, 2, 1, 1]); // bins of width 0.5 over [0, 2]
    expect(hist[0]!.start).toBe(0);
    expect(hist[3]!.end).toBeCloseTo(2, 12);
    const sorted = spec.hconcat[1].layer[0].data.values as AnyRec[];
    expect(sorted.map((s) => s.rel)).toEqual([2, 1, 0.5, 0.5, 0.5]);
    expect(spec.hconcat[1].layer[0].encoding.y.scale.type).toBe('log');
    expect(spec.hconcat[1].layer[1].data.values).toEqual([{ y: 1 }]);
  });

  it('rejects negative, non-finite or all-zero weights', () => {
    expect(() => samplingWeightsChart([])).toThrow(InvalidArgumentError);
    expect(() => samplingWeightsChart([1, -1])).toThrow(/non-negative/);
    expect(() => samplingWeightsChart([0, 0])).toThrow(/sum to zero/);
  });
});
