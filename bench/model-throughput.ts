/**
 * Throughput of the lab 2 networks on every backend available here, beside PyTorch CPU:
 * - train step of the standard CNN (64x64x3, batch 32, Adam, sigmoid cross-entropy);
 * - train step of the DB-VAE (the same CNN as encoder with 2k+1 outputs, the lab's decoder, latent 100);
 * - inference of the standard CNN on batches of 256;
 * - on wasm, the CNN train step data-parallel over the main thread and one worker per spare
 *   core (`createDataParallelTrainer`), compared with PyTorch using as many threads.
 * PyTorch runs twice: with 1 thread (beside the single-threaded wasm rows) and with one thread
 * per core (beside the data-parallel row).
 * Usage: node --import tsx bench/model-throughput.ts [--seconds 5] [--backends wasm,cpu]
 */
import { parseArgs } from 'node:util';
import { initBackend, tf, type BackendName } from '@dbvae/backend';
import { availableParallelism } from 'node:os';
import { DBVAE, buildStandardClassifier, classifierTrainStep, createDataParallelTrainer, dbvaeTrainStep } from '@dbvae/models';
import { machineInfo, previousResult, printTable, runPythonReference, saveResult, timePerCall } from './lib';

interface BackendNumbers {
  cnnTrainImgPerSec: number;
  /** wasm only: the CNN train step over the main thread and `parallelThreads - 1` workers. */
  cnnTrainParallelImgPerSec?: number;
  parallelThreads?: number;
  dbvaeTrainImgPerSec: number;
  inferenceImgPerSec: number;
}
interface TorchNumbers extends BackendNumbers {
  torch: string;
  threads: number;
}
interface Result {
  suite: 'model-throughput';
  date: string;
  machine: Record<string, unknown>;
  backends: Record<string, BackendNumbers>;
  torch?: TorchNumbers;
  /** PyTorch with one thread per core, the reference of the data-parallel row. */
  torchAllCores?: TorchNumbers;
}

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, backends: { type: 'string', default: 'wasm,cpu' } } });
const seconds = Number(values.seconds);
const backends = String(values.backends).split(',') as BackendName[];

async function measure(backend: BackendName): Promise<BackendNumbers> {
  await initBackend({ backend, force: true });
  // The cpu backend trains at a few images per second: one timed step is all it can afford.
  const budget = backend === 'cpu' ? 0 : seconds;
  const minIters = backend === 'cpu' ? 1 : 5;
  const model = buildStandardClassifier({ seed: 0 });
  const optimizer = tf.train.adam(5e-4);
  const x = tf.randomUniform([32, 64, 64, 3], 0, 1, 'float32', 1);
  const y = tf.cast(tf.greater(tf.randomUniform([32, 1], 0, 1, 'float32', 2), 0.5), 'float32');
  const trainS = await timePerCall(() => classifierTrainStep(model, optimizer, x, y), budget, minIters);
  const dbvae = new DBVAE({ latentDim: 100, seed: 0 });
  const dbvaeOptimizer = tf.train.adam(5e-4);
  let step = 0;
  const dbvaeS = await timePerCall(() => dbvaeTrainStep(dbvae, dbvaeOptimizer, x, y, { seed: step++ }), budget, minIters);
  dbvaeOptimizer.dispose();
  dbvae.dispose();
  const xi = tf.randomUniform([256, 64, 64, 3], 0, 1, 'float32', 3);
  const inferS = await timePerCall(async () => {
    const p = tf.tidy(() => tf.sigmoid(model.predict(xi, { batchSize: 256 }) as tf.Tensor));
    await p.data();
    p.dispose();
  }, budget, backend === 'cpu' ? 1 : 3);
  let parallel: Pick<BackendNumbers, 'cnnTrainParallelImgPerSec' | 'parallelThreads'> = {};
  const threads = availableParallelism();
  if (backend === 'wasm' && threads > 1) {
    const trainer = await createDataParallelTrainer(model, optimizer, { workers: threads - 1 });
    const parallelS = await timePerCall(() => trainer.step(x, y), budget, minIters);
    await trainer.close();
    parallel = { cnnTrainParallelImgPerSec: 32 / parallelS, parallelThreads: threads };
  }
  tf.dispose([x, y, xi]);
  optimizer.dispose();
  model.dispose();
  return { cnnTrainImgPerSec: 32 / trainS, ...parallel, dbvaeTrainImgPerSec: 32 / dbvaeS, inferenceImgPerSec: 256 / inferS };
}

