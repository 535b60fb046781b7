// The functions' side of autoscaling: the scale targets the autoscaler finds in the module's API.
import type { ScaleTargetProvider } from '../../contracts/scaling.js';
import type { EventBus } from '../../kernel/events.js';
import { NotFound } from '../../kernel/errors.js';
import type { FunctionPool } from './pool.js';
import type { FunctionSpec } from './spec.js';

export function functionScaleTargets(deployed: ReadonlyMap<string, { spec: FunctionSpec; pool: FunctionPool }>, events: EventBus): ScaleTargetProvider {
  const pool = (name: string): FunctionPool => {
    const d = deployed.get(name);
    if (!d) throw new NotFound(`no function named ${name}`);
    return d.pool;
  };
  return {
    kind: 'function',
    list: async () => [...deployed.values()].map((d) => ({ name: d.spec.name, namespace: d.spec.namespace, min: d.spec.min, max: d.spec.max })),
    async metrics(name) {
      const p = pool(name);
      const s = p.stats();
      // replicas is the desired count the autoscaler set (the pool's floor); instances above it
      // come from the pool serving a burst and go with the keep-alive, so they are not re-decided every tick.
      return { replicas: s.floor, readyReplicas: s.ready, rps: p.takeRps(), concurrency: s.inflight };
    },
    async scale(name, replicas, reason) {
      const p = pool(name);
      p.setDesired(replicas);
      events.publish({ topic: '/functions/scaled', subject: `function/${name}`, message: `function ${name} scaled to ${p.floor}: ${reason}` });
    },
  };
}
