// What the services module (and the containers runtime) need of the network module beyond a
// container's attachment: names (DNS), virtual IPs and the kernel data path of services.
// Owned by the network module; types, plus the one resolv.conf writer every runtime uses.
import { z } from 'zod';

/** A container's resolver settings: the bridge's DNS server, Kubernetes-style search domains. */
export interface DnsConfig {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** The text of /etc/resolv.conf for `dns` (the one place that writes it: runtime-runc, Docker flags). */
export function resolvConfText(dns: DnsConfig): string {
  return [...dns.nameservers.map((n) => `nameserver ${n}`), ...(dns.search.length ? [`search ${dns.search.join(' ')}`] : []), ...(dns.options.length ? [`options ${dns.options.join(' ')}`] : []), ''].join('\n');
}

/** The cluster DNS domain: NAME.NAMESPACE.svc.llmos.local. */
export const CLUSTER_DOMAIN = 'llmos.local';

/** Kubernetes' search list for a container in `namespace`. */
export const searchDomains = (namespace: string): string[] => [`${namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN];

export interface VirtualServicePort {
  name?: string;
  /** Port on the ClusterIP. */
  port: number;
  /** Port on each endpoint. */
  targetPort: number;
  /** Published on every host address (NodePort / LoadBalancer / LLMOS hostPort); kernel DNAT. */
  hostPort?: number;
}

/** One service as the data path sees it: a name in a namespace, its ports and ready endpoints. */
export interface VirtualService {
  namespace: string;
  name: string;
  /** headless: no ClusterIP; the name answers with the ready endpoints' addresses. */
  headless?: boolean;
  ports: VirtualServicePort[];
  /** Addresses of the ready endpoints (bridge IPs). */
  endpoints: string[];
  /** ClientIP: one client address always reaches the same endpoint while the set is unchanged. */
  sessionAffinity?: 'None' | 'ClientIP';
}

/** A kernel rule with its counters, as `service inspect` shows it. */
export interface RuleCounter {
  /** e.g. "10.96.0.3:6379 -> 2 endpoints" or "endpoint 10.89.0.5:6379". */
  rule: string;
  packets: number;
  bytes: number;
}

export interface ServiceNetState {
  clusterIp?: string;
  dnsNames: string[];
  rules: RuleCounter[];
}

/** Implemented by the network module (kind llmos.network.v1) when it has a service data path. */
export interface ServiceNetworkApi {
  /**
   * Makes the host match `services` (every service of this daemon): allocates ClusterIPs (stable
   * across restarts), rebuilds the kernel rules in one transaction, rewrites the DNS records.
   * Returns the ClusterIP of each "NAMESPACE/NAME".
   */
  syncServices(services: readonly VirtualService[]): Promise<Map<string, string>>;
  /** ClusterIP, names and live rule counters of one service. */
  serviceState(namespace: string, name: string): Promise<ServiceNetState>;
  /** The ClusterIP already allocated to a service, if any (for env vars of new containers). */
  clusterIps(): ReadonlyMap<string, string>;
}

// ---- Cluster networking (host-gw routes between nodes' pod subnets, service ports on every node) ----

/**
 * The cluster's pod range. A node whose network `subnet` is this whole range (the single-node
 * default) has no per-node subnet configured: the server allocates it a /24 from here at join.
 */
export const CLUSTER_POD_CIDR = '10.89.0.0/16';
export const POD_SUBNET_PREFIX = 24;

/** An IPv4 CIDR as [first address as a number, prefix]; undefined when malformed. */
export function parseCidr(cidr: string): { base: number; prefix: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return undefined;
  const o = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (o.some((x) => x > 255) || prefix < 8 || prefix > 30) return undefined;
  const ip = ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (ip & mask) >>> 0, prefix };
}

export const ipText = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** The canonical form (network address/prefix), or undefined when malformed. */
export function canonicalCidr(cidr: string): string | undefined {
  const c = parseCidr(cidr);
  return c ? `${ipText(c.base)}/${c.prefix}` : undefined;
}

export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return false;
  const p = Math.min(x.prefix, y.prefix);
  const mask = (0xffffffff << (32 - p)) >>> 0;
  return ((x.base & mask) >>> 0) === ((y.base & mask) >>> 0);
}

/**
 * The pod subnet a joining node gets: the one it asks for (checked against the others' and the
 * cluster's reserved ones), else the first free /24 of `range`. `error` is one line for the join's refusal.
 */
export function choosePodSubnet(requested: string | undefined, taken: ReadonlyArray<{ node: string; subnet: string }>, range = CLUSTER_POD_CIDR): { subnet: string } | { error: string } {
  if (requested) {
    const c = canonicalCidr(requested);
    if (!c) return { error: `pod subnet ${JSON.stringify(requested)} is not an IPv4 CIDR between /8 and /30` };
    const clash = taken.find((t) => cidrsOverlap(t.subnet, c));
    if (clash) return { error: `pod subnet ${c} overlaps node ${clash.node}'s ${clash.subnet}: give this node another modules.network.subnet` };
    return { subnet: c };
  }
  const r = parseCidr(range);
  if (!r || r.prefix > POD_SUBNET_PREFIX) return { error: `the cluster pod range ${range} cannot hold a /${POD_SUBNET_PREFIX}` };
  const step = 2 ** (32 - POD_SUBNET_PREFIX);
  const count = 2 ** (POD_SUBNET_PREFIX - r.prefix);
  // Skip the range's first /24: on a single-node host its gateway (.0.1) is the default bridge's.
  for (let i = 1; i < count; i++) {
    const s = `${ipText((r.base + i * step) >>> 0)}/${POD_SUBNET_PREFIX}`;
    if (!taken.some((t) => cidrsOverlap(t.subnet, s))) return { subnet: s };
  }
  return { error: `no free /${POD_SUBNET_PREFIX} left in the cluster pod range ${range}` };
}

