import { tf } from '@dbvae/backend';

/** Constructor arguments of {@link McDropout}. */
export interface McDropoutArgs {
  /** Drop probability in [0, 1). */
  rate: number;
  /** Drop whole channels of a 3-D/4-D input (spatial dropout, for convolutions). Default false. */
  spatial?: boolean;
  /** Layer name. */
  name?: string;
}

/**
 * Monte Carlo dropout: a dropout layer whose activity is switched by its owner (a wrapper),
 * not by tfjs's `training` flag, so that MC passes can keep batch norm in inference mode.
 * Each call draws its mask from `seedSource`, so passes repeat under the wrapper's seed.
 * `spatial` drops whole channels (one mask value per sample and channel, channels last).
 */
export class McDropout extends tf.layers.Layer {
  /** @internal Serialization name. */
  static className = 'DbvaeMcDropout';
  /** Fraction of the units (or channels) dropped. */
  readonly rate: number;
  /** Whether whole channels are dropped (spatial dropout). */
  readonly spatial: boolean;
  /** Whether the layer drops units (set by the owning wrapper). */
  active = true;
  /** Source of mask seeds (set by the owning wrapper). */
  seedSource: () => number = (() => {
    let s = 0;
    return () => ++s;
  })();

  constructor(args: McDropoutArgs) {
    super({ name: args.name });
    this.rate = args.rate;
    this.spatial = args.spatial ?? false;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
      if (!this.active || this.rate === 0) return tf.clone(x);
      const shape = this.spatial && x.rank >= 3 ? x.shape.map((d, i) => (i === 0 || i === x.rank - 1 ? d : 1)) : x.shape;
      const keep = tf.cast(tf.greaterEqual(tf.randomUniform(shape, 0, 1, 'float32', this.seedSource()), this.rate), 'float32');
      return tf.mul(x, tf.div(keep, 1 - this.rate));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, spatial: this.spatial };
  }
}
tf.serialization.registerClass(McDropout);
