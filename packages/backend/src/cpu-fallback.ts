import * as tf from '@tensorflow/tfjs';
import { CpuFallbackError, InvalidArgumentError } from './errors';
import { describeBackend, formatBackendDescription } from './init-backend';

/**
 * What dbvae's training functions do when they find tfjs on its pure-JavaScript `cpu` backend
 * that nobody asked for: `'warn'` (default: one loud `console.warn` per process), `'error'`
 * (throw {@link CpuFallbackError}) or `'allow'` (say nothing).
 */
export type CpuFallbackPolicy = 'warn' | 'error' | 'allow';

const POLICIES: readonly CpuFallbackPolicy[] = ['warn', 'error', 'allow'];

let policy: CpuFallbackPolicy | undefined;
let warned = false;

/**
 * Sets what training does on an unrequested cpu backend (see {@link CpuFallbackPolicy}). The
 * environment variable `DBVAE_CPU_FALLBACK=warn|error|allow` sets it for a whole program; this
 * call takes precedence over it. `undefined` goes back to the variable (or `'warn'`).
 */
export function setCpuFallbackPolicy(next: CpuFallbackPolicy | undefined): void {
  if (next !== undefined && !POLICIES.includes(next)) {
    throw new InvalidArgumentError(`setCpuFallbackPolicy: unknown policy '${String(next)}'. Use one of: ${POLICIES.join(', ')}.`);
  }
  policy = next;
  warned = false;
}

/** The policy in effect: the last {@link setCpuFallbackPolicy}, else `DBVAE_CPU_FALLBACK`, else `'warn'`. */
export function getCpuFallbackPolicy(): CpuFallbackPolicy {
  if (policy !== undefined) return policy;
  const raw = typeof process !== 'undefined' ? process.env?.['DBVAE_CPU_FALLBACK']?.trim() : undefined;
  if (raw === undefined || raw === '') return 'warn';
  if (!POLICIES.includes(raw as CpuFallbackPolicy)) {
    throw new InvalidArgumentError(`DBVAE_CPU_FALLBACK: unknown policy '${raw}'. Use one of: ${POLICIES.join(', ')}.`);
  }
  return raw as CpuFallbackPolicy;
}

/**
 * Called by dbvae's training functions (`trainClassifier`, `trainDBVAE`, a risk wrapper's
 * `fit`) before their first step. When tfjs is on the `cpu` backend and cpu was not asked for
 * (`initBackend({ backend: 'cpu' })` or `DBVAE_BACKEND=cpu`), it warns once per process or
 * throws, per {@link getCpuFallbackPolicy}: the wasm backend that comes with `@dbvae/backend`
 * trains CNNs hundreds of times faster, and the usual cause is a missing `await initBackend()`.
 *
 * @param what The function about to train, named in the message (e.g. `'trainClassifier'`).
 * @returns `true` when training is on an unrequested cpu backend (whatever the policy), else `false`.
 * @throws CpuFallbackError when the policy is `'error'`.
 */
export function checkTrainingBackend(what: string): boolean {
  if (tf.getBackend() !== 'cpu') return false;
  const chosen = describeBackend();
  if (chosen !== undefined && chosen.name === 'cpu' && chosen.source !== 'auto') return false;
  const mode = getCpuFallbackPolicy();
  if (mode === 'allow') return true;
  const why =
    chosen === undefined
      ? 'initBackend() from @dbvae/backend was never called, so tfjs started on its default'
      : `initBackend() found nothing faster:\n${formatBackendDescription(chosen)}\n`;
  const message =
    `${what} is about to train on tfjs's pure-JavaScript 'cpu' backend, hundreds of times slower for CNNs than ` +
    `the wasm backend installed with @dbvae/backend (${why}). Call \`await initBackend()\` from @dbvae/backend ` +
    "before training. If cpu is intended, ask for it: initBackend({ backend: 'cpu' }) or DBVAE_BACKEND=cpu " +
    "(setCpuFallbackPolicy('allow') or DBVAE_CPU_FALLBACK=allow silences this check, 'error' makes it throw).";
  if (mode === 'error') throw new CpuFallbackError(message);
  if (!warned) {
    warned = true;
    console.warn(`dbvae WARNING: ${message}`);
  }
  return true;
}
