// What the services module (and the containers runtime) need of the network module beyond a
// container's attachment: names (DNS), virtual IPs and the kernel data path of services.
// Owned by the network module; types, plus the one resolv.conf writer every runtime uses.

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
