/**
 * `pnpm bench`: runs every benchmark suite in bench/ in turn (each in its own process, so one
 * suite's memory never skews another's) and prints their tables. Pass suite names to run a subset:
 * `pnpm bench model-throughput resampling`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir } from './lib';

const helpers = new Set(['run.ts', 'lib.ts']);
const all = readdirSync(benchDir).filter((f) => f.endsWith('.ts') && !helpers.has(f)).map((f) => f.replace(/\.ts$/, '')).sort((a, b) => (a === 'model-throughput' ? -1 : b === 'model-throughput' ? 1 : a.localeCompare(b)));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const suites = wanted.length > 0 ? all.filter((s) => wanted.includes(s)) : all;
let failed = 0;
for (const suite of suites) {
  console.log(`\n== ${suite} ==`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, `${suite}.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
