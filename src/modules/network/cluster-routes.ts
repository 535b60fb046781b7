// Cluster routing on one host: keeps `ip route <pod subnet> via <node address>` for every other
// node (flannel's host-gw backend), the iptables chain that lets pod-to-pod traffic across nodes
// pass unmasqueraded (cluster-rules.ts), and, on an agent, the service ports on every node (an nft
// table of its own, built by nft.ts's script: a published port DNATs to endpoints on all nodes).
// What it installed is written to its state file first, so a restarted daemon removes routes a
// crashed one left, and the leak checker knows them.
import { Mutex } from 'async-mutex';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalCidr, CLUSTER_POD_CIDR, type ClusterNetworkMap, type ClusterRoutingApi } from '../../contracts/network.js';
import { errorMessage, FailedPrecondition, Internal } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { clusterChain, jumps, nodePortTag, podRoutes, ROUTE_PROTO, rulesScript, type PodRoute } from './cluster-rules.js';
import { runCommand } from './iptables.js';
import { applyTable, deleteTable, type ProgrammedService } from './nft.js';

export interface ClusterRoutingOptions {
  tag: string;
  /** The bridge's subnet (modules.network.subnet). */
  subnet: string;
  /** This module's directory: cluster-routes.json. */
  stateDir: string;
  warn(msg: string): void;
  /** Moves the bridge onto another subnet (cluster-subnet.ts); absent: adoptPodSubnet refuses. */
  moveBridge?(from: string, to: string): Promise<void>;
}

interface Installed {
  routes: PodRoute[];
  rules: boolean;
  nodePorts: boolean;
}

/** Name of the state file in the network module's directory (test/support/leaks.ts reads it). */
export const ROUTES_FILE = 'cluster-routes.json';

async function must(cmd: string, args: string[], input?: string): Promise<void> {
  const r = await runCommand(cmd, args, input);
  if (r.code !== 0) throw new Internal(`${cmd} ${args.join(' ')}: ${r.stderr.trim().split('\n')[0]}`);
}

export class ClusterRouting implements ClusterRoutingApi {
  private source: 'agent' | 'server' | undefined;
  private installed: Installed = { routes: [], rules: false, nodePorts: false };
  private last = '';
  private closed = false;
  private readonly lock = new Mutex();

  constructor(private o: ClusterRoutingOptions) {}

  private get file(): string {
    return path.join(this.o.stateDir, ROUTES_FILE);
  }

  /** Takes over what a previous run left (a crash), so the next apply or clear removes it. */
  async start(): Promise<void> {
    try {
      this.installed = { routes: [], rules: false, nodePorts: false, ...(JSON.parse(await readFile(this.file, 'utf8')) as Partial<Installed>) };
    } catch {
      /* nothing installed */
    }
  }

  podSubnet(): string | undefined {
    const c = canonicalCidr(this.o.subnet);
    return c === CLUSTER_POD_CIDR ? undefined : c;
  }

  adoptPodSubnet(subnet: string): Promise<void> {
    return this.lock.runExclusive(async () => {
      const to = canonicalCidr(subnet);
      if (!to || to === canonicalCidr(this.o.subnet)) return;
      if (!this.o.moveBridge) throw new FailedPrecondition(`pod subnet ${to}: this node's bridge cannot change subnet`);
      await this.o.moveBridge(this.o.subnet, to);
      this.o = { ...this.o, subnet: to };
      // The next map rebuilds the routes and rules (the old subnet hid every other node's).
      this.last = '';
    });
  }

  claim(source: 'agent' | 'server'): boolean {
    this.source ??= source;
    return this.source === source;
  }

