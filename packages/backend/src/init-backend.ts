import * as tf from '@tensorflow/tfjs';
import { BackendError, WasmBinaryError } from './errors';
import { registerFileSystemIO } from './file-system-io';
import { registerWasmKernels } from './wasm-kernels/register';

/** The backends dbvae knows how to pick, fastest first. */
export type BackendName = 'node-gpu' | 'node' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Why a candidate backend was or was not used. */
export interface BackendAttempt {
  /** The candidate. */
  name: BackendName;
  /** `'chosen'`, `'skipped'` (not tried because a faster one won) or `'unavailable'`. */
  status: 'chosen' | 'unavailable' | 'skipped';
  /** A human-readable reason, e.g. "@tensorflow/tfjs-node is not installed". */
  reason: string;
}

/** What {@link initBackend} chose and why. */
export interface BackendDescription {
  /** dbvae's name for the chosen backend. */
  name: BackendName;
  /** The tfjs backend name now active (`tf.getBackend()`), e.g. `'tensorflow'` or `'wasm'`. */
  tfBackend: string;
  /** Whether the source of the choice was the `DBVAE_BACKEND` variable, an option or the automatic order. */
  source: 'env' | 'option' | 'auto';
  /** Every candidate in the order considered, with the reason it was or was not used. */
  attempts: BackendAttempt[];
  /** Kernels dbvae registered to fill gaps in the chosen backend. */
  addedKernels: string[];
  /** Backend kernels dbvae replaced by faster versions (wasm only; see `fasterKernels`). */
  replacedKernels: string[];
  /** Wasm feature flags, when the wasm backend is chosen. */
  wasm?: {
    /** Whether the SIMD binary runs (`WASM_HAS_SIMD_SUPPORT`). */
    simd: boolean;
    /** Whether the multi-threaded binary runs (`WASM_HAS_MULTITHREAD_SUPPORT`; false in Node). */
    threads: boolean;
  };
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /**
   * Use exactly this backend (or the first available of this list) instead of the automatic
   * order. The environment variable `DBVAE_BACKEND` takes precedence over this option, so a
   * user can switch the backend of any program without editing it.
   */
  backend?: BackendName | BackendName[];
  /** Reinitialise even if a backend was already chosen. Default false. */
  force?: boolean;
  /**
   * Replace the wasm kernels that training runs slowly (conv2d input gradient, transposed
   * matmuls, broadcast tiles) with dbvae's faster versions. Default true; false keeps tfjs's own.
   */
  fasterKernels?: boolean;
  /** Where the wasm binaries live, for browsers that serve them from elsewhere (`setWasmPaths`). */
  wasmPaths?: string | Record<string, string>;
}

const NODE_ORDER: BackendName[] = ['node-gpu', 'node', 'wasm', 'cpu'];
const BROWSER_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
const ALL: readonly BackendName[] = ['node-gpu', 'node', 'webgpu', 'webgl', 'wasm', 'cpu'];

let current: BackendDescription | undefined;
let pending: Promise<BackendDescription> | undefined;

const isNode = (): boolean => typeof process !== 'undefined' && process.versions?.node !== undefined;

function readEnvChoice(): BackendName[] | undefined {
  const raw = isNode() ? process.env.DBVAE_BACKEND : undefined;
  if (raw === undefined || raw.trim() === '') return undefined;
  return parseNames(raw.split(',').map((s) => s.trim()), 'DBVAE_BACKEND');
}

function parseNames(names: string[], origin: string): BackendName[] {
  const aliases: Record<string, BackendName> = { tensorflow: 'node', 'tfjs-node': 'node', 'tfjs-node-gpu': 'node-gpu', gpu: 'node-gpu' };
  return names.map((n) => {
    const name = (aliases[n] ?? n) as BackendName;
    if (!ALL.includes(name)) {
      throw new BackendError(`${origin}: unknown backend '${n}'. Use one of: ${ALL.join(', ')}.`);
    }
    return name;
  });
}

// The node bindings are optional peers, imported only in Node.js by a specifier held in a
// variable: bundlers leave such an import alone (the comments silence webpack and Vite), and a
// build without the bindings neither fails nor tries to bundle them. Browser backends are never
// imported here: the app imports them (`import '@tensorflow/tfjs-backend-webgpu'`), which
// registers them with the engine, and initBackend finds them with tf.findBackendFactory.
async function importNodeBinding(specifier: string): Promise<void> {
  await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier);
}

