import { createRandom } from '@dbvae/backend';
import { groupMetrics } from '../src/group-metrics';
import type { ReportData, RgbImage } from '../src/report/types';

/** A 64x64 cartoon face (ellipse of the given skin tone on a coloured background), made with code. */
export function cartoonFace(skin: [number, number, number], bg: [number, number, number], seed: number): RgbImage {
  const rnd = createRandom(seed);
  const data = new Uint8Array(64 * 64 * 3);
  const cx = 32 + (rnd.next() - 0.5) * 6;
  const cy = 34 + (rnd.next() - 0.5) * 6;
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const dx = (x - cx) / 17;
      const dy = (y - cy) / 22;
      const inFace = dx * dx + dy * dy <= 1;
      const eye = (Math.abs(y - (cy - 5)) < 2.5 && (Math.abs(x - (cx - 7)) < 2.5 || Math.abs(x - (cx + 7)) < 2.5));
      const mouth = Math.abs(y - (cy + 9)) < 1.5 && Math.abs(x - cx) < 6;
      const c = inFace ? (eye || mouth ? [40, 30, 30] : skin) : bg;
      const o = (y * 64 + x) * 3;
      for (let k = 0; k < 3; k++) data[o + k] = Math.max(0, Math.min(255, (c[k] as number) + Math.round((rnd.next() - 0.5) * 12)));
    }
  }
  return { data, width: 64, height: 64 };
}

/** A report's worth of made-up but plausible numbers, as the demo would compute them. */
export function syntheticReportData(seed = 1): ReportData {
  const rnd = createRandom(seed);
  const groups = ['LF', 'LM', 'DF', 'DM'];
  const hardness: Record<string, number> = { LF: 0.95, LM: 0.9, DF: 0.7, DM: 0.6 };
  const probsStd: number[] = [];
  const probsDb: number[] = [];
  const names: string[] = [];
  for (const g of groups) {
    for (let i = 0; i < 50; i++) {
      names.push(g);
      probsStd.push(Math.min(1, Math.max(0, hardness[g]! + (rnd.next() - 0.6) * 0.6)));
      probsDb.push(Math.min(1, Math.max(0, 0.88 + (rnd.next() - 0.6) * 0.4)));
    }
  }
  const loss = (start: number, end: number, n: number) => Array.from({ length: n }, (_, i) => end + (start - end) * Math.exp(-i / (n / 5)) + (rnd.next() - 0.5) * 0.08 * start);
  const weights = Array.from({ length: 2000 }, () => Math.exp(rnd.normal() * 0.8));
  const skins: [number, number, number][] = [[241, 206, 180], [224, 172, 138], [141, 85, 54], [92, 56, 38]];
  const bgs: [number, number, number][] = [[110, 160, 210], [200, 200, 200], [90, 140, 90], [220, 190, 120]];
  return {
    title: 'DB-VAE on SynthFaces',
    subtitle: 'A standard CNN and a debiasing VAE trained on the same skewed face data, evaluated on balanced test groups.',
    generatedAt: '2026-11-23T21:00:00.000Z',
    groupMetrics: [
      { model: 'Standard CNN', metrics: groupMetrics(probsStd, names) },
      { model: 'DB-VAE', metrics: groupMetrics(probsDb, names) },
    ],
    losses: [
      { model: 'Standard CNN', loss: 'classification', values: loss(0.7, 0.1, 300) },
      { model: 'DB-VAE', loss: 'total', values: loss(1.4, 0.35, 300) },
      { model: 'DB-VAE', loss: 'classification', values: loss(0.7, 0.12, 300) },
      { model: 'DB-VAE', loss: 'reconstruction', values: loss(0.6, 0.2, 300) },
    ],
    accuracyVsRisk: [
      { risk: 'bias', label: 'Standard CNN', chunks: Array.from({ length: 10 }, (_, i) => ({ percentile: (i + 1) * 10, accuracy: 0.62 + 0.035 * i + (rnd.next() - 0.5) * 0.02, meanRisk: i / 10, count: 20 })) },
      { risk: 'bias', label: 'DB-VAE', chunks: Array.from({ length: 10 }, (_, i) => ({ percentile: (i + 1) * 10, accuracy: 0.8 + 0.012 * i + (rnd.next() - 0.5) * 0.02, meanRisk: i / 10, count: 20 })) },
      { risk: 'epistemic', label: 'DB-VAE', chunks: Array.from({ length: 10 }, (_, i) => ({ percentile: (i + 1) * 10, accuracy: 0.97 - 0.03 * i + (rnd.next() - 0.5) * 0.02, meanRisk: i / 10, count: 20 })) },
    ],
    samplingWeights: weights,
    imageGrids: [
      {
        title: 'Average face per bias percentile',
        caption: 'Left: the rarest 10% of test faces; right: the most common.',
        rows: [{ label: 'mean face', images: Array.from({ length: 10 }, (_, i) => cartoonFace(skins[3 - Math.min(3, Math.floor(i / 3))]!, bgs[i % 4]!, 100 + i)) }],
      },
      {
        title: 'Most and least represented faces',
        rows: [
          { label: 'least', images: Array.from({ length: 8 }, (_, i) => cartoonFace(skins[2 + (i % 2)]!, bgs[(i + 1) % 4]!, 200 + i)) },
          { label: 'most', images: Array.from({ length: 8 }, (_, i) => cartoonFace(skins[i % 2]!, bgs[i % 4]!, 300 + i)) },
        ],
      },
    ],
    settings: { epochs: 2, 'batch size': 32, 'latent dim': 100, alpha: 0.001, 'KL weight': 0.0005, seed: 0 },
    notes: ['Numbers in this report are synthetic test data.'],
  };
}
