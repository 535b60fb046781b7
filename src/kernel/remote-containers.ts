// Which node holds a container the server does not have (cluster mode): ask every connected node,
// each within a deadline (a stuck node must not hold up every request), and remember where each
// container was last seen, so a container on a node whose tunnel is down answers 503 "node N is
// not connected" instead of 404 "no such container".
import { within } from './deadline.js';
import type { ClusterApi, NodeView } from '../contracts/cluster.js';
import type { ContainerInfo } from '../contracts/containers.js';
import { FailedPrecondition, isNotFound } from './errors.js';

/** How long one node may take to answer a lookup or a list (its tunnel's liveness check closes a dead one). */
export const lookupMs = 10_000;
const maxRemembered = 10_000;

export class RemoteContainers {
  /** Container id and name -> the node it was last seen on (insertion order: oldest first). */
  private readonly seen = new Map<string, string>();

  remember(node: string, c: Pick<ContainerInfo, 'id' | 'name'>): void {
    for (const k of [c.id, c.name]) {
      this.seen.delete(k);
      this.seen.set(k, node);
    }
    while (this.seen.size > maxRemembered) this.seen.delete(this.seen.keys().next().value!);
  }

  size(): number {
    return this.seen.size;
  }

  forget(ref: string): void {
    this.seen.delete(ref);
  }

  /** The node last seen holding `ref` (an id, an id prefix of 3+ hex digits, or a name). */
  lastSeen(ref: string): string | undefined {
    const exact = this.seen.get(ref);
    if (exact !== undefined || !/^[0-9a-f]{3,63}$/.test(ref)) return exact;
    for (const [k, n] of this.seen) if (/^[0-9a-f]{64}$/.test(k) && k.startsWith(ref)) return n;
    return undefined;
  }

  /** The connected node holding `ref`; else the node it was last seen on (Unavailable when that one is not connected). */
  async locate(c: ClusterApi, ref: string): Promise<string | undefined> {
    const path = `/v1/containers/${encodeURIComponent(ref)}`;
    const ask = (n: string) => within(c.nodeClient(n).json<ContainerInfo>('GET', path), lookupMs, `node ${n}`).then((info) => (this.remember(n, info), n), () => undefined);
    const last = this.lastSeen(ref);
    // Where it was last seen first: one lookup instead of one per node.
    if (last !== undefined && c.connectedNodes().includes(last) && (await ask(last))) return last;
    const found = await Promise.all(c.connectedNodes().filter((n) => n !== last).map(ask));
    const node = found.find((n) => n !== undefined);
    if (node) return node;
    if (last === undefined) return undefined;
    if (c.connectedNodes().includes(last)) {
      // Connected, and it no longer has it: removed there.
      this.forget(ref);
      return undefined;
    }
    // A node that was removed (llmos node rm) took its containers with it: no such container.
    if (!(await c.node(last).then(() => true, (e: unknown) => !isNotFound(e)))) {
      this.forget(ref);
      return undefined;
    }
    c.nodeClient(last); // throws Unavailable "node N is not connected"
    return last;
  }
}

/** `?node=N` on a create or run: the node must be Ready and schedulable (cordoned nodes take no new workloads). */
export function checkPlacement(n: NodeView): void {
  if (n.status !== 'Ready') throw new FailedPrecondition(`node ${n.name} is ${n.status} (last heartbeat ${n.lastHeartbeat ?? 'never'}): choose a Ready node (llmos nodes)`);
  if (n.unschedulable) throw new FailedPrecondition(`node ${n.name} is cordoned${n.draining ? ' and draining' : ''}: llmos node uncordon ${n.name}, or choose another node`);
}
