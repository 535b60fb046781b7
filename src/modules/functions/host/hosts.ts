// The function-host processes of the daemon, one per key: `ns-NAMESPACE` by default, `fn-NAME`
// for functions deployed with --own-host. A host is forked on first use; one that crashed is
// forked again on the next start (its pools replace the dead instances).
import { createHash } from 'node:crypto';
import type { FunctionSpec } from '../spec.js';
import type { StartSpec } from './protocol.js';
import { removeTagDir, sweepCgroups, type HostLimits } from './cgroup.js';
import { FunctionHost, hostEntry, launcherPath, type HostOptions } from './host-client.js';
import type { RemoteInstance } from './remote-instance.js';

export const hostKey = (spec: Pick<FunctionSpec, 'name' | 'namespace' | 'ownHost'>): string => (spec.ownHost ? `fn-${spec.name}` : `ns-${spec.namespace}`);

export class FunctionHosts {
  private readonly hosts = new Map<string, FunctionHost>();
  readonly tag: string;

  constructor(
    dataDir: string,
    private readonly o: Omit<HostOptions, 'key' | 'tag' | 'limits'> & { limits: HostLimits },
  ) {
    // One daemon per data dir: the dir names its hosts' cgroups.
    this.tag = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  }

  /** Cgroups a killed earlier run left behind. */
  sweep(): Promise<void> {
    return sweepCgroups(this.tag);
  }

  private host(key: string): FunctionHost {
    let h = this.hosts.get(key);
    if (!h) this.hosts.set(key, (h = new FunctionHost({ ...this.o, key, tag: this.tag })));
    return h;
  }

  start(key: string, spec: StartSpec): Promise<RemoteInstance> {
    return this.host(key).start(spec);
  }

  /** Process ids by host key, for introspection. */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.hosts].map(([k, h]) => [k, h.pid]));
  }

  /** Ends a host no function uses any more. */
  async drop(key: string): Promise<void> {
    const h = this.hosts.get(key);
    if (!h || h.instances > 0) return;
    this.hosts.delete(key);
    await h.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.close()));
    this.hosts.clear();
    await removeTagDir(this.tag);
  }
}

/** The hosts of a daemon in `process` mode; undefined in `inline` mode (or when host-main.js is missing: warned). */
export function createHosts(o: {
  mode: 'process' | 'inline';
  dataDir: string;
  limits: HostLimits;
  spares: number;
  sparesMb: number[];
  onLog: HostOptions['onLog'];
  kv: HostOptions['kv'];
  warn(text: string): void;
  publish(key: string, why: string): void;
}): FunctionHosts | undefined {
  if (o.mode !== 'process') return undefined;
  const entry = hostEntry();
  if (!entry) {
    o.warn('function-host entry (host-main.js) not found: isolates run in the daemon');
    return undefined;
  }
  const launcher = launcherPath();
  if (!launcher) o.warn('seccomp launcher (dist/native/seccomp-exec) not built: function hosts run without a syscall filter');
  return new FunctionHosts(o.dataDir, {
    entry,
    launcher,
    limits: o.limits,
    spares: o.spares,
    sparesMb: o.sparesMb,
    onLog: o.onLog,
    kv: o.kv,
    warn: o.warn,
    onCrash: (key, why) => {
      o.warn(why);
      o.publish(key, why);
    },
  });
}