const result: Result = { suite: 'model-throughput', date: new Date().toISOString(), machine: machineInfo(), backends: {} };
for (const backend of backends) {
  process.stderr.write(`measuring ${backend}...\n`);
  result.backends[backend] = await measure(backend);
}
process.stderr.write('measuring PyTorch reference...\n');
result.torch = runPythonReference<TorchNumbers>('torch', 'torch_reference.py', ['--seconds', String(Math.min(seconds, 3)), '--threads', '1']);
if (availableParallelism() > 1) {
  result.torchAllCores = runPythonReference<TorchNumbers>('torch', 'torch_reference.py', ['--seconds', String(Math.min(seconds, 3)), '--threads', String(availableParallelism())]);
}

const previous = previousResult<Result>('model-throughput');
const file = saveResult('model-throughput', result);
const rows: Array<Array<string | number>> = [];
for (const [name, n] of Object.entries(result.backends)) {
  const prev = previous?.backends[name];
  rows.push([`${name} CNN train step (b32)`, n.cnnTrainImgPerSec, result.torch ? `${(n.cnnTrainImgPerSec / result.torch.cnnTrainImgPerSec).toFixed(2)}x` : 'n/a', prev ? prev.cnnTrainImgPerSec : '-']);
  if (n.cnnTrainParallelImgPerSec !== undefined) {
    const ref = result.torchAllCores?.cnnTrainImgPerSec;
    rows.push([`${name} CNN train step (b32), ${n.parallelThreads} threads data-parallel`, n.cnnTrainParallelImgPerSec, ref ? `${(n.cnnTrainParallelImgPerSec / ref).toFixed(2)}x (vs ${n.parallelThreads} thr)` : 'n/a', prev?.cnnTrainParallelImgPerSec ?? '-']);
  }
  rows.push([`${name} DB-VAE train step (b32)`, n.dbvaeTrainImgPerSec, result.torch ? `${(n.dbvaeTrainImgPerSec / result.torch.dbvaeTrainImgPerSec).toFixed(2)}x` : 'n/a', prev?.dbvaeTrainImgPerSec ?? '-']);
  rows.push([`${name} CNN inference (b256)`, n.inferenceImgPerSec, result.torch ? `${(n.inferenceImgPerSec / result.torch.inferenceImgPerSec).toFixed(2)}x` : 'n/a', prev ? prev.inferenceImgPerSec : '-']);
}
if (result.torch) {
  rows.push([`PyTorch ${result.torch.torch} CNN train (${result.torch.threads} thr)`, result.torch.cnnTrainImgPerSec, '1.00x', previous?.torch?.cnnTrainImgPerSec ?? '-']);
  rows.push([`PyTorch ${result.torch.torch} DB-VAE train`, result.torch.dbvaeTrainImgPerSec, '1.00x', previous?.torch?.dbvaeTrainImgPerSec ?? '-']);
  rows.push([`PyTorch ${result.torch.torch} CNN inference`, result.torch.inferenceImgPerSec, '1.00x', previous?.torch?.inferenceImgPerSec ?? '-']);
  if (result.torchAllCores) {
    rows.push([`PyTorch ${result.torch.torch} CNN train (${result.torchAllCores.threads} thr)`, result.torchAllCores.cnnTrainImgPerSec, '1.00x', previous?.torchAllCores?.cnnTrainImgPerSec ?? '-']);
  }
} else {
  console.log('PyTorch not found (install python3-torch for the reference column).');
}
printTable(['measurement', 'img/s', 'vs PyTorch', 'previous run'], rows);
console.log(`saved ${file}`);
