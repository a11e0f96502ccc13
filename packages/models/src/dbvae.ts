import { InvalidArgumentError, ShapeError, tf } from '@dbvae/backend';
import { buildFaceDecoder } from './face-decoder';
import { buildStandardClassifier } from './standard-classifier';
import { assertPositiveInt, assertShape } from './validate';

/** Architecture of a {@link DBVAE}; saved with the model so that it can be rebuilt. */
export interface DBVAEConfig {
  /** Latent size k. Default 100 (the lab's). */
  latentDim: number;
  /** Base number of filters of the encoder and the decoder. Default 12. */
  nFilters: number;
  /** Input shape, channels last; height and width multiples of 16. Default [64, 64, 3]. */
  inputShape: [number, number, number];
  /** Units of the encoder's hidden dense layer. Default 512. */
  denseUnits: number;
  /** Decoder output activation. Default `'linear'` (the lab's). */
  outputActivation: 'linear' | 'sigmoid';
  /** Seed of the weight initialisers. Default 0. */
  seed: number;
}

/** Default {@link DBVAEConfig}: the lab's architecture. */
export const DEFAULT_DBVAE_CONFIG: Readonly<DBVAEConfig> = Object.freeze({
  latentDim: 100,
  nFilters: 12,
  inputShape: [64, 64, 3] as [number, number, number],
  denseUnits: 512,
  outputActivation: 'linear' as const,
  seed: 0,
});

/** What the encoder says about a batch (caller disposes the tensors). */
export interface Encoding {
  /** [n, 1] face logits. */
  logit: tf.Tensor2D;
  /** [n, k] latent means. */
  mean: tf.Tensor2D;
  /** [n, k] latent log-variances. */
  logVar: tf.Tensor2D;
}

/** A full forward pass (caller disposes the tensors). */
export interface ForwardPass extends Encoding {
  /** [n, k] sampled latent codes. */
  z: tf.Tensor2D;
  /** [n, H, W, C] reconstructions of the inputs. */
  reconstruction: tf.Tensor4D;
}

/** Options of {@link DBVAE.latentMeans}. */
export interface LatentMeansOptions {
  /** Batch size used to run a tensor through the encoder. Default 64. */
  batchSize?: number;
  /** Dispose the batches an iterator yields once they are encoded. Default true. */
  disposeBatches?: boolean;
}

/**
 * The debiasing variational autoencoder of Amini, Soleimany et al. (AIES 2019): the lab's CNN
 * as encoder with 2k + 1 outputs (class logit, k means, k log-variances, no activation on the
 * latent heads), the reparameterisation trick with seeded noise, and the lab's face decoder.
 *
 * @example
 * const model = new DBVAE({ latentDim: 100 });
 * const p = model.predict(images); // [n, 1] face probabilities
 * model.dispose();
 */
export class DBVAE {
  /** The architecture. */
  readonly config: Readonly<DBVAEConfig>;
  /** Encoder: images -> [logit, k means, k log-variances]. */
  readonly encoder: tf.LayersModel;
  /** Decoder: latent codes -> images. */
  readonly decoder: tf.LayersModel;

  /**
   * Builds a fresh DB-VAE with seeded initial weights.
   *
   * @throws InvalidArgumentError on bad sizes (see {@link DBVAEConfig}).
   */
  constructor(config: Partial<DBVAEConfig> = {}) {
    const full: DBVAEConfig = { ...DEFAULT_DBVAE_CONFIG, ...config };
    assertPositiveInt('DBVAE', 'latentDim', full.latentDim);
    if (!Number.isFinite(full.seed)) throw new InvalidArgumentError(`DBVAE: seed must be a finite number, got ${full.seed}.`);
    this.config = Object.freeze({ ...full, inputShape: [...full.inputShape] as [number, number, number] });
    this.encoder = buildStandardClassifier({
      nOutputs: 2 * full.latentDim + 1,
      nFilters: full.nFilters,
      inputShape: full.inputShape,
      denseUnits: full.denseUnits,
      seed: full.seed,
      name: 'dbvae_encoder',
    });
    this.decoder = buildFaceDecoder({
      latentDim: full.latentDim,
      nFilters: full.nFilters,
      outputShape: full.inputShape,
      outputActivation: full.outputActivation,
      seed: full.seed,
      name: 'dbvae_decoder',
    });
  }

  /** Latent size k. */
  get latentDim(): number {
    return this.config.latentDim;
  }

  /** All trainable variables, encoder's then decoder's, in a fixed order (optimizer slots rely on it). */
  get trainableVariables(): tf.Variable[] {
    return [...this.encoder.trainableWeights, ...this.decoder.trainableWeights].map((w) => w.read() as tf.Variable);
  }

