import type { ComposedWrapperOptions } from '../risk-options';

/**
 * The kinds of risk heads, each with the option that turns it on, listed once like a kernel
 * registry. The order is the registration order the composed wrapper hands to `orderHeads`
 * (providers still go first): MC dropout builds on the model, MVE and the VAE draw their noise
 * in this order, and the histogram may read the VAE's latent.
 */
export const REGISTERED_HEADS = [
  { kind: 'mcDropout', option: 'dropout' },
  { kind: 'mve', option: 'mve' },
  { kind: 'vae', option: 'vae' },
  { kind: 'histogram', option: 'histogram' },
] as const satisfies ReadonlyArray<{ kind: string; option: keyof ComposedWrapperOptions }>;

/** A registered head kind. */
export type HeadKind = (typeof REGISTERED_HEADS)[number]['kind'];
