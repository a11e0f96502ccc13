import { InvalidArgumentError, tf } from '@dbvae/backend';
import { ComposedWrapper } from './composed-wrapper';
import type { ComposedWrapperOptions, DropoutSpec, HistogramSpec, ModelSource, MveSpec, RiskMode, VaeSpec } from './risk-options';
import { EnsembleWrapper } from './ensemble-wrapper';
import type { FeatureLayer } from './graph';

/** What {@link wrap} should estimate. */
export interface WrapOptions {
  /**
   * Representation bias: the log-density of the model's features (`true`, or settings).
   * `source: 'latent'` measures it on the VAE's latent means instead (Capsa's HistogramVAE;
   * needs `epistemic: 'vae'`). Features are the default with a VAE too: around the lab CNN they
   * ranked the rare group below the common ones far better than a 32-d VAE latent (AUROC 0.74
   * against 0.54 in `bench/risk-quality.ts` with histograms).
   */
  bias?: boolean | HistogramSpec;
  /** Epistemic risk: `'vae'`, `'dropout'` or `'ensemble'`. */
  epistemic?: 'vae' | 'dropout' | 'ensemble';
  /** Aleatoric risk by MVE (`true`, or MVE settings). */
  aleatoric?: boolean | MveSpec;
  /** VAE settings when `epistemic` is `'vae'`. */
  vae?: VaeSpec;
  /** MC dropout settings when `epistemic` is `'dropout'`. */
  dropout?: DropoutSpec;
  /** Number of members when `epistemic` is `'ensemble'`. Default 3. */
  numMembers?: number;
  /** Feature layer name or index. Default: the input of the last layer. */
  featureLayer?: FeatureLayer;
  /** Seed. Default 0. */
  seed?: number;
  /**
   * `'post-hoc'` (default): the model is frozen (`yHat` equals `model.predict(x)` exactly) and
   * `fit(x, y)` fits only the risk parts on the data you name; `'joint'`: Capsa's joint
   * training of the model and its risks. See {@link RiskMode}.
   */
  mode?: RiskMode;
}

/**
 * Builds one risk-aware model on ONE shared feature extractor (the user's layers) that
 * returns every requested risk from `predict`. With `epistemic: 'ensemble'`, the result is
 * an {@link EnsembleWrapper} whose members each carry the requested bias/aleatoric heads.
 *
 * @example
 * ```ts
 * // A trained classifier, kept frozen; the risk parts are fitted on its training data.
 * const w = wrap(trainedModel, { bias: true, epistemic: 'vae', aleatoric: true, vae: { decoder: 'auto' } });
 * w.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
 * await w.fit(xTrain, yTrain, { epochs: 5 });
 * const { yHat, bias, epistemic, aleatoric } = w.predict(x); // yHat === trainedModel.predict(x)
 * ```
 * @throws InvalidArgumentError when nothing is requested or the epistemic method is unknown.
 */
export function wrap(model: ModelSource, options: WrapOptions): ComposedWrapper | EnsembleWrapper {
  const { bias, epistemic, aleatoric, featureLayer, seed = 0, mode = 'post-hoc' } = options;
  if (!bias && !epistemic && !aleatoric) throw new InvalidArgumentError('wrap: request at least one of bias, epistemic, aleatoric.');
  if (epistemic !== undefined && !['vae', 'dropout', 'ensemble'].includes(epistemic)) {
    throw new InvalidArgumentError(`wrap: epistemic must be 'vae', 'dropout' or 'ensemble', got ${String(epistemic)}.`);
  }
  const base: ComposedWrapperOptions = { featureLayer, seed, mode };
  // A latent source without a VAE is refused by ComposedWrapper's own option check.
  if (bias) base.histogram = { source: 'features', ...(bias === true ? {} : bias) };
  if (aleatoric) base.mve = aleatoric === true ? {} : aleatoric;
  if (epistemic === 'vae') base.vae = options.vae ?? {};
  if (epistemic === 'dropout') base.dropout = options.dropout ?? {};
  if (epistemic === 'ensemble') {
    if (!(model instanceof tf.LayersModel)) throw new InvalidArgumentError('wrap: an ensemble needs a tf.LayersModel.');
    return new EnsembleWrapper(model, {
      numMembers: options.numMembers ?? 3,
      seed,
      mode,
      memberWrapper: (m, i, memberMode) => new ComposedWrapper(m, { ...base, seed: seed + i, mode: memberMode }),
    });
  }
  return new ComposedWrapper(model, base);
}
