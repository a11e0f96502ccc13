import { HeadCompositionError } from '../errors';
import { CORE_TAPS, type RiskField, type RiskHead, type Tap } from './risk-head';

/**
 * Checks that heads can be composed and returns them in an order where every head comes after
 * the providers of what it reads (otherwise in the given order).
 * @param heads - The heads, in registration order.
 * @param coreTaps - The taps the core provides. Default {@link CORE_TAPS}.
 * @throws HeadCompositionError when two heads share a name or write one field
 * (`E_HEAD_NAME`, `E_HEAD_COLLISION`), or a read has no provider (`E_HEAD_MISSING_TAP`).
 */
export function orderHeads<H extends RiskHead>(heads: readonly H[], coreTaps: readonly Tap[] = CORE_TAPS): H[] {
  const names = new Set<string>();
  const writers = new Map<RiskField, string>();
  const providers = new Map<Tap, H>();
  for (const h of heads) {
    if (names.has(h.name)) throw new HeadCompositionError(`Two risk heads are named '${h.name}'; give each head its own name.`, 'E_HEAD_NAME');
    names.add(h.name);
    for (const f of h.writes) {
      const other = writers.get(f);
      if (other !== undefined) {
        throw new HeadCompositionError(`Risk heads '${other}' and '${h.name}' both write '${f}'; one would overwrite the other. Rename one head's field or drop one head.`, 'E_HEAD_COLLISION');
      }
      writers.set(f, h.name);
    }
    for (const t of h.provides ?? []) providers.set(t, h);
  }
  const ordered: H[] = [];
  const placed = new Set<H>();
  const visiting = new Set<H>();
  const place = (h: H): void => {
    if (placed.has(h)) return;
    if (visiting.has(h)) throw new HeadCompositionError(`Risk head '${h.name}' reads what it provides (directly or through other heads).`, 'E_HEAD_MISSING_TAP');
    visiting.add(h);
    for (const t of h.reads) {
      if (coreTaps.includes(t)) continue;
      const p = providers.get(t);
      if (p === undefined) throw new HeadCompositionError(`Risk head '${h.name}' reads '${t}', but no head provides it (provided: ${[...coreTaps, ...providers.keys()].join(', ')}). Add the head that provides it.`, 'E_HEAD_MISSING_TAP');
      place(p);
    }
    visiting.delete(h);
    placed.add(h);
    ordered.push(h);
  };
  for (const h of heads) place(h);
  return ordered;
}
