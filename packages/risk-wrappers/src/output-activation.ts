import { tf } from '@dbvae/backend';
import { producerInputs } from './graph';

type Sym = tf.SymbolicTensor;

/**
 * What a model's first output is: `linear` (logits or a regression value), `sigmoid` or
 * `softmax` (probabilities), or `other` (e.g. `relu`, `tanh`: usable for regression only).
 */
export type OutputActivation = 'linear' | 'sigmoid' | 'softmax' | 'other';

/** The output layer of a model, as the wrappers need it. */
export interface OutputHead {
  /** The activation of the final layer (Keras's `activation` config, or an `Activation` layer). */
  activation: OutputActivation;
  /**
   * For sigmoid/softmax outputs whose logits can be recovered: the symbolic input of the final
   * layer, and `toLogits` mapping its value to the pre-activation logits with the layer's own
   * weights (so gradients reach them). Undefined when the logits are not recoverable (a final
   * convolution with a sigmoid, say): losses then run on clipped probabilities, as Keras does.
   */
  logitsInput?: Sym;
  /** Maps a value of `logitsInput` to the pre-activation logits (see `logitsInput`). */
  toLogits?: (input: tf.Tensor) => tf.Tensor;
}

function activationName(layer: tf.layers.Layer): string {
  const a = (layer.getConfig() as { activation?: unknown }).activation;
  if (a === undefined || a === null) return 'linear';
  if (typeof a === 'string') return a;
  const cls = (a as { className?: string }).className;
  return typeof cls === 'string' ? cls.toLowerCase() : 'other';
}

function classify(name: string): OutputActivation {
  if (name === 'linear') return 'linear';
  if (name === 'sigmoid') return 'sigmoid';
  if (name === 'softmax') return 'softmax';
  return 'other';
}

/**
 * Detects the activation of a model's first output and, for a final `Dense` or `Activation`
 * layer, how to recover its logits (the stable way to compute cross-entropy, as Keras does
 * internally for `from_logits=False` on a sigmoid/softmax output).
 */
export function detectOutputHead(model: tf.LayersModel): OutputHead {
  const out = model.outputs[0] as Sym;
  const layer = out.sourceLayer as tf.layers.Layer;
  const cls = layer.getClassName();
  if (cls === 'InputLayer') return { activation: 'linear' };
  const activation = classify(activationName(layer));
  if (activation !== 'sigmoid' && activation !== 'softmax') return { activation };
  const inputs = producerInputs(out);
  if (inputs.length !== 1) return { activation };
  const input = inputs[0] as Sym;
  if (cls === 'Activation') return { activation, logitsInput: input, toLogits: (h) => h };
  if (cls === 'Dense') {
    const useBias = (layer.getConfig() as { useBias?: boolean }).useBias !== false;
    const [kernel, bias] = layer.weights;
    if (kernel === undefined || (useBias && bias === undefined)) return { activation };
    return {
      activation,
      logitsInput: input,
      toLogits: (h) => {
        const k = kernel.read();
        const flat = h.rank === 2 ? h : h.reshape([-1, h.shape[h.rank - 1] as number]);
        let z = tf.matMul(flat, k);
        if (useBias && bias) z = tf.add(z, bias.read());
        return h.rank === 2 ? z : z.reshape([...h.shape.slice(0, -1), k.shape[1] as number]);
      },
    };
  }
  return { activation };
}
