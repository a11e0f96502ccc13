/**
 * @internal A scoring thread of {@link createThreadScorer}: its own tfjs engine (wasm runs one
 * thread per engine) with the risk model loaded once, scoring the chunks it is sent.
 */
import { parentPort } from 'node:worker_threads';
import type { FromScoreThread, ToScoreThread } from './thread-protocol';
import type { LoadedRiskModel } from './risk-model-store';

if (parentPort === null) throw new Error('score-thread must run in a worker thread');
const port = parentPort;
let model: LoadedRiskModel | undefined;
const post = (message: FromScoreThread): void => port.postMessage(message);

async function handle(message: ToScoreThread): Promise<void> {
  if (message.type === 'init') {
    const { initBackend } = await import('@dbvae/backend');
    const { loadRiskModel } = await import('./risk-model-store');
    await initBackend(message.backend ? { backend: message.backend as 'wasm' } : {});
    model = await loadRiskModel(message.riskModelDir);
    post({ type: 'ready', riskModelId: model.id });
    return;
  }
  if (model === undefined) throw new Error(`score thread received '${message.type}' before 'init'`);
  const scores = await model.scorer(message.images, message.n, message.height, message.width, { offset: message.offset });
  post({ type: 'scores', id: message.id, scores });
}

port.on('message', (message: ToScoreThread) => {
  handle(message).catch((error: unknown) => {
    post({ type: 'error', id: message.type === 'score' ? message.id : undefined, message: error instanceof Error ? error.message : String(error), code: (error as { code?: string }).code });
  });
});