async function tryNode(gpu: boolean): Promise<string | undefined> {
  if (!isNode()) return 'not running in Node.js';
  const pkg = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  // Already imported by the app (or by a previous call): use its registration.
  if (tf.findBackendFactory('tensorflow') == null) {
    try {
      await importNodeBinding(pkg);
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      return /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(message) ? `${pkg} is not installed` : `${pkg} failed to load: ${message.split('\n')[0]}`;
    }
  }
  if (tf.findBackendFactory('tensorflow') == null) return `${pkg} imported but registered no 'tensorflow' backend (a second copy of tfjs?)`;
  if (!(await tf.setBackend('tensorflow'))) return `${pkg} imported but its backend failed to initialise`;
  if (gpu) {
    const usingGpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
    if (!usingGpu) return `${pkg} imported but TensorFlow sees no GPU (CUDA/cuDNN missing or no device)`;
  }
  return undefined;
}

const BROWSER_PACKAGES: Record<'webgpu' | 'webgl', string> = {
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  webgl: '@tensorflow/tfjs-backend-webgl',
};

async function tryBrowser(name: 'webgpu' | 'webgl'): Promise<string | undefined> {
  if (tf.findBackendFactory(name) == null) {
    return isNode() ? 'browser-only backend' : `not registered: add \`import '${BROWSER_PACKAGES[name]}';\` to your app before initBackend()`;
  }
  if (name === 'webgpu' && typeof navigator !== 'undefined' && (navigator as { gpu?: unknown }).gpu === undefined) {
    return 'registered, but this browser has no WebGPU (navigator.gpu is undefined)';
  }
  try {
    return (await tf.setBackend(name)) ? undefined : `${name} failed to initialise (no ${name.toUpperCase()} context)`;
  } catch (error) {
    return `${name} failed to initialise: ${(error as Error).message}`;
  }
}

/** Why the wasm binaries failed to load, kept to explain a fall back to cpu. */
interface WasmFailure {
  reason: string;
  cause: unknown;
}

let lastWasmFailure: WasmFailure | undefined;

async function tryWasm(options: InitBackendOptions): Promise<string | undefined> {
  lastWasmFailure = undefined;
  try {
    // A literal specifier: bundlers see it and bundle the backend's JavaScript (not its .wasm files).
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (options.wasmPaths !== undefined) wasm.setWasmPaths(options.wasmPaths as string);
  } catch (error) {
    return `@tensorflow/tfjs-backend-wasm failed to load: ${(error as Error).message}`;
  }
  if (tf.findBackendFactory('wasm') == null) return 'wasm backend did not register (a second copy of tfjs-core?)';
  // tfjs reports a failed initialisation on console.warn and resolves setBackend to false:
  // keep what it says, to name the missing file in the error.
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  };
  let ok = false;
  let thrown: unknown;
  try {
    ok = await tf.setBackend('wasm');
  } catch (error) {
    thrown = error;
  } finally {
    console.warn = warn;
  }
  if (ok) return undefined;
  const detail = thrown !== undefined ? (thrown as Error).message : warnings.filter((w) => !/^Initialization of backend wasm failed$/.test(w)).join('; ');
  const reason = `wasm binaries failed to load${detail ? `: ${detail.split('\n')[0]}` : ''}`;
  lastWasmFailure = { reason, cause: thrown ?? (warnings.join('\n') || undefined) };
  return reason;
}

function wasmBinaryError(failure: WasmFailure, wasmPaths: InitBackendOptions['wasmPaths']): WasmBinaryError {
  const where = wasmPaths === undefined ? 'next to the bundled script (tfjs\'s default)' : `from wasmPaths ${JSON.stringify(wasmPaths)}`;
  return new WasmBinaryError(
    `The wasm backend is installed, but its .wasm binaries could not be loaded ${where} (${failure.reason}). ` +
      'Bundlers (Vite, webpack, esbuild) do not copy them: serve tfjs-backend-wasm.wasm, tfjs-backend-wasm-simd.wasm and ' +
      'tfjs-backend-wasm-threaded-simd.wasm from node_modules/@tensorflow/tfjs-backend-wasm/dist/ and pass their folder as ' +
      "initBackend({ wasmPaths: '/tfjs-wasm/' }) (or a CDN folder such as https://cdn.jsdelivr.net/npm/@tensorflow/tfjs-backend-wasm@4.22.0/dist/). " +
      "Training would otherwise fall back to the pure-JavaScript cpu backend; to accept that, ask for it: initBackend({ backend: ['wasm', 'cpu'] }).",
    wasmPaths,
    { cause: failure.cause },
  );
}

