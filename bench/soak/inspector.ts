// The bench's view into the daemon's heap, through the V8 inspector (the daemon started with
// NODE_OPTIONS=--inspect=127.0.0.1:0, in this bench only; the function hosts get a bare environment):
// a forced full GC, process.memoryUsage(), and heap snapshots summarised by constructor, so two
// snapshots can be diffed. Nothing is added to the daemon for this.
import WebSocket from 'ws';

export interface HeapSummary {
  /** "object:Foo", "closure:bar", "(string)", ...: bytes and count of the live nodes. */
  groups: Map<string, { size: number; count: number }>;
  total: number;
  /** Every live node's id (stable across the snapshots of one process). */
  ids: Set<number>;
  /** For the nodes not in `since` (the ids of an earlier snapshot): bytes and count by group and by what holds them ("Holder.edge"). */
  fresh?: Map<string, { size: number; count: number }>;
}

export class Inspector {
  private next = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private chunks: string[] = [];

  private constructor(private ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: { chunk?: string } };
      if (m.method === 'HeapProfiler.addHeapSnapshotChunk') this.chunks.push(m.params!.chunk!);
      if (m.id === undefined) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error.message));
      else p?.resolve(m.result);
    });
  }

  /** Connects to the ws:// URL that Node printed ("Debugger listening on ws://..."). */
  static async connect(url: string): Promise<Inspector> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
    return new Inspector(ws);
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise<T>((resolve, reject) => this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
  }

  /** Two full collections (weak callbacks and finalizers run between them). */
  async gc(): Promise<void> {
    await this.send('HeapProfiler.collectGarbage');
    await this.send('HeapProfiler.collectGarbage');
  }

  async memoryUsage(): Promise<NodeJS.MemoryUsage> {
    const r = await this.send<{ result: { value: NodeJS.MemoryUsage } }>('Runtime.evaluate', { expression: 'process.memoryUsage()', returnByValue: true });
    return r.result.value;
  }

  async heapSummary(since?: Set<number>): Promise<HeapSummary> {
    this.chunks = [];
    await this.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    type Meta = { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
    const snap = JSON.parse(this.chunks.join('')) as { snapshot: { meta: Meta }; nodes: number[]; edges: number[]; strings: string[] };
    this.chunks = [];
    const { node_fields: f, edge_fields: ef } = snap.snapshot.meta;
    const [iType, iName, iSize, iId, iEdges, width] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size'), f.indexOf('id'), f.indexOf('edge_count'), f.length];
    const [eType, eName, eTo, eWidth] = [ef.indexOf('type'), ef.indexOf('name_or_index'), ef.indexOf('to_node'), ef.length];
    const types = snap.snapshot.meta.node_types[0];
    const edgeTypes = snap.snapshot.meta.edge_types[0];
    const keyOf = (i: number) => {
      const type = types[snap.nodes[i + iType]!]!;
      return type === 'object' || type === 'closure' || type === 'native' ? `${type}:${snap.strings[snap.nodes[i + iName]!]!.slice(0, 60)}` : `(${type})`;
    };
    const add = (m: Map<string, { size: number; count: number }>, key: string, size: number) => {
      const g = m.get(key) ?? { size: 0, count: 0 };
      g.size += size;
      g.count++;
      m.set(key, g);
    };
    const groups = new Map<string, { size: number; count: number }>();
    const ids = new Set<number>();
    let total = 0;
    for (let i = 0; i < snap.nodes.length; i += width) {
      add(groups, keyOf(i), snap.nodes[i + iSize]!);
      ids.add(snap.nodes[i + iId]!);
      total += snap.nodes[i + iSize]!;
    }
    if (!since) return { groups, total, ids };
    // New nodes, each counted once under its first holder that is not itself new (the edge that keeps the new part alive).
    const isNew = (i: number) => !since.has(snap.nodes[i + iId]!);
    // Pass 1: each new node's first old holder. Pass 2: that holder's own first holder, since "an Array" alone says little.
    const edgeName = (e: number) => {
      const et = edgeTypes[snap.edges[e + eType]!]!;
      return et === 'element' || et === 'hidden' ? '[]' : String(snap.strings[snap.edges[e + eName]!]).slice(0, 40);
    };
    const forEachEdge = (fn: (from: number, e: number, to: number) => void) => {
      let e = 0;
      for (let i = 0; i < snap.nodes.length; i += width) {
        const n = snap.nodes[i + iEdges]!;
        for (let k = 0; k < n; k++, e += eWidth) if (edgeTypes[snap.edges[e + eType]!] !== 'weak') fn(i, e, snap.edges[e + eTo]!);
      }
    };
    const holderOf = new Map<number, { from: number; edge: string }>();
    forEachEdge((from, e, to) => {
      if (!isNew(from) && isNew(to) && !holderOf.has(to)) holderOf.set(to, { from, edge: edgeName(e) });
    });
    const holders = new Set([...holderOf.values()].map((h) => h.from));
    const outer = new Map<number, string>();
    forEachEdge((from, e, to) => {
      if (holders.has(to) && !outer.has(to)) outer.set(to, `${keyOf(from)}.${edgeName(e)}`);
    });
    const fresh = new Map<string, { size: number; count: number }>();
    for (const [to, h] of holderOf) add(fresh, `${keyOf(to)} held by ${keyOf(h.from)}.${h.edge} (in ${outer.get(h.from) ?? '?'})`, snap.nodes[to + iSize]!);
    return { groups, total, ids, fresh };
  }

  close(): void {
    this.ws.close();
  }
}

/** The new nodes of b (heapSummary(a.ids)) by what holds them, most bytes first. */
export function newByHolder(b: HeapSummary, top = 12): Array<{ key: string; bytes: number; count: number }> {
  return [...(b.fresh ?? new Map<string, { size: number; count: number }>())].map(([key, g]) => ({ key, bytes: g.size, count: g.count })).sort((x, y) => y.bytes - x.bytes).slice(0, top);
}

/** The groups that grew most from a to b, by bytes. */
export function heapDiff(a: HeapSummary, b: HeapSummary, top = 12): Array<{ key: string; bytes: number; count: number }> {
  const keys = new Set([...a.groups.keys(), ...b.groups.keys()]);
  return [...keys]
    .map((key) => ({ key, bytes: (b.groups.get(key)?.size ?? 0) - (a.groups.get(key)?.size ?? 0), count: (b.groups.get(key)?.count ?? 0) - (a.groups.get(key)?.count ?? 0) }))
    .sort((x, y) => y.bytes - x.bytes)
    .slice(0, top);
}