/** One node of the pod network: its pods live in podSubnet, reached through address. */
export const clusterNetworkNodeSchema = z.object({ name: z.string(), address: z.string(), podSubnet: z.string() });
export type ClusterNetworkNode = z.infer<typeof clusterNetworkNodeSchema>;

/** A ready endpoint of a cluster service: the node that runs it and its pod IP. */
export const clusterServiceEndpointSchema = z.object({ node: z.string(), ip: z.string() });
export type ClusterServiceEndpoint = z.infer<typeof clusterServiceEndpointSchema>;

/** A service as every node's port sees it: published ports (hostPort) balanced over endpoints on all nodes. */
export const clusterServiceSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  ports: z.array(z.object({ name: z.string().optional(), port: z.number().int(), targetPort: z.number().int(), hostPort: z.number().int().optional() })),
  endpoints: z.array(clusterServiceEndpointSchema),
  sessionAffinity: z.enum(['None', 'ClientIP']).optional(),
});
export type ClusterService = z.infer<typeof clusterServiceSchema>;

/** GET /v1/cluster/agent/network: what a node needs to route to the others and serve every service port. */
export const clusterNetworkMapSchema = z.object({
  /** The asking node's own name. */
  self: z.string(),
  nodes: z.array(clusterNetworkNodeSchema),
  services: z.array(clusterServiceSchema),
});
export type ClusterNetworkMap = z.infer<typeof clusterNetworkMapSchema>;

/** The network module's cluster side (field `clusterRouting` of its API). */
export interface ClusterRoutingApi {
  /** This node's pod subnet, or undefined when its bridge has the whole cluster range (not configured). */
  podSubnet(): string | undefined;
  /** Who feeds the map: the agent on a joined node; the server's own loop otherwise. The first claim wins. */
  claim(source: 'agent' | 'server'): boolean;
  /** Makes the host's routes, rules and service ports match the map (idempotent). */
  apply(map: ClusterNetworkMap, source: 'agent' | 'server'): Promise<void>;
  /** Removes every route, rule and port this daemon installed for the cluster. */
  clear(): Promise<void>;
  /**
   * Puts the bridge on the pod subnet the server allocated (at join), kept across restarts; a no-op
   * when it already is. FailedPrecondition when containers are on the bridge's current subnet.
   */
  adoptPodSubnet(subnet: string): Promise<void>;
}
