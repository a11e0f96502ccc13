import { describe, expect, it } from 'vitest';
import { DbvaeError } from '@dbvae/backend';
import { HeadCompositionError } from '../src/errors';
import { orderHeads } from '../src/heads/compose-heads';
import type { RiskHead, RiskField, Tap } from '../src/heads/risk-head';

function head(name: string, writes: RiskField[], reads: Tap[] = ['features'], provides?: Tap[]): RiskHead {
  return { kind: 'test', name, reads, writes, provides, dispose: () => undefined };
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('orderHeads (composing risk heads)', () => {
  it('refuses two heads writing the same named field, with a typed error naming both', () => {
    const e = thrown(() => orderHeads([head('vae', ['epistemic.vae']), head('vae2', ['epistemic.vae'])]));
    expect(e).toBeInstanceOf(HeadCompositionError);
    expect(e).toBeInstanceOf(DbvaeError);
    expect((e as HeadCompositionError).code).toBe('E_HEAD_COLLISION');
    expect((e as Error).message).toContain("'vae' and 'vae2'");
    expect((e as Error).message).toContain('epistemic.vae');
  });

  it('composes heads writing distinct epistemic fields (VAE and MC dropout)', () => {
    const hs = [head('mcDropout', ['epistemic.mcDropout'], ['input']), head('vae', ['epistemic.vae'], ['features', 'input'], ['latent.vae'])];
    expect(orderHeads(hs).map((h) => h.name)).toEqual(['mcDropout', 'vae']);
  });

  it('refuses duplicate names and reads without a provider', () => {
    expect((thrown(() => orderHeads([head('a', ['bias.a']), head('a', ['bias.b'])])) as HeadCompositionError).code).toBe('E_HEAD_NAME');
    const e = thrown(() => orderHeads([head('histogram', ['bias.histogram'], ['latent.vae'])])) as HeadCompositionError;
    expect(e).toBeInstanceOf(HeadCompositionError);
    expect(e.code).toBe('E_HEAD_MISSING_TAP');
    expect(e.message).toContain('latent.vae');
  });

  it('places a provider before its readers whatever the registration order', () => {
    const hs = [head('histogram', ['bias.histogram'], ['latent.vae']), head('mve', ['aleatoric.mve']), head('vae', ['epistemic.vae'], ['features', 'input'], ['latent.vae'])];
    const order = orderHeads(hs).map((h) => h.name);
    expect(order.indexOf('vae')).toBeLessThan(order.indexOf('histogram'));
    expect(order).toHaveLength(3);
    expect(new Set(order)).toEqual(new Set(['histogram', 'mve', 'vae']));
  });
});
