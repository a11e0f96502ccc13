/**
 * The lab, off the main thread: generates SynthFaces, trains the standard CNN and the DB-VAE
 * with the same @dbvae packages as Node (their published dist builds), evaluates both per
 * group after every epoch, wraps the CNN for representation bias, and scores dropped images.
 */
import '@tensorflow/tfjs-backend-webgpu'; // registers 'webgpu'; initBackend uses it when the browser has WebGPU
import { initBackend, tf } from '@dbvae/backend';
import { FaceDataset, generateSynthFaces, uint8ToFloatBatch } from '@dbvae/core-data';
import { DBVAE, buildStandardClassifier, trainClassifier, trainDBVAE, type EpochRecord, type StepRecord } from '@dbvae/models';
import { HistogramWrapper, accuracyVsRisk, mostAndLeastRepresented } from '@dbvae/risk-wrappers';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { GROUPS, type FromWorker, type GroupCounts, type LabConfig, type ModelName, type SmallImage, type ToWorker } from './protocol';
import { percentileRank, sigmoid } from './stats';

const post = (message: FromWorker, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(message, transfer);

interface Trained {
  size: number;
  wrapper: HistogramWrapper;
  dbvae: DBVAE;
  /** Bias of every test face: the reference the page's percentiles are taken against. */
  referenceBias: Float32Array;
}

let controller: AbortController | undefined;
let trained: Trained | undefined;

// tfjs on wasm never yields to the event loop inside a step; yielding once per epoch lets a
// 'stop' message in (the page also terminates the worker if it does not answer in time).
const yieldToEvents = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function groupCounts(predictedFace: ArrayLike<number | boolean>, groups: readonly string[]): GroupCounts {
  const counts = Object.fromEntries(GROUPS.map((g) => [g, { k: 0, n: 0 }])) as GroupCounts;
  groups.forEach((g, i) => {
    const c = counts[g as keyof GroupCounts];
    if (!c) return;
    c.n += 1;
    c.k += predictedFace[i] ? 1 : 0;
  });
  return counts;
}

function smallImage(images: Uint8Array, index: number, size: number): SmallImage {
  const bytes = size * size * 3;
  return { size, rgb: images.slice(index * bytes, (index + 1) * bytes) };
}

async function run(config: LabConfig, signal: AbortSignal): Promise<void> {
  const t0 = performance.now();
  const backend = await initBackend({
    backend: config.backends,
    wasmPaths: { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd },
  });
  const skipped = backend.attempts.filter((a) => a.status === 'unavailable').map((a) => `${a.name}: ${a.reason}`);
  post({ type: 'backend', name: backend.name, detail: skipped.join('; ') });

  const { size } = config;
  const synth = generateSynthFaces({ n: config.n, size, seed: config.seed });
  const data = FaceDataset.fromArrays({ ...synth, seed: config.seed });
  const faces = synth.attributes.filter((_, i) => synth.labels[i] === 1);
  post({ type: 'data', trainImages: config.n, darkShare: faces.filter((a) => a.group?.startsWith('D')).length / Math.max(1, faces.length) });
  const test = generateSynthFaces({ n: 4 * config.testPerGroup, size, seed: config.seed + 1, faceFraction: 1, groups: [...GROUPS] });
  const testGroups = test.attributes.map((a) => a.group ?? '?');
  const xTest = uint8ToFloatBatch(test.images, { height: size, width: size, channelOrder: 'rgb' });

  const onStep = (model: ModelName, stepsPerEpoch: number) => (s: StepRecord) =>
    post({ type: 'step', model, epoch: s.epoch, step: s.step, stepsPerEpoch, epochs: config.epochs, loss: s.total });
  const stepsPerEpoch = Math.max(1, Math.floor(config.n / 32));

  // 1. The standard CNN (logits out).
  const cnn = buildStandardClassifier({ inputShape: [size, size, 3], nFilters: config.filters, denseUnits: config.denseUnits, seed: config.seed });
  const cnnStart = performance.now();
  await trainClassifier(cnn, data, {
    epochs: config.epochs,
    batchSize: 32,
    seed: config.seed,
    progressBar: false,
    signal,
    onStep: onStep('standard', stepsPerEpoch),
    onEpochEnd: async (e: EpochRecord) => {
      const logits = cnn.predict(xTest) as tf.Tensor;
      const hits = await logits.greater(0).data();
      logits.dispose();
      post({ type: 'epoch', model: 'standard', epoch: e.epoch, counts: groupCounts(hits, testGroups), seconds: (performance.now() - cnnStart) / 1000 });
      await yieldToEvents();
    },
  });
  if (signal.aborted) return;
  post({ type: 'trained', model: 'standard', seconds: (performance.now() - t0) / 1000 });

  // 2. The DB-VAE (probabilities out), resampling rare faces every epoch.
  const dbvae = new DBVAE({ latentDim: config.latentDim, nFilters: config.filters, inputShape: [size, size, 3], denseUnits: config.denseUnits, outputActivation: 'sigmoid', seed: config.seed });
  const vaeStart = performance.now();
  const history = await trainDBVAE(dbvae, data, {
    epochs: config.epochs,
    batchSize: 32,
    alpha: config.alpha,
    seed: config.seed,
    progressBar: false,
    signal,
    onStep: onStep('dbvae', stepsPerEpoch),
    onEpochEnd: async (e: EpochRecord) => {
      const p = dbvae.predict(xTest);
      const hits = await p.greaterEqual(0.5).data();
      p.dispose();
      post({ type: 'epoch', model: 'dbvae', epoch: e.epoch, counts: groupCounts(hits, testGroups), seconds: (performance.now() - vaeStart) / 1000 });
      await yieldToEvents();
    },
  });
  history.optimizer.dispose();
  if (signal.aborted) return;
  post({ type: 'trained', model: 'dbvae', seconds: (performance.now() - t0) / 1000 });

  // 3. Representation bias of the CNN's features (lab 3's histogram), fitted on training faces.
  const wrapper = new HistogramWrapper(cnn, { numBins: 5, queueSize: 2000, score: 'logProb' });
  const { x: trainFaces, y: trainLabels } = data.getBatch(Math.min(2000, data.numFaces), { onlyFaces: true });
  wrapper.fitHistogram(trainFaces);
  tf.dispose([trainFaces, trainLabels]);
  const risk = wrapper.predict(xTest, { batchSize: 256 });
  const referenceBias = Float32Array.from(risk.perSample('bias'));
  const correct = Uint8Array.from(risk.perSample('yHat'), (logit) => (logit > 0 ? 1 : 0)); // every test image is a face
  risk.dispose();
  const chunks = accuracyVsRisk(referenceBias, correct, { numChunks: 5 });
  const k = Math.min(6, Math.floor(referenceBias.length / 2));
  const { least, most } = mostAndLeastRepresented(referenceBias, k);
  post({
    type: 'figures',
    least: least.map((i) => smallImage(test.images, i, size)),
    most: most.map((i) => smallImage(test.images, i, size)),
    accuracyVsRepresentation: chunks.map((c) => ({ percentile: c.percentile, accuracy: c.accuracy, n: c.count })),
  });
  xTest.dispose();
  trained?.wrapper.dispose();
  trained?.dbvae.dispose();
  trained = { size, wrapper, dbvae, referenceBias };
}

function score(id: number, pixels: Float32Array, size: number): void {
  if (!trained || trained.size !== size) throw new Error('Train the models first.');
  const { wrapper, dbvae, referenceBias } = trained;
  const x = tf.tensor4d(pixels, [1, size, size, 3]);
  try {
    const risk = wrapper.predict(x);
    const [logit] = risk.perSample('yHat');
    const [bias] = risk.perSample('bias');
    risk.dispose();
    const p = tf.tidy(() => dbvae.predict(x).dataSync()[0] as number);
    post({ type: 'scored', id, probability: sigmoid(logit as number), representation: percentileRank(bias as number, referenceBias), dbvaeProbability: p });
  } finally {
    x.dispose();
  }
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'start') {
    controller?.abort();
    const own = new AbortController();
    controller = own;
    const t0 = performance.now();
    run(message.config, own.signal).then(
      () => post({ type: 'done', seconds: (performance.now() - t0) / 1000, stopped: own.signal.aborted }),
      (error: unknown) => post({ type: 'error', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
    );
  } else if (message.type === 'stop') {
    controller?.abort();
  } else if (message.type === 'score') {
    try {
      score(message.id, message.pixels, message.size);
    } catch (error) {
      post({ type: 'error', message: (error as Error).message });
    }
  }
};
