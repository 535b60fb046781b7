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

/** How long after a host is taken (or first made) its pre-spawned replacement is started: off the cold path. */
const RESPAWN_DELAY_MS = 500;

export class FunctionHosts {
  private readonly hosts = new Map<string, FunctionHost>();
  /** Pre-spawned hosts (`spareHosts`), claimed by a key that has no running host. */
  private readonly spares: FunctionHost[] = [];
  private spareSeq = 0;
  private spareTimer?: NodeJS.Timeout;
  private closed = false;
  readonly tag: string;

  constructor(
    dataDir: string,
    private readonly o: Omit<HostOptions, 'key' | 'tag' | 'limits'> & { limits: HostLimits; spareHosts?: number },
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
    // A key with no host, or whose host crashed: a pre-spawned one saves the process start.
    if (!h || h.crashed) {
      const spare = this.takeSpare();
      if (spare) {
        const gone = h ? h.gone : Promise.resolve();
        h?.retire();
        spare.claim(key, gone);
        this.hosts.set(key, (h = spare));
      } else if (!h) this.hosts.set(key, (h = new FunctionHost({ ...this.o, key, tag: this.tag })));
      this.scheduleSpares();
    }
    return h;
  }

  private takeSpare(): FunctionHost | undefined {
    const i = this.spares.findIndex((s) => s.usable);
    return i < 0 ? undefined : this.spares.splice(i, 1)[0];
  }

  /** Tops the pre-spawned hosts up to `spareHosts`, a moment later (a spawn is ~100 ms of CPU). */
  private scheduleSpares(): void {
    if (this.closed || !this.o.spareHosts || this.spareTimer) return;
    this.spareTimer = setTimeout(() => {
      this.spareTimer = undefined;
      if (this.closed) return;
      // Spares that died unclaimed are dropped (and their cgroups removed by their exit).
      for (let i = this.spares.length - 1; i >= 0; i--) if (this.spares[i]!.crashed) this.spares.splice(i, 1);
      while (this.spares.length < this.o.spareHosts!) {
        const s = new FunctionHost({ ...this.o, key: `spare-${++this.spareSeq}`, tag: this.tag });
        this.spares.push(s);
        s.prespawn().catch((e: Error) => this.o.warn(`pre-spawned function host: ${e.message}`));
      }
    }, RESPAWN_DELAY_MS);
    this.spareTimer.unref();
  }

  /** `pipelined`: see FunctionHost.start. */
  start(key: string, spec: StartSpec, pipelined = false): Promise<RemoteInstance> {
    return this.host(key).start(spec, pipelined);
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
    this.closed = true;
    clearTimeout(this.spareTimer);
    await Promise.all([...this.hosts.values(), ...this.spares.splice(0)].map((h) => h.close()));
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
  /** Function-host processes kept started ahead (0: none). */
  spareHosts?: number;
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
    spareHosts: o.spareHosts,
    onLog: o.onLog,
    kv: o.kv,
    warn: o.warn,
    onCrash: (key, why) => {
      if (key.startsWith('spare-')) return; // died unclaimed: nobody's requests were in it
      o.warn(why);
      o.publish(key, why);
    },
  });
}
