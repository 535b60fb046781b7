// The containers API on runc + conmon: life cycle, exits, restart policies, logs, exec, stats and
// re-adoption after a daemon restart. Each container is a workload (type "container") in the
// kernel's table; while it runs (or waits to restart) its requests are allocated in the ledger.
// The parts are layered classes, one file each: core (table, lock, records, events), exits
// (exits and restarts), lifecycle (create, start), stop (stop, kill, remove), adopt (boot);
// this file adds the queries, log following, exec and stats.
import { readFile } from 'node:fs/promises';
import type { AttachOptions, ContainerInfo, ContainerStats, ContainerStdioApi, ContainersApi, ContainerUsage, ContainerUsageApi, ExecStdioOptions, LogLine, LogOptions, StdioSession } from '../../contracts/containers.js';
import { FailedPrecondition, InvalidArgument } from '../../kernel/errors.js';
import { ContainerAdoption } from './adopt.js';
import { cgroupExists, readCgroup } from './cgroups.js';
import { StdioAttacher } from './attach.js';
import { activeStates } from './core.js';
import type { Entry } from './entries.js';
import { readLog } from './follow.js';
import { sampleStats } from './stats.js';

export type { ContainersDeps, ImagesPort } from './core.js';
export { humanDuration, normalizeSignal, statusText } from './status.js';

export class RuncContainers extends ContainerAdoption implements ContainersApi, ContainerUsageApi, ContainerStdioApi {
  private stdioAttacher?: StdioAttacher;
  private get stdio(): StdioAttacher {
    return (this.stdioAttacher ??= new StdioAttacher(this.d));
  }
  protected override beforeProcessStart = (id: string): Promise<void> => (this.stdioAttacher ? this.stdioAttacher.beforeStart(id) : Promise.resolve());

  attach(idOrName: string, opts?: AttachOptions): Promise<StdioSession> {
    return this.stdio.attach(this.entry(idOrName), opts);
  }

  resize(idOrName: string, rows: number, cols: number): Promise<void> {
    return this.stdio.resize(this.entry(idOrName), rows, cols);
  }

  execStdio(idOrName: string, cmd: string[], opts?: ExecStdioOptions): Promise<StdioSession> {
    return this.stdio.exec(this.entry(idOrName), cmd, opts);
  }

  async inspect(idOrName: string): Promise<ContainerInfo> {
    return this.info(this.entry(idOrName).rec);
  }

  async list(opts: { all?: boolean; owner?: string; namespace?: string } = {}): Promise<ContainerInfo[]> {
    return [...this.entries.values()]
      .map((e) => e.rec)
      .filter((r) => !r.removing)
      .filter((r) => opts.all || r.state === 'running' || r.state === 'starting' || r.state === 'stopping' || !!r.restartAt)
      .filter((r) => (!opts.owner || r.spec.owner === opts.owner) && (!opts.namespace || r.namespace === opts.namespace))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .map((r) => this.info(r));
  }

  async wait(idOrName: string, signal?: AbortSignal): Promise<{ exitCode: number; oomKilled: boolean }> {
    const e = this.entry(idOrName);
    if (e.rec.state === 'created') {
      // Docker's wait on a created container waits for it to run and end.
      await new Promise<void>((resolve, reject) => {
        const t = setInterval(() => {
          if (signal?.aborted) return (clearInterval(t), reject(signal.reason));
          if (e.rec.state !== 'created') (clearInterval(t), resolve());
        }, 100);
      });
    }
    const done = this.exited(e);
    if (!signal) return done;
    return Promise.race([done, new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))]);
  }

  private active(e: Entry): boolean {
    return activeStates.includes(e.rec.state) || !!e.rec.restartAt;
  }

  async *logs(idOrName: string, opts: LogOptions = {}): AsyncIterable<LogLine> {
    const e = this.entry(idOrName);
    const target = {
      active: () => this.active(e),
      present: () => this.entries.has(e.rec.id),
      hold: () => {
        e.holds++;
        return () => this.unhold(e);
      },
      wakers: e,
    };
    yield* readLog(this.d.store.file(e.rec.id, 'ctr.log'), target, opts);
  }

  /** Keeps an auto-removing container (and its logs) until released, e.g. while a client is attached. */
  hold(idOrName: string): () => void {
    const e = this.entry(idOrName);
    e.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.unhold(e);
    };
  }

  private unhold(e: Entry): void {
    e.holds--;
    if (e.holds === 0 && e.removeWhenReleased) {
      e.removeWhenReleased = false;
      void this.remove(e.rec.id, { force: true }).catch((err) => this.d.log.warn({ err }, `auto-remove ${e.rec.name}`));
    }
  }

  async exec(idOrName: string, cmd: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const e = this.entry(idOrName);
    if (!cmd.length) throw new InvalidArgument('exec needs a command');
    if (e.rec.state !== 'running') throw new FailedPrecondition(`container ${e.rec.name} is not running`);
    return this.d.runc.exec(e.rec.id, cmd, opts);
  }

  async stats(idOrName: string): Promise<ContainerStats> {
    const e = this.entry(idOrName);
    return sampleStats(this.d, e.rec, e);
  }

  async usage(idOrName: string): Promise<ContainerUsage | undefined> {
    return readCgroup(this.d.cgroupVersion, this.entry(idOrName).rec.cgroupsPath);
  }

  /** What remains on the host for a container id (netns, cgroup, lease, chains, bundle); for tests and `inspect`. */
  async residue(id: string): Promise<string[]> {
    const found = [...(await this.d.network().residue(id)), ...(await cgroupExists(this.d.cgroupVersion, `/llmos/${this.d.tag}/${id}`)).map((d) => `cgroup ${d}`)];
    if ((await this.d.runc.state(id).catch(() => undefined)) !== undefined) found.push(`runc container ${id}`);
    if (await readFile(this.d.store.file(id, 'config.json')).then(() => true, () => false)) found.push(`bundle ${this.d.store.dir(id)}`);
    return found;
  }

  /** The periodic safety net for exits the watcher missed. */
  async reconcile(): Promise<void> {
    for (const e of [...this.entries.values()]) {
      if (!activeStates.includes(e.rec.state)) continue;
      await this.onExitFile(e.rec.id);
      await this.endIfUnsupervised(e);
    }
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    for (const e of this.entries.values()) if (e.restartTimer) clearTimeout(e.restartTimer);
  }
}
