/**
 * The search for `dbvae demo` defaults (issue 15; the tables under "Measured" in the CLI README).
 *
 *   node --import tsx bench/demo-search.ts search '<plan>' out.jsonl
 *     plan: { "seeds": [100, 101], "data": [{ "spuriousFraction": 0.25 }, ...], "variants": [{ "kind": "standard" }, { "kind": "dbvae", "klWeight": 0.1 }, ...] }
 *     Trains every variant on every (data, seed), one model at a time, with the code `dbvae demo` runs
 *     (`prepareSynthData` + `runVariant`); unset fields are the demo's defaults. One JSON line per
 *     model: mean / variance (%²), per-group accuracy (%), the DF + DM share of the drawn faces per epoch.
 *
 *   node --import tsx bench/demo-search.ts latent-share [seed] [latentDim] [klWeight] [reconstructionWeight]
 *     Trains the VAE classifier without resampling on the demo's data and prints, for every weighting
 *     rule evaluated offline on its training faces' latent means, the share of the draws that would
 *     go to the dark-skinned faces, and how well a diagonal-Gaussian log-density separates them (AUROC).
 */
import { appendFileSync } from 'node:fs';
import { initBackend } from '@dbvae/backend';
import { samplingWeights } from '@dbvae/resampling';
import type { GroupMetricsResult } from '../packages/cli/src/group-metrics';
import { prepareSynthData, runVariant, type KeptModel, type SynthDataSettings, type VariantSettings } from '../packages/cli/src/experiment/synth-run';

const DATA: SynthDataSettings = { n: 4000, testPerGroup: 200, darkSkin: 0.05, spuriousFraction: 0.5 };
const BASE: VariantSettings = { kind: 'dbvae', epochs: 3, batchSize: 32, latentDim: 16, alpha: 0.001, combine: 'max', temperature: 1, uniformMix: 0, klWeight: 0.0005, reconstructionWeight: 1 };

const summary = (m: GroupMetricsResult) => ({
  mean: +(m.meanAccuracy * 100).toFixed(1),
  variance: +(m.accuracyVariance * 1e4).toFixed(0),
  groups: Object.fromEntries(Object.entries(m.groups).map(([g, s]) => [g, +(s.accuracy * 100).toFixed(1)])),
});

async function search(plan: { seeds: number[]; data: Partial<SynthDataSettings>[]; variants: Partial<VariantSettings>[] }, out: string): Promise<void> {
  for (const d of plan.data) {
    for (const seed of plan.seeds) {
      const data = await prepareSynthData({ ...DATA, ...d }, seed);
      for (const v of plan.variants) {
        const r = await runVariant({ ...BASE, ...v }, data, seed);
        const rec = {
          data: d,
          seed,
          variant: v,
          ...summary(r.metrics),
          seconds: Math.round(r.seconds),
          rareShare: r.sampling.map((e) => +(((e.groupShare.DF ?? 0) + (e.groupShare.DM ?? 0)) * 100).toFixed(1)),
          effectiveSampleSize: r.sampling.map((e) => Math.round(e.effectiveSampleSize)),
        };
        const line = JSON.stringify(rec);
        console.log(line);
        if (out) appendFileSync(out, `${line}\n`);
      }
    }
  }
}

async function latentShare(seed: number, k: number, klWeight: number, reconstructionWeight: number): Promise<void> {
  const data = await prepareSynthData(DATA, seed);
  let kept: KeptModel | undefined;
  const r = await runVariant({ ...BASE, kind: 'vae', latentDim: k, klWeight, reconstructionWeight }, data, seed, { keep: (m) => void (kept = m) });
  console.log('VAE classifier without resampling', summary(r.metrics));
  const dbvae = kept!.dbvae!;
  const z = dbvae.latentMeans(data.dataset.faceBatches(64));
  dbvae.dispose();
  kept!.history.optimizer.dispose();
  const n = z.length / k;
  const dark = data.faceGroups.map((g) => g.startsWith('D'));
  const report = (name: string, p: ArrayLike<number>) => {
    let s = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      if (dark[i]) s += p[i]!;
      sq += p[i]! * p[i]!;
    }
    console.log(`${name.padEnd(28)} dark share ${(s * 100).toFixed(1)}%  ESS ${(1 / sq).toFixed(0)}`);
  };
  report('uniform', new Float64Array(n).fill(1 / n));
  for (const alpha of [0.001, 0.01, 0.1]) report(`max alpha ${alpha}`, samplingWeights(z, { shape: [n, k], alpha }));
  for (const temperature of [2, 4, 8, 16]) report(`product T ${temperature}`, samplingWeights(z, { shape: [n, k], combine: 'product', temperature }));
  // Diagonal Gaussian fitted to the latent means: -log q = sum_j (z_j - m_j)^2 / (2 s_j^2) + const; weight q^(-1/T).
  const m = new Float64Array(k);
  const v = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) m[j]! += z[i * k + j]! / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) v[j]! += (z[i * k + j]! - m[j]!) ** 2 / n;
  const nll = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) nll[i]! += (0.5 * (z[i * k + j]! - m[j]!) ** 2) / v[j]!;
  for (const t of [1, 2, 4, 8, 16]) {
    let top = -Infinity;
    for (const x of nll) top = Math.max(top, x / t);
    const p = Float64Array.from(nll, (x) => Math.exp(x / t - top));
    const s = p.reduce((a, b) => a + b, 0);
    report(`gaussian T ${t}`, p.map((x) => x / s));
  }
  const order = [...nll.keys()].sort((a, b) => nll[a]! - nll[b]!);
  let rank = 0;
  let rankSum = 0;
  let nd = 0;
  for (const i of order) {
    rank++;
    if (dark[i]) {
      rankSum += rank;
      nd++;
    }
  }
  console.log('diagonal-Gaussian -log density, AUROC dark vs light', ((rankSum - (nd * (nd + 1)) / 2) / (nd * (n - nd))).toFixed(3));
}

await initBackend();
const [mode, ...rest] = process.argv.slice(2);
if (mode === 'search') await search(JSON.parse(rest[0] ?? '{}'), rest[1] ?? '');
else if (mode === 'latent-share') await latentShare(Number(rest[0] ?? 101), Number(rest[1] ?? 16), Number(rest[2] ?? 0.0005), Number(rest[3] ?? 1));
else {
  console.error('usage: demo-search.ts search <plan-json> [out.jsonl] | latent-share [seed] [latentDim] [klWeight] [reconstructionWeight]');
  process.exit(2);
}
