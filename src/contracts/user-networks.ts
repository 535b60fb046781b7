// User-defined bridge networks (Docker's `docker network create|ls|inspect|rm|connect|disconnect`):
// the contract the network module's user-network part is to implement, and what the containers
// runtime, the REST API and the Docker API module call. Implemented by network/user-networks.ts; a
// container joins one at start with ContainerSpec.userNetwork (its network mode stays "bridge":
// its own netns, plugged into the user network's bridge instead of the default one).
import { z } from 'zod';
import type { NetworkAttachment, PortMapping } from './containers.js';

export const userNetworksKind = 'llmos.user-networks.v1' as const;

/** Docker's network names: a letter or digit, then letters, digits, '_', '.', '-'. */
export const networkNameRe = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Names that are network modes, never user networks. */
export const builtinNetworks = ['bridge', 'host', 'none', 'default'] as const;

export const userNetworkCreateSchema = z
  .object({
    name: z.string().regex(networkNameRe, 'a network name is a letter or digit then letters, digits, _ . -').refine((n) => !(builtinNetworks as readonly string[]).includes(n), 'bridge, host, none and default are built-in networks'),
    /** "10.90.3.0/24"; default: the next free /24 of the module's pool. */
    subnet: z.string().optional(),
    gateway: z.string().optional(),
    /** No route out (Docker's --internal). */
    internal: z.boolean().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type UserNetworkCreate = z.infer<typeof userNetworkCreateSchema>;

export interface UserNetworkInfo {
  id: string;
  name: string;
  driver: 'bridge';
  /** Its own CNI bridge (e.g. "llmos-3a4b5c"), subnet and gateway. */
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  labels: Record<string, string>;
  createdAt: string;
  /** Containers attached: id -> their address and the names they answer to by DNS. */
  containers: Record<string, { name: string; ip: string; aliases: string[] }>;
  /** Address of the network's DNS server (h16net's dnsmasq) that resolves container names; absent until it runs. */
  dnsServer?: string;
}

export interface UserNetworksApi {
  create(req: UserNetworkCreate): Promise<UserNetworkInfo>;
  list(): Promise<UserNetworkInfo[]>;
  inspect(nameOrId: string): Promise<UserNetworkInfo>;
  /** Refused while containers are attached. */
  remove(nameOrId: string): Promise<void>;
  /**
   * Plugs a container's netns into the network (CNI ADD on its bridge) and registers its name and
   * aliases with the network's DNS; ports are published on the first network only.
   */
  connect(nameOrId: string, containerId: string, opts: { name: string; aliases?: string[]; netnsPath?: string; ports?: PortMapping[] }): Promise<NetworkAttachment>;
  /** Undoes connect (CNI DEL, DNS entry). Idempotent. */
  disconnect(nameOrId: string, containerId: string): Promise<void>;
  /** Removes every network no container is attached to; returns their names. */
  prune(): Promise<string[]>;
  /** A container was renamed: its DNS names follow. */
  renamed(containerId: string, name: string): Promise<void>;
}
