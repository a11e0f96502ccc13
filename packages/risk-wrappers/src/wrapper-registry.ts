/**
 * The wrapper registry: kinds rebuilt from saved artifacts, the restore marker the named
 * wrappers' constructors recognise, and {@link loadRiskWrapper}.
 */
import type { tf } from '@dbvae/backend';
import { SerializationError } from './errors';
import type { RiskModel } from './risk-model';
import type { ModelSource } from './risk-options';
import { loadArtifacts, type WrapperArtifacts } from './serialization';

/** @internal Marks restored parts passed to a constructor by `load`. */
export const RESTORED = Symbol('restored');
interface Restored {
  [RESTORED]: true;
  artifacts: WrapperArtifacts;
}

/** @internal Rebuilders by kind, filled by each wrapper module. */
export const WRAPPER_KINDS = new Map<string, (a: WrapperArtifacts) => RiskModel>();

/** @internal The marker a constructor recognises as "restore from these artifacts". */
export function restoredSource(artifacts: WrapperArtifacts): ModelSource {
  return { [RESTORED]: true, artifacts } as unknown as ModelSource;
}

/**
 * Loads any wrapper saved with `save`, whatever its class (ensembles included). A fitted
 * post-hoc wrapper reloads with its frozen model, its fitted risk parts and its histogram:
 * `predict` gives the same numbers without fitting again.
 * @throws SerializationError for artifacts not written by this package.
 */
export async function loadRiskWrapper(handlerOrUrl: string | tf.io.IOHandler): Promise<RiskModel> {
  return restoreFromArtifacts(await loadArtifacts(handlerOrUrl));
}

/** @internal */
export function restoreFromArtifacts(a: WrapperArtifacts): RiskModel {
  const make = WRAPPER_KINDS.get(a.kind);
  if (!make) throw new SerializationError(`Unknown wrapper kind '${a.kind}'.`);
  return make(a);
}

/** @internal Whether a constructor argument is the restore marker. */
export function isRestored(x: unknown): x is Restored {
  return typeof x === 'object' && x !== null && RESTORED in x;
}
