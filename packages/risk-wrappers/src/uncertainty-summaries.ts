import { tf } from '@dbvae/backend';
import type { NamedRisk } from './risk-tensor';

/** Natural-log entropy of probabilities, elementwise for independent (sigmoid) outputs, summed over classes for softmax. */
function entropy(p: tf.Tensor, exclusive: boolean): tf.Tensor {
  const q = tf.clipByValue(p, 1e-12, 1);
  if (exclusive) {
    const h = tf.neg(tf.sum(tf.mul(p, tf.log(q)), -1, true));
    return tf.broadcastTo(h, p.shape);
  }
  const r = tf.clipByValue(tf.sub(1, p), 1e-12, 1);
  return tf.neg(tf.add(tf.mul(p, tf.log(q)), tf.mul(tf.sub(1, p), tf.log(r))));
}

/**
 * The usual uncertainty summaries of a classifier's stochastic passes (MC dropout, ensemble
 * members), each shaped like one pass (per-class columns carry the per-sample value for
 * softmax outputs; independent sigmoid outputs get one value per column), in nats:
 * - `total.predictiveEntropy`: H[mean_t p_t], the entropy of the averaged prediction;
 * - `aleatoric.expectedEntropy`: mean_t H[p_t];
 * - `epistemic.mutualInformation`: their difference (BALD), >= 0: how much the passes disagree.
 * @param probs - One probability tensor per pass, all the same shape.
 * @param exclusive - Softmax (classes exclusive, entropy over the last axis) or independent sigmoid outputs.
 */
export function classificationSummaries(probs: tf.Tensor[], exclusive: boolean): Partial<Record<NamedRisk, tf.Tensor>> {
  return tf.tidy(() => {
    const mean = tf.mean(tf.stack(probs), 0);
    const total = entropy(mean, exclusive);
    const expected = tf.mean(tf.stack(probs.map((p) => entropy(p, exclusive))), 0);
    const mi = tf.relu(tf.sub(total, expected));
    return { 'total.predictiveEntropy': total, 'aleatoric.expectedEntropy': expected, 'epistemic.mutualInformation': mi } as unknown as tf.TensorContainer;
  }) as unknown as Partial<Record<NamedRisk, tf.Tensor>>;
}
