// A watch-fed copy of the node records and their leases, as a Kubernetes informer: one listing of
// each prefix at first use, then the store's events from the listing's revision. Node lists,
// views, credential checks and heartbeats read it instead of the store (on etcd each of those was
// a gRPC listing of every node, or a read per heartbeat). This process's writes are applied from
// their answer (wrote(), so a write does not wait for the watch stream: on etcd that wait was half
// a bind's time); each key keeps its revision so an older event cannot undo a newer state. Other
// servers' writes arrive with the watch's delay, and the callers that must not act on a stale
// record compare its modRevision in their transaction.
import type { KeyValue, StateStore, WatchEvent } from '../../contracts/state-store.js';

export const nodesPrefix = '/cluster/nodes/';
export const leasesPrefix = '/cluster/leases/';

/** A key's latest known state: its value at rev, or deleted at rev (kept so an older event cannot bring it back). */
interface Entry<V> {
  rev: number;
  value: V | undefined;
}

export class NodeCache<N, L> {
  private readonly nodes = new Map<string, Entry<KeyValue<N>>>();
  private readonly leases = new Map<string, Entry<L>>();
  private loading?: Promise<void>;
  private cancels: Array<() => void> = [];

  constructor(private readonly store: StateStore) {}

  /** Loads once; a failed load (store unavailable) is retried by the next call. */
  ready(): Promise<void> {
    this.loading ??= this.load().catch((e: unknown) => {
      this.close();
      throw e;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const [n, l] = await Promise.all([this.store.list<N>(nodesPrefix), this.store.list<L>(leasesPrefix)]);
    for (const kv of n.items) set(this.nodes, kv.key.slice(nodesPrefix.length), kv.modRevision, kv);
    for (const kv of l.items) set(this.leases, kv.key.slice(leasesPrefix.length), kv.modRevision, kv.value);
    const apply = <V>(map: Map<string, Entry<V>>, prefix: string, value: (kv: KeyValue) => V) => (e: WatchEvent) =>
      set(map, e.kv.key.slice(prefix.length), e.kv.modRevision, e.type === 'delete' ? undefined : value(e.kv));
    // From each listing's own revision: every change after it arrives, in order. This process's
    // own writes are applied by wrote() from their answer, so they need not wait for the stream.
    const opts = { readYourWrites: false };
    this.cancels.push(await this.store.watch(nodesPrefix, n.revision, apply(this.nodes, nodesPrefix, (kv) => kv as KeyValue<N>), opts));
    this.cancels.push(await this.store.watch(leasesPrefix, l.revision, apply(this.leases, leasesPrefix, (kv) => kv.value as L), opts));
  }

  /** A write of this process succeeded at revision: the cache has it at once (value undefined: deleted). */
  wrote(key: string, revision: number, value: unknown): void {
    if (!this.loading) return; // not loaded: the listing will have it
    if (key.startsWith(nodesPrefix)) {
      const name = key.slice(nodesPrefix.length);
      const old = this.nodes.get(name)?.value;
      const kv: KeyValue<N> | undefined = value === undefined ? undefined : { key, value: value as N, createRevision: old?.createRevision ?? revision, modRevision: revision, version: (old?.version ?? 0) + 1 };
      set(this.nodes, name, revision, kv);
    } else if (key.startsWith(leasesPrefix)) set(this.leases, key.slice(leasesPrefix.length), revision, value as L | undefined);
  }

  async all(): Promise<Array<{ node: KeyValue<N>; lease: L | undefined }>> {
    await this.ready();
    const out: Array<{ node: KeyValue<N>; lease: L | undefined }> = [];
    for (const [name, e] of this.nodes) if (e.value) out.push({ node: e.value, lease: this.leases.get(name)?.value });
    return out.sort((a, b) => (a.node.key < b.node.key ? -1 : a.node.key > b.node.key ? 1 : 0));
  }

  async node(name: string): Promise<KeyValue<N> | undefined> {
    await this.ready();
    return this.nodes.get(name)?.value;
  }

  async lease(name: string): Promise<L | undefined> {
    await this.ready();
    return this.leases.get(name)?.value;
  }

  close(): void {
    for (const c of this.cancels.splice(0)) c();
    this.loading = undefined;
    this.nodes.clear();
    this.leases.clear();
  }
}

function set<V>(map: Map<string, Entry<V>>, name: string, rev: number, value: V | undefined): void {
  const cur = map.get(name);
  if (!cur || cur.rev < rev) map.set(name, { rev, value });
}
