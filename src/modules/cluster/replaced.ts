// Workloads replaced elsewhere while their node was NotReady (issue 20). The services controller
// records them at eviction; when the node is back, its agent asks for its list
// (GET /v1/cluster/agent/replaced), stops exactly those and says so (POST ...), and the records
// go. Kept in the store, so a server restart between the eviction and the node's return forgets
// nothing: the controller keeps ignoring them, and the agent still learns of them.
import type { ReplacedWorkload } from '../../contracts/cluster.js';
import type { StateStore } from '../../contracts/state-store.js';

const prefix = '/cluster/replaced/';
export const replacedKey = (node: string, id: string): string => `${prefix}${node}/${id}`;

export class ReplacedWorkloads {
  constructor(private readonly store: StateStore) {}

  async mark(node: string, workloads: readonly ReplacedWorkload[]): Promise<void> {
    // In chunks: etcd refuses a transaction of more than 128 operations (--max-txn-ops).
    for (let i = 0; i < workloads.length; i += 100) {
      await this.store.txn({ compare: [], success: workloads.slice(i, i + 100).map((w) => ({ type: 'put' as const, key: replacedKey(node, w.id), value: { ...w, node } })) });
    }
  }

  async list(node?: string): Promise<ReplacedWorkload[]> {
    return (await this.store.list<ReplacedWorkload>(node ? `${prefix}${node}/` : prefix)).items.map((kv) => kv.value);
  }

  async done(node: string, ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 100) {
      await this.store.txn({ compare: [], success: ids.slice(i, i + 100).map((id) => ({ type: 'delete' as const, key: replacedKey(node, id) })) });
    }
  }

  /** A removed node's records go with it. */
  async forget(node: string): Promise<void> {
    await this.done(node, (await this.list(node)).map((w) => w.id));
  }
}
