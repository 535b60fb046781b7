// Registration of the live autoscaler. It scales whatever exposes `scaleTargets` (services,
// functions), looked up per tick so either may be loaded or unloaded at run time.
import { Kinds, type ModuleKind } from '../../contracts/kinds.js';
import { leaderKind, type LeaderApi } from '../../contracts/leader.js';
import type { StateStore } from '../../contracts/state-store.js';
import type { ScaleTargetProvider } from '../../contracts/scaling.js';
import type { ModuleDef } from '../../kernel/module.js';
import { AutoscalerController } from './controller.js';

const providerKinds: Record<string, ModuleKind> = { service: Kinds.services, function: Kinds.functions };

export const autoscalerModule = (): ModuleDef<Record<string, never>, AutoscalerController> => ({
  kind: Kinds.autoscaler,
  id: 'default',
  description: 'scales services and functions by threshold, concurrency, forecast or a learned model',
  requires: [Kinds.stateStore],
  // Looked up per tick: either may be loaded or unloaded at run time.
  optional: [Kinds.services, Kinds.functions, leaderKind],
  init(ctx) {
    return new AutoscalerController({
      store: ctx.getSingle<StateStore>(Kinds.stateStore),
      events: ctx.events,
      reconciler: ctx.reconciler,
      log: ctx.log,
      leading: () => ctx.getOptional<LeaderApi>(leaderKind)?.isLeader() ?? true,
      provider(kind) {
        const k = providerKinds[kind];
        return k ? ctx.getOptional<{ scaleTargets?: ScaleTargetProvider }>(k)?.scaleTargets : undefined;
      },
    });
  },
  start: (c) => c.start(),
  stop: (c) => c.stop(),
});
