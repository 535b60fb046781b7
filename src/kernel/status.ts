// What the kernel reports about its modules (`llmos modules`, /v1/modules); the types are the
// system contract's.
import type { ModuleState, ModuleStatus } from '../contracts/system.js';
import { moduleUri, type AnyModuleDef } from './module.js';
import { shortName } from './registry.js';

/** One module's row, from what the kernel knows of it. */
export function moduleStatusOf(
  def: AnyModuleDef,
  k: { loaded?: { initMs: number; exports: Record<string, unknown> }; notLoaded?: { state: ModuleState; reason: string }; all: readonly AnyModuleDef[]; required: boolean },
): ModuleStatus {
  const { loaded: l, notLoaded: n } = k;
  return {
    name: shortName(def),
    uri: moduleUri(def),
    kind: def.kind,
    id: def.id,
    description: def.description,
    state: l ? 'loaded' : (n?.state ?? 'unloaded'),
    reason: l ? undefined : n?.reason,
    requires: [...(def.requires ?? [])],
    optional: [...(def.optional ?? [])],
    requiredBy: k.all.filter((o) => o.requires?.includes(def.kind)).map(shortName),
    usedBy: k.all.filter((o) => o.optional?.includes(def.kind)).map(shortName),
    required: k.required,
    initMs: l?.initMs,
    exports: l?.exports ?? {},
  };
}
