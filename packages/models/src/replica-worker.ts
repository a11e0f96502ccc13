/**
 * @internal The worker thread of a {@link DataParallelTrainer}: a replica of the model on its
 * own backend instance that computes the gradients of its share of each batch. It never updates
 * its weights itself; the main thread sends the updated weights after every step, so the
 * replicas cannot drift from the model.
 */
import { parentPort } from 'node:worker_threads';
import { initBackend, tf, type BackendName } from '@dbvae/backend';
import { buffersOf, classifierGradients, replicatedWeights, toWire, type FromReplica, type ToReplica, type WireTensor } from './replica-protocol';

if (parentPort === null) throw new Error('replica-worker must run in a worker thread');
const port = parentPort;
let model: tf.LayersModel | undefined;

const post = (message: FromReplica, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

function assignAll(variables: tf.LayerVariable[], values: WireTensor[]): void {
  variables.forEach((v, i) => {
    const w = values[i] as WireTensor;
    tf.tidy(() => {
      v.write(tf.tensor(w.values, w.shape, 'float32'));
    });
  });
}

async function handle(message: ToReplica): Promise<void> {
  if (message.type === 'init') {
    await initBackend({ backend: message.backend as BackendName });
    model = await tf.models.modelFromJSON(JSON.parse(message.modelJson) as Parameters<typeof tf.models.modelFromJSON>[0]);
    assignAll(replicatedWeights(model), message.weights);
    post({ type: 'ready' });
    return;
  }
  if (model === undefined) throw new Error(`replica received '${message.type}' before 'init'`);
  if (message.type === 'weights') {
    assignAll(replicatedWeights(model), message.weights);
    return;
  }
  const x = tf.tensor(message.x.values, message.x.shape, 'float32');
  const y = tf.tensor(message.y.values, message.y.shape, 'float32');
  const { loss, gradients } = classifierGradients(model, x, y, message.weight);
  const wireGradients = gradients.map(toWire);
  const state = model.nonTrainableWeights.map((w) => toWire(w.read()));
  tf.dispose([x, y, ...gradients]);
  post({ type: 'gradients', id: message.id, loss, gradients: wireGradients, state }, [...buffersOf(wireGradients), ...buffersOf(state)]);
}

port.on('message', (message: ToReplica) => {
  handle(message).catch((error: unknown) => {
    post({ type: 'error', id: message.type === 'step' ? message.id : undefined, message: error instanceof Error ? error.message : String(error) });
  });
});
