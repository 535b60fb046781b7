// The containers contract, continued (re-exported by containers.ts): what the containers runtime
// needs of the network module, and the attachment it keeps with each container record.
import type { PortMapping } from './containers.js';
import type { DnsConfig } from './network.js';

/** A container's network as the network module set it up; stored with the container record. */
export interface NetworkAttachment {
  mode: 'bridge' | 'host' | 'none';
  /** Path of the network namespace the container joins (bridge mode). */
  netnsPath?: string;
  ip?: string;
  gateway?: string;
  /** Prefix length of the bridge subnet. */
  prefixLength?: number;
  ports: PortMapping[];
  /** The CNI result of ADD, handed back to DEL. */
  cniResult?: unknown;
  /** The network's DNS server for the container's /etc/resolv.conf (resolvConfText in contracts/network.ts). */
  dns?: DnsConfig;
  /** Id of the user network eth0 is on (absent: the default bridge). */
  userNetwork?: string;
}

/** What a container asks of its network at attach. */
export interface NetworkAttachOptions {
  mode: 'bridge' | 'host' | 'none';
  ports: PortMapping[];
  /** DNS record NAME -> the container's address on a user network. */
  name?: string;
  /** The name answers on the default bridge too (a service's replicas; Docker's default bridge resolves no container names). */
  nameOnBridge?: boolean;
  /** Search domains of the container's resolv.conf. */
  namespace?: string;
  /** Join this user network instead of the default bridge. */
  userNetwork?: string;
  aliases?: string[];
}

/** What the containers runtime needs of the network module (kind llmos.network.v1). */
export interface ContainerNetworkApi {
  /** Creates the container's network namespace and plugs it into the network. */
  attach(containerId: string, opts: NetworkAttachOptions): Promise<NetworkAttachment>;
  /**
   * Optional: creates the (still empty) network namespace of a bridge-mode container and returns
   * its path, so the runtime can create the container while attach configures the namespace.
   * With opts (what the attach will ask for), a namespace already configured may be handed out.
   */
  prepare?(containerId: string, opts?: { ports: PortMapping[]; userNetwork?: string }): Promise<string>;
  /** Undoes attach: CNI DEL, netns, IPAM lease, iptables chains. Idempotent. */
  detach(containerId: string, attachment?: NetworkAttachment): Promise<void>;
  /** Removes what crashed runs left behind for containers not in `keep`; returns what was removed. */
  removeLeftovers(keep: ReadonlySet<string>): Promise<string[]>;
  /** Whatever still exists on the host for this container (netns, leases, chains); empty when clean. */
  residue(containerId: string): Promise<string[]>;
}
