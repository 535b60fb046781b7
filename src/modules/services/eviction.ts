// Node failure for services (issue 20, after Kubernetes' taint-based eviction and OpenYurt's
// autonomy): the replicas of a NotReady node stay counted (unready, out of the balancers) until
// the service's toleration has passed (its tolerateUnreachable, else the server's
// --eviction-timeout); then they are recorded as replaced (ClusterApi.markReplaced) and left out,
// so the plan starts their replacements on other nodes. Replaced ones stay left out when the node
// comes back, until its agent has stopped them: the plan never sees them as extra replicas (it
// would scale down the youngest, the replacements).
import type { Logger } from 'pino';
import type { ClusterApi, NodeView, ReplacedWorkload } from '../../contracts/cluster.js';
import { errorMessage } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { evictionDue, toleranceMs } from '../../policies/node-lifecycle.js';
import type { PlacedInfo } from './cluster-replicas.js';
import { rtKey } from './replica-runtime.js';
import type { ServiceRecord } from './types.js';

export interface EvictionOptions {
  cluster: () => ClusterApi | undefined;
  log: Logger;
  now: () => number;
  /** An event about one service (the controller's publish). */
  publish(svc: { name: string; namespace: string }, topic: string, message: string, data?: Record<string, unknown>): void;
}

export class Evictions {
  /** Ids known replaced, kept until they are gone from the listing (the store's record goes first, when the agent reports). */
  private readonly known = new Set<string>();

  constructor(private readonly o: EvictionOptions) {}

  /** The pass's replicas less those replaced; evicts the ones whose toleration of their NotReady node has passed. */
  async filter(all: readonly PlacedInfo[], records: readonly ServiceRecord[], nodes: readonly NodeView[]): Promise<PlacedInfo[]> {
    const cluster = this.o.cluster();
    if (!cluster || !nodes.length) return [...all];
    try {
      for (const w of await cluster.replaced()) this.known.add(w.id);
    } catch (e) {
      this.o.log.warn(`services: cannot read the replaced workloads: ${errorMessage(e)}`);
    }
    const present = new Set(all.map((c) => c.id));
    for (const id of [...this.known]) if (!present.has(id)) this.known.delete(id);
    const now = this.o.now();
    const byNode = new Map(nodes.map((n) => [n.name, n]));
    const byKey = new Map(records.map((r) => [rtKey(r.namespace, r.name), r]));
    const due = new Map<string, Array<{ c: PlacedInfo; rec: ServiceRecord; tol: number }>>();
    for (const c of all) {
      const n = c.node ? byNode.get(c.node) : undefined;
      if (!n || n.status !== 'NotReady' || !n.notReadySince || this.known.has(c.id) || !c.owner?.startsWith('service/')) continue;
      const rec = byKey.get(rtKey(c.namespace, c.owner.slice('service/'.length)));
      if (!rec) continue; // its service is gone: the controller removes it as an orphan once it can
      const tol = toleranceMs(rec.spec.tolerateUnreachable, cluster.evictionTimeoutMs);
      if (tol === null || !evictionDue(Date.parse(n.notReadySince), now, tol)) continue;
      due.set(n.name, [...(due.get(n.name) ?? []), { c, rec, tol }]);
    }
    for (const [node, list] of due) {
      const since = byNode.get(node)!.notReadySince!;
      const at = new Date(now).toISOString();
      const ws: ReplacedWorkload[] = list.map(({ c, rec, tol }) => ({ id: c.id, name: c.name, node, owner: c.owner!, namespace: rec.namespace, replacedAt: at, reason: `node ${node} NotReady since ${since}, past the service's toleration of ${tol / 1000} s` }));
      try {
        // Recorded before it is left out: the node's agent must learn of every replica replaced.
        faultPoint('services.evict.record');
        await cluster.markReplaced(node, ws);
      } catch (e) {
        this.o.log.warn(`services: cannot record the eviction of ${ws.length} replica(s) of node ${node}: ${errorMessage(e)}`);
        continue;
      }
      for (const { c, rec, tol } of list) {
        this.known.add(c.id);
        this.o.publish(rec, 'replica-evicted', `service ${rec.name}: replica ${c.name} on node ${node} (NotReady since ${since}) is replaced on another node (toleration ${tol / 1000} s)`, { replica: c.name, node });
      }
      this.o.log.warn(`services: node ${node} NotReady since ${since}: ${list.length} replica(s) replaced elsewhere`);
    }
    return all.filter((c) => !this.known.has(c.id));
  }
}