  apply(map: ClusterNetworkMap, source: 'agent' | 'server'): Promise<void> {
    return this.lock.runExclusive(async () => {
      if (this.closed || !this.claim(source)) return;
      const local = await localNetworks();
      const { routes, skipped } = podRoutes({ ...map, nodes: map.nodes.filter((n) => !local.addresses.has(n.address.replace(/^::ffff:/, ''))) }, [this.o.subnet, ...local.subnets]);
      const services = source === 'agent' ? nodePorts(map) : [];
      const key = JSON.stringify({ routes, services });
      if (key !== this.last) for (const s of skipped) this.o.warn(`cluster network: not routing ${s}`);
      // No other node (a single-node daemon, or the last node left): nothing on the host at all.
      if (!routes.length && !services.length) {
        await this.clearNow();
        this.last = key;
        return;
      }
      // Rebuilt when the map changed, or when the routes were lost (deleted by hand).
      if (key === this.last && (await this.routesPresent(routes))) return;
      await this.save({ routes: [...this.installed.routes, ...routes], rules: true, nodePorts: this.installed.nodePorts || services.length > 0 });
      const want = new Set(routes.map((r) => `${r.subnet} ${r.via}`));
      for (const r of this.installed.routes) if (!want.has(`${r.subnet} ${r.via}`)) await this.delRoute(r);
      if (routes.length) await must('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
      for (const r of routes) {
        faultPoint('network.cluster.route');
        await must('ip', ['route', 'replace', r.subnet, 'via', r.via, 'proto', ROUTE_PROTO]);
      }
      await this.rules(routes);
      if (services.length) await applyTable(nodePortTag(this.o.tag), services);
      else if (this.installed.nodePorts) await deleteTable(nodePortTag(this.o.tag));
      await this.save({ routes, rules: true, nodePorts: services.length > 0 });
      this.last = key;
    });
  }

  private async routesPresent(routes: readonly PodRoute[]): Promise<boolean> {
    const r = await runCommand('ip', ['-4', 'route', 'show', 'proto', ROUTE_PROTO]);
    return routes.every((x) => r.stdout.split('\n').some((l) => l.startsWith(`${x.subnet} via ${x.via} `)));
  }

  private async delRoute(r: PodRoute): Promise<void> {
    faultPoint('network.cluster.route-remove');
    const d = await runCommand('ip', ['route', 'del', r.subnet, 'via', r.via, 'proto', ROUTE_PROTO]);
    if (d.code !== 0 && !/No such process|not found/i.test(d.stderr)) throw new Internal(`ip route del ${r.subnet}: ${d.stderr.trim()}`);
  }

  private async rules(routes: readonly PodRoute[]): Promise<void> {
    faultPoint('network.cluster.rules');
    await must('iptables-restore', ['-w', '5', '--noflush'], rulesScript(this.o.tag, this.podSubnet(), routes));
    for (const j of jumps(this.o.tag)) {
      if ((await runCommand('iptables', ['-w', '5', '-t', j.table, '-C', j.chain, ...j.args])).code !== 0) await must('iptables', ['-w', '5', '-t', j.table, '-I', j.chain, '1', ...j.args]);
    }
  }

  private async save(i: Installed): Promise<void> {
    this.installed = i;
    await writeFile(this.file, JSON.stringify(i) + '\n', { mode: 0o600 });
  }

  clear(): Promise<void> {
    return this.lock.runExclusive(() => this.clearNow());
  }

  /** The network module stops: everything goes, and a map fetched meanwhile is not applied. */
  close(): Promise<void> {
    this.closed = true;
    return this.clear();
  }

  private async clearNow(): Promise<void> {
    {
      const i = this.installed;
      if (!i.routes.length && !i.rules && !i.nodePorts) return;
      for (const r of i.routes) await this.delRoute(r);
      if (i.nodePorts) await deleteTable(nodePortTag(this.o.tag));
      if (i.rules) {
        faultPoint('network.cluster.rules-remove');
        const c = clusterChain(this.o.tag);
        for (const j of jumps(this.o.tag)) while ((await runCommand('iptables', ['-w', '5', '-t', j.table, '-D', j.chain, ...j.args])).code === 0) { /* every copy */ }
        for (const t of ['nat', 'filter']) {
          await runCommand('iptables', ['-w', '5', '-t', t, '-F', c]);
          const x = await runCommand('iptables', ['-w', '5', '-t', t, '-X', c]);
          if (x.code !== 0 && !/No chain|does not exist/i.test(x.stderr)) this.o.warn(`cluster network: iptables -t ${t} -X ${c}: ${x.stderr.trim()}`);
        }
      }
      this.installed = { routes: [], rules: false, nodePorts: false };
      this.last = '';
      await rm(this.file, { force: true }).catch((e) => this.o.warn(`cluster network: ${errorMessage(e)}`));
    }
  }
}

/** This host's addresses and connected subnets: a node at one of them is this host, and a pod subnet overlapping one is never routed. */
async function localNetworks(): Promise<{ addresses: Set<string>; subnets: string[] }> {
  const addrs = await runCommand('ip', ['-4', '-o', 'addr', 'show']);
  const routes = await runCommand('ip', ['-4', 'route', 'show', 'proto', 'kernel']);
  const addresses = new Set([...addrs.stdout.matchAll(/ inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!));
  const subnets = routes.stdout.split('\n').map((l) => l.split(' ')[0]!).filter((d) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(d));
  return { addresses, subnets };
}

/** The services with a published port, as nft.ts programs them: the hostPort DNATs to the endpoints of every node. */
export function nodePorts(map: ClusterNetworkMap): ProgrammedService[] {
  return map.services
    .map((s) => ({ namespace: s.namespace, name: s.name, ports: s.ports.filter((p) => p.hostPort), endpoints: [...new Set(s.endpoints.map((e) => e.ip))], ...(s.sessionAffinity ? { sessionAffinity: s.sessionAffinity } : {}) }))
    .filter((s) => s.ports.length);
}
