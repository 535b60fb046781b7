// What the kernel reports about itself and its modules (`llmos status`, `llmos modules`, /v1/status).
import type { ResourceLedger } from './ledger.js';
import { moduleUri, type AnyModuleDef } from './module.js';
import type { HostProbe } from './probe.js';
import { shortName } from './registry.js';

export const bootStages = ['load-image', 'probe-hardware', 'start-kernel-services', 'load-modules', 'start-init'] as const;
export type BootStage = (typeof bootStages)[number];

export interface StageTiming {
  stage: BootStage;
  startMs: number;
  durationMs: number;
  detail?: string;
}

export type ModuleState = 'loaded' | 'skipped' | 'failed' | 'unloaded' | 'disabled';

export interface ModuleStatus {
  name: string;
  uri: string;
  kind: string;
  id: string;
  description?: string;
  state: ModuleState;
  reason?: string;
  requires: string[];
  /** Kinds used when loaded; they may unload under this module. */
  optional: string[];
  requiredBy: string[];
  /** Modules that use this one when it is loaded (told when it unloads). */
  usedBy: string[];
  required: boolean;
  initMs?: number;
  exports: Record<string, unknown>;
}

export interface KernelStatus {
  version: string;
  startedAt: string;
  uptimeSeconds: number;
  dataDir: string;
  node: { capacity: ResourceLedger['capacity']; reserved: ResourceLedger['reserved']; allocatable: ReturnType<ResourceLedger['allocatable']>; allocated: ReturnType<ResourceLedger['allocated']> };
  host: HostProbe | null;
  boot: { totalMs: number; stages: StageTiming[] };
  modules: ModuleStatus[];
  workloads: { total: number; byState: Record<string, number> };
}

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
