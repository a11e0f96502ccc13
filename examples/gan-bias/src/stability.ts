/**
 * Rank stability of the bias report across generator trainings: reads the report JSON that
 * `main.ts` wrote for several seeds (each with its own DCGAN and attribute classifier) and
 * prints every attribute's rank and covariance interval per seed, the Spearman correlation of
 * the rankings between seeds, and how many of the top 3 they share.
 *
 * Run from examples/gan-bias: node --import tsx src/stability.ts out/gan-bias-seed0/report-female.json out/gan-bias-seed1/report-female.json ...
 */
import { readFileSync } from 'node:fs';
import type { CovarianceBootstrap } from '@dbvae/gan-debias';

const files = process.argv.slice(2).filter((a) => a !== '--');
if (files.length < 2) {
  console.error('Usage: node --import tsx src/stability.ts <report.json> <report.json> [...]  (two or more seeds)');
  process.exit(1);
}
const reports = files.map((f) => {
  const r = JSON.parse(readFileSync(f, 'utf8')) as { options: { seed: number }; bootstrap?: CovarianceBootstrap };
  if (!r.bootstrap) throw new Error(`${f} has no bootstrap ranking; rerun the gan-bias example to write one.`);
  return { seed: r.options.seed, boot: r.bootstrap };
});
const names = reports[0]!.boot.ranking.map((a) => a.name).sort();
const rankOf = (boot: CovarianceBootstrap, name: string): number => boot.ranking.find((a) => a.name === name)!.rank.estimate;
console.log(`Target '${reports[0]!.boot.target.name}': rank by |covariance| (1 = largest) and covariance [95% interval over walked latents], per generator seed\n`);
console.log(`  attribute        | ${reports.map((r) => `seed ${r.seed}`.padEnd(34)).join(' | ')}`);
for (const name of names.sort((a, b) => reports.reduce((s, r) => s + rankOf(r.boot, a) - rankOf(r.boot, b), 0))) {
  const cells = reports.map((r) => {
    const a = r.boot.ranking.find((x) => x.name === name)!;
    return `${a.rank.estimate}: ${a.covariance.estimate.toFixed(3)} [${a.covariance.low.toFixed(3)}, ${a.covariance.high.toFixed(3)}]${a.signSettled ? '' : ' ~0'}`.padEnd(34);
  });
  console.log(`  ${name.padEnd(16)} | ${cells.join(' | ')}`);
}
const spearman = (a: number[], b: number[]): number => {
  const n = a.length;
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (a[i]! - b[i]!) ** 2;
  return 1 - (6 * d2) / (n * (n * n - 1));
};
console.log('\n  seeds | Spearman of the rankings | shared top 3');
for (let i = 0; i < reports.length; i++) {
  for (let j = i + 1; j < reports.length; j++) {
    const ra = names.map((nm) => rankOf(reports[i]!.boot, nm));
    const rb = names.map((nm) => rankOf(reports[j]!.boot, nm));
    const top = (boot: CovarianceBootstrap): string[] => boot.ranking.slice(0, 3).map((a) => a.name);
    const shared = top(reports[i]!.boot).filter((x) => top(reports[j]!.boot).includes(x)).length;
    console.log(`  ${reports[i]!.seed} vs ${reports[j]!.seed} | ${spearman(ra, rb).toFixed(2).padStart(24)} | ${shared} of 3`);
  }
}
