/**
 * Shared helpers of the benchmark scripts: timing loops, the PyTorch/NumPy reference runner,
 * and the results history under bench/results/ (one JSON file per run).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const resultsDir = join(benchDir, 'results');

/** Runs `fn` once to warm up, then repeatedly for at least `seconds` and `minIters`; returns seconds per call. */
export async function timePerCall(fn: () => unknown | Promise<unknown>, seconds: number, minIters = 3): Promise<number> {
  await fn();
  let n = 0;
  const t0 = performance.now();
  while (n < minIters || performance.now() - t0 < seconds * 1000) {
    await fn();
    n++;
  }
  return (performance.now() - t0) / 1000 / n;
}

/** The Python with the scientific stack: Debian's /usr/bin/python3 first (python3-torch/numpy live there). */
export function findPython(module: string): string | undefined {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(candidate, ['-c', `import ${module}`], { encoding: 'utf8' });
    if (r.status === 0) return candidate;
  }
  return undefined;
}

/** Runs a Python reference script that prints one JSON object; undefined when Python lacks `module`. */
export function runPythonReference<T>(module: string, script: string, args: string[] = []): T | undefined {
  const python = findPython(module);
  if (python === undefined) return undefined;
  const r = spawnSync(python, [join(benchDir, script), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) {
    console.warn(`reference ${script} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return undefined;
  }
  const lastLine = r.stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(lastLine) as T;
}

/** Machine facts stored with every result, so numbers are compared only like for like. */
export function machineInfo(): Record<string, unknown> {
  return { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, platform: `${os.platform()}-${os.arch()}`, totalMemGiB: Math.round(os.totalmem() / 2 ** 30) };
}

/** The most recent earlier result of a suite, if any. */
export function previousResult<T>(suite: string): T | undefined {
  if (!existsSync(resultsDir)) return undefined;
  const files = readdirSync(resultsDir).filter((f) => f.startsWith(`${suite}-`) && f.endsWith('.json')).sort();
  const last = files.at(-1);
  return last === undefined ? undefined : (JSON.parse(readFileSync(join(resultsDir, last), 'utf8')) as T);
}

/** Writes a result as bench/results/<suite>-<timestamp>.json (temp file, then rename). */
export function saveResult(suite: string, result: unknown): string {
  mkdirSync(resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(resultsDir, `${suite}-${stamp}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify(result, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
  return file;
}

/**
 * Saves a suite's result with the fields every result carries (suite, date, machine) and says
 * where it went.
 */
export function saveSuiteResult(suite: string, fields: Record<string, unknown>): string {
  const file = saveResult(suite, { suite, date: new Date().toISOString(), machine: machineInfo(), ...fields });
  console.log(`saved ${file}`);
  return file;
}

/** Runs a suite's async entry point; a failure prints and exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}

/** Prints rows as an aligned text table. */
export function printTable(headers: string[], rows: Array<Array<string | number>>): void {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  for (const [i, row] of cells.entries()) {
    console.log(row.map((c, j) => String(c ?? '').padEnd(widths[j] ?? 0)).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}
