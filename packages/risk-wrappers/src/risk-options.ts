/**
 * The options of a composed risk wrapper: the model it takes, the post-hoc/joint mode and the
 * settings of each risk component.
 */
import type { tf } from '@dbvae/backend';
import type { NamedRisk } from './risk-tensor';
import type { FeatureLayer } from './graph';
import type { FeatureDensity } from './feature-histogram';

/** A model a wrapper can take: a tfjs layers model (trainable), or an inference-only `GraphModel` or function. */
export type ModelSource = tf.LayersModel | tf.GraphModel | ((x: tf.Tensor) => tf.Tensor);

/**
 * How a wrapper treats the user's model.
 * - `'post-hoc'` (the default): the model is **frozen**: its weights never change and
 *   `predict(x).yHat` equals `model.predict(x)` exactly. `fit(x, y)` fits only what the risks
 *   need (histogram, VAE heads and decoder, MVE head) on the data you pass. Where a method
 *   needs training of the model itself (MC dropout inserted into a model trained without it,
 *   ensembles), a **copy** is trained and only the risk is read from it (`retrainsCopies`).
 * - `'joint'`: Capsa's way: the wrapper trains the user's model together with the risk
 *   parts (shared layers), for training a model from scratch with its risks.
 */
export type RiskMode = 'post-hoc' | 'joint';

/** Histogram (representation bias) settings. */
export interface HistogramSpec {
  /** Vectors kept in the queue. Default 2000. */
  queueSize?: number;
  /** The density over the queue: `'gaussian'` (default over features) or Capsa's `'histogram'` (default over a VAE latent); see {@link FeatureDensity}. */
  density?: FeatureDensity;
  /** Bins per dimension (`density: 'histogram'`). Default 5. */
  numBins?: number;
  /** Added to each bin probability (also the probability of a value outside the fitted range). Default 1e-8. */
  epsilon?: number;
  /** What the histogram sees: hidden `features` (default), raw `input`, or the VAE's `latent` means. */
  source?: 'features' | 'input' | 'latent';
  /**
   * Only `'logProb'` (the default): `bias` is the log joint bin probability. The old `'prob'`
   * (Capsa's `exp` of it) underflows to 0 on wide features and is refused.
   */
  score?: 'logProb';
}

/** VAE (epistemic) settings. */
export interface VaeSpec {
  /** Latent dimension. Default 16. */
  latentDim?: number;
  /** A decoder model `[latentDim] -> input shape`, or `'auto'` for convolutional extractors. Default: mirrored dense decoder. */
  decoder?: tf.LayersModel | 'auto';
  /** Weight of the KL term. Default 1 (the ELBO). */
  klWeight?: number;
  /**
   * Weight of the whole VAE loss relative to the task loss in `'joint'` mode. Default 0.01:
   * at weight 1 the reconstruction of an image dominates the shared layers and costs the
   * classifier accuracy (issue 13: a CNN at 0.57-0.91 instead of 1.00). Ignored in post-hoc
   * mode, where the VAE loss is the only loss of the heads and decoder.
   */
  weight?: number;
  /** Apply the VAE loss (and fill the histogram) only for samples whose first target equals this class (the DB-VAE's faces-only mask). */
  onlyClass?: number;
}

/** MVE (aleatoric) settings. */
export interface MveSpec {
  /**
   * Classification (sampled-logit cross-entropy with the compiled loss) instead of regression
   * (Gaussian NLL). Default: inferred from the compiled loss (a cross-entropy means classification).
   */
  classification?: boolean;
  /** Logit samples per step for classification. Default 10. */
  samples?: number;
}

/** MC dropout (epistemic) settings. */
export interface DropoutSpec {
  /** Drop probability. Default 0.1 (Capsa's). */
  rate?: number;
  /** Stochastic passes at prediction. Default 20 (Capsa's). */
  passes?: number;
  /**
   * `insert` (default): add dropout after every dense layer and spatial dropout after every
   * convolution, except after inputs and outputs (post-hoc: into a trained copy of the model).
   * `own`: make the model's own Dropout layers stochastic at prediction (no training needed).
   * (Called `mode` before 0.2; `mode` now names the post-hoc/joint choice.)
   */
  placement?: 'insert' | 'own';
}

/** Options of {@link ComposedWrapper}: any combination of the components. */
export interface ComposedWrapperOptions {
  /** `'post-hoc'` (default: the model is frozen) or `'joint'` (Capsa's joint training). See {@link RiskMode}. */
  mode?: RiskMode;
  /**
   * Where features are read: a layer name or index (negative from the end). Default: the
   * input of the last layer. For a `GraphModel`: the name of a graph node (post-hoc bias
   * from that node's values).
   */
  featureLayer?: FeatureLayer;
  /** For inference-only models: the features of a batch. Default: the (flattened) input. */
  featureFn?: (x: tf.Tensor) => tf.Tensor;
  /** Representation bias from a histogram of the features (`true` for the defaults). */
  histogram?: HistogramSpec;
  /** Epistemic risk and bias from a VAE on the features (reconstruction error, latent histogram). */
  vae?: VaeSpec;
  /** Aleatoric risk from a mean-variance head (the predicted variance of each output). */
  mve?: MveSpec;
  /** Epistemic risk from MC dropout (the spread of several stochastic forward passes). */
  dropout?: DropoutSpec;
  /**
   * Which named estimate becomes `epistemic`: default `'epistemic.vae'` when there is a VAE,
   * else `'epistemic.mutualInformation'` for a classifier under MC dropout, else
   * `'epistemic.mcDropout'` (the std of the outputs). Every estimate stays readable in `RiskTensor.named`.
   */
  combine?: {
    /** The named estimate reported as `epistemic`, e.g. `'epistemic.vae'` or `'epistemic.mcDropout'`. */
    epistemic?: NamedRisk;
  };
  /** Seed of head initialisers, VAE noise, dropout masks and histogram subsampling. Default 0. */
  seed?: number;
}
