// The pod subnet index (issue 20: a join costs the same at 5,000 nodes as at 5). One key per /24
// block a node's pod subnet covers, `/cluster/pod-subnets/<block address>` -> { node, subnet }. The
// join's transaction creates the blocks only if absent, beside the node record, so two servers
// never hand out overlapping subnets and a join reads a few keys instead of every node record.
// `llmos node rm` deletes them with the record. Blocks are /24s (POD_SUBNET_PREFIX), /30s for a
// smaller subnet (subnetBlocks); a subnet larger than a /17 cannot be indexed in one transaction
// (etcd's default --max-txn-ops is 128).
import { CLUSTER_POD_CIDR, canonicalCidr, ipText, parseCidr, POD_SUBNET_PREFIX } from '../../contracts/network.js';
import type { StateStore } from '../../contracts/state-store.js';

export const podSubnetIndexPrefix = '/cluster/pod-subnets/';
export const blockKey = (base: number): string => `${podSubnetIndexPrefix}${ipText(base >>> 0)}`;

export interface SubnetClaim {
  node: string;
  subnet: string;
}

const blockSize = 2 ** (32 - POD_SUBNET_PREFIX);
/** At most this many blocks per subnet: one transaction holds them (etcd --max-txn-ops 128). */
export const maxBlocks = 128;

/**
 * The index keys of a subnet (canonical CIDR), or the one-line reason it cannot have any. A /24 or
 * larger holds one key per /24 (`a.b.c.0`); a smaller one one key per /30 (`a.b.c.d/30`) and needs
 * its /24's key absent (`absent`). A /24 claim also lists its /24's sub-keys first (`probes`):
 * that check is not in the transaction, so only a /24 and a smaller subnet in it joining in the
 * same instant could both pass it.
 */
export function subnetBlocks(cidr: string): { keys: string[]; absent: string[]; probes: string[] } | { error: string } {
  const c = parseCidr(cidr);
  if (!c) return { error: `pod subnet ${JSON.stringify(cidr)} is not an IPv4 CIDR between /8 and /30` };
  const first = Math.floor(c.base / blockSize) * blockSize;
  if (c.prefix > POD_SUBNET_PREFIX) {
    const keys = Array.from({ length: 2 ** (30 - c.prefix) }, (_, i) => `${blockKey(c.base + i * 4)}/30`);
    return { keys, absent: [blockKey(first)], probes: [] };
  }
  const count = 2 ** (POD_SUBNET_PREFIX - c.prefix);
  if (count > maxBlocks) return { error: `pod subnet ${canonicalCidr(cidr)} is larger than a /${POD_SUBNET_PREFIX - Math.log2(maxBlocks)}: give this node a smaller modules.network.subnet` };
  const keys = Array.from({ length: count }, (_, i) => blockKey(first + i * blockSize));
  return { keys, absent: [], probes: keys.map((k) => k.slice(0, k.lastIndexOf('.') + 1)) };
}

/** The index keys a recorded subnet holds (none when it has none, or one that cannot be indexed). */
export function heldBlocks(subnet: string | undefined): string[] {
  const b = subnet ? subnetBlocks(subnet) : { keys: [] };
  return 'error' in b ? [] : b.keys;
}

/** The i-th /24 of the cluster range (i from 1: the range's first /24 is the single-node bridge's). */
export function rangeBlock(i: number, range = CLUSTER_POD_CIDR): string | undefined {
  const r = parseCidr(range);
  if (!r || r.prefix > POD_SUBNET_PREFIX || i < 1 || i >= 2 ** (POD_SUBNET_PREFIX - r.prefix)) return undefined;
  return `${ipText((r.base + i * blockSize) >>> 0)}/${POD_SUBNET_PREFIX}`;
}

export const rangeBlockCount = (range = CLUSTER_POD_CIDR): number => {
  const r = parseCidr(range);
  return r && r.prefix <= POD_SUBNET_PREFIX ? 2 ** (POD_SUBNET_PREFIX - r.prefix) : 0;
};

/**
 * Where the next automatic allocation probes: a server-local cursor over the range's /24s that
 * moves past every block it hands out, so the common join claims its subnet in its first
 * transaction (after a restart the first join probes past the taken ones once). One lap at most.
 */
export class BlockCursor {
  private next = 1;
  constructor(private readonly range = CLUSTER_POD_CIDR) {}

  /** The candidates of one allocation, from the cursor, each at most once. */
  *candidates(): Generator<string> {
    const usable = rangeBlockCount(this.range) - 1;
    const from = this.next;
    for (let n = 0; n < usable; n++) {
      const i = ((from - 1 + n) % usable) + 1;
      this.next = (i % usable) + 1;
      yield rangeBlock(i, this.range)!;
    }
  }
}

/**
 * Writes the index keys missing for node records that have a subnet (records written before the
 * index existed). Two listings, once at start; afterwards joins keep the index.
 */
export async function backfillIndex(store: StateStore, nodes: ReadonlyArray<{ name: string; podSubnet?: string }>): Promise<number> {
  const have = new Set((await store.list(podSubnetIndexPrefix)).items.map((kv) => kv.key));
  let written = 0;
  for (const n of nodes) {
    const missing = heldBlocks(n.podSubnet).filter((k) => !have.has(k));
    if (!missing.length) continue;
    // Created only if absent: a block another node holds stays its.
    await store.txn({ compare: missing.map((key) => ({ key, target: 'exists' as const, value: false })), success: missing.map((key) => ({ type: 'put' as const, key, value: { node: n.name, subnet: n.podSubnet! } satisfies SubnetClaim })) });
    written += missing.length;
  }
  return written;
}