  /** The decoder's trainable variables. */
  get decoderVariables(): tf.Variable[] {
    return this.decoder.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  private checkImages(where: string, x: tf.Tensor): void {
    assertShape(`DBVAE.${where}`, 'x', x, 4, this.config.inputShape);
  }

  /**
   * Runs the encoder. `training` (default false) uses batch statistics in batch norm and updates
   * its moving averages.
   *
   * @throws ShapeError unless x is [n, H, W, C] of the model's input shape.
   */
  encode(x: tf.Tensor, options: { training?: boolean } = {}): Encoding {
    this.checkImages('encode', x);
    const k = this.latentDim;
    return tf.tidy(() => {
      const out = this.encoder.apply(x, { training: options.training ?? false }) as tf.Tensor2D;
      const [logit, mean, logVar] = tf.split(out, [1, k, k], 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      return { logit, mean, logVar };
    });
  }

  /**
   * The reparameterisation trick: z = mean + exp(logVar / 2) * eps with eps ~ N(0, I) drawn
   * from `seed` (the same seed gives the same noise).
   */
  reparameterize(mean: tf.Tensor2D, logVar: tf.Tensor2D, seed: number): tf.Tensor2D {
    if (!Number.isFinite(seed)) throw new InvalidArgumentError(`DBVAE.reparameterize: seed must be finite, got ${seed}.`);
    return tf.tidy(() => {
      const eps = tf.randomNormal(mean.shape, 0, 1, 'float32', seed);
      return tf.add(mean, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps)) as tf.Tensor2D;
    });
  }

  /**
   * Decodes latent codes into images.
   *
   * @throws ShapeError unless z is [n, k].
   */
  decode(z: tf.Tensor, options: { training?: boolean } = {}): tf.Tensor4D {
    assertShape('DBVAE.decode', 'z', z, 2, [this.latentDim]);
    return tf.tidy(() => this.decoder.apply(z, { training: options.training ?? false }) as tf.Tensor4D);
  }

  /** Encode, sample with seeded noise, decode. */
  forward(x: tf.Tensor, options: { training?: boolean; seed?: number } = {}): ForwardPass {
    const { training = false, seed = 0 } = options;
    return tf.tidy(() => {
      const { logit, mean, logVar } = this.encode(x, { training });
      const z = this.reparameterize(mean, logVar, seed);
      const reconstruction = this.decode(z, { training });
      return { logit, mean, logVar, z, reconstruction };
    });
  }

  /** Deterministic reconstructions: the decoding of the latent means. */
  reconstruct(x: tf.Tensor): tf.Tensor4D {
    return tf.tidy(() => {
      const { mean } = this.encode(x);
      return this.decode(mean);
    });
  }

  /** Face logits [n, 1] (inference mode). */
  predictLogits(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.encode(x).logit);
  }

  /** Face probabilities [n, 1] = sigmoid(logit) (inference mode). */
  predict(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => tf.sigmoid(this.encode(x).logit) as tf.Tensor2D);
  }

  /**
   * The latent means of many images, computed in batches in inference mode, as a row-major
   * Float32Array of shape [n, k] (the input of the resampling histograms).
   *
   * @param x - A [n, H, W, C] tensor, or an iterable of such batches (e.g. a dataset's face
   *   batches; they are disposed after use unless `disposeBatches: false`).
   * @throws ShapeError on a batch of the wrong shape; InvalidArgumentError when nothing is given.
   */
  latentMeans(x: tf.Tensor | Iterable<tf.Tensor>, options: LatentMeansOptions = {}): Float32Array {
    const { batchSize = 64, disposeBatches = true } = options;
    assertPositiveInt('DBVAE.latentMeans', 'batchSize', batchSize);
    const k = this.latentDim;
    const chunks: Float32Array[] = [];
    const encodeBatch = (batch: tf.Tensor): void => {
      const means = tf.tidy(() => this.encode(batch).mean);
      chunks.push(means.dataSync() as Float32Array);
      means.dispose();
    };
    if (x instanceof tf.Tensor) {
      this.checkImages('latentMeans', x);
      const n = x.shape[0] as number;
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        const batch = tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]);
        try {
          encodeBatch(batch);
        } finally {
          batch.dispose();
        }
      }
    } else {
      for (const batch of x) {
        try {
          encodeBatch(batch);
        } finally {
          if (disposeBatches) batch.dispose();
        }
      }
    }
    const total = chunks.reduce((s, c) => s + c.length, 0);
    if (total === 0) throw new InvalidArgumentError('DBVAE.latentMeans: no images were given; pass a non-empty tensor or iterator.');
    const out = new Float32Array(total);
    let offset = 0;
    for (const c of chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    if (out.length % k !== 0) throw new ShapeError(`DBVAE.latentMeans: got ${out.length} values, not a multiple of latentDim ${k}.`);
    return out;
  }

  /** Frees the weights of the encoder and the decoder. */
  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
  }
}