async function tryBackend(name: BackendName, options: InitBackendOptions): Promise<string | undefined> {
  switch (name) {
    case 'node-gpu':
      return tryNode(true);
    case 'node':
      return tryNode(false);
    case 'webgpu':
    case 'webgl':
      return tryBrowser(name);
    case 'wasm':
      return tryWasm(options);
    case 'cpu': {
      if (!(await tf.setBackend('cpu'))) return 'cpu backend failed to initialise';
      // tfjs prints an install-tfjs-node banner on the cpu backend's first write; dbvae's
      // describeBackend() already says why faster backends were skipped.
      (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
      return undefined;
    }
  }
}

async function choose(options: InitBackendOptions): Promise<BackendDescription> {
  const fromEnv = readEnvChoice();
  const fromOption = options.backend === undefined ? undefined : parseNames([options.backend].flat(), 'initBackend({ backend })');
  const source: BackendDescription['source'] = fromEnv ? 'env' : fromOption ? 'option' : 'auto';
  const order = fromEnv ?? fromOption ?? (isNode() ? NODE_ORDER : BROWSER_ORDER);
  lastWasmFailure = undefined;
  const attempts: BackendAttempt[] = [];
  let chosen: BackendName | undefined;
  for (const name of order) {
    if (chosen !== undefined) {
      attempts.push({ name, status: 'skipped', reason: `${chosen} was chosen first` });
      continue;
    }
    const failure = await tryBackend(name, options);
    if (failure === undefined) {
      chosen = name;
      attempts.push({ name, status: 'chosen', reason: source === 'auto' ? 'fastest available' : `requested by ${source === 'env' ? 'DBVAE_BACKEND' : 'options.backend'}` });
    } else {
      attempts.push({ name, status: 'unavailable', reason: failure });
    }
  }
  if (lastWasmFailure !== undefined && (chosen === undefined || (chosen === 'cpu' && source === 'auto'))) {
    throw wasmBinaryError(lastWasmFailure, options.wasmPaths);
  }
  if (chosen === undefined) {
    const why = attempts.map((a) => `  ${a.name}: ${a.reason}`).join('\n');
    throw new BackendError(`No usable tfjs backend among [${order.join(', ')}]:\n${why}\nInstall @tensorflow/tfjs-backend-wasm or unset DBVAE_BACKEND.`);
  }
  await tf.ready();
  registerFileSystemIO();
  const registration = chosen === 'wasm' ? registerWasmKernels({ faster: options.fasterKernels ?? true }) : { added: [], replaced: [] };
  const description: BackendDescription = {
    name: chosen,
    tfBackend: tf.getBackend(),
    source,
    attempts,
    addedKernels: registration.added,
    replacedKernels: registration.replaced,
  };
  if (chosen === 'wasm') {
    description.wasm = { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') };
  }
  return description;
}

/**
 * Chooses and initialises the fastest tfjs backend available, in the order tfjs-node-gpu
 * (when it imports and TensorFlow sees a GPU), tfjs-node, wasm, cpu (in a browser: webgpu,
 * webgl, wasm, cpu). `DBVAE_BACKEND=wasm` (or a comma-separated list) overrides the order.
 * When wasm is chosen, the gradient kernels it lacks are registered so CNNs train on it.
 *
 * Calling it again returns the first choice unless `force` is set; concurrent calls share one
 * initialisation.
 *
 * @example
 * ```ts
 * import { tf, initBackend } from '@dbvae/backend';
 * const { name } = await initBackend();   // 'wasm' on a plain machine
 * ```
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendDescription> {
  if (current !== undefined && !options.force) return current;
  if (pending !== undefined && !options.force) return pending;
  pending = choose(options).then(
    (d) => {
      current = d;
      pending = undefined;
      return d;
    },
    (error: unknown) => {
      pending = undefined;
      throw error;
    },
  );
  return pending;
}

/**
 * Reports what {@link initBackend} chose and why each faster candidate was skipped, or
 * `undefined` before initialisation.
 */
export function describeBackend(): BackendDescription | undefined {
  return current;
}

/** One line per candidate, for logs: `wasm  chosen  fastest available`. */
export function formatBackendDescription(description: BackendDescription): string {
  const lines = description.attempts.map((a) => `${a.name.padEnd(9)}${a.status.padEnd(12)}${a.reason}`);
  return [`backend: ${description.name} (tfjs '${description.tfBackend}', via ${description.source})`, ...lines].join('\n');
}
