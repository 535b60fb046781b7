// The containers API on runc + conmon: life cycle, exits, restart policies, logs, exec, stats and
// re-adoption after a daemon restart. Each container is a workload (type "container") in the
// kernel's table; while it runs (or waits to restart) its requests are allocated in the ledger.
import { randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ContainerInfo, ContainerNetworkApi, ContainerSpec, ContainerStats, ContainersApi, LogLine, NetworkAttachment } from '../../contracts/containers.js';
import type { ImageRecord, ImagesApi } from '../../contracts/images.js';
import { AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, errorMessage, isNotFound } from '../../kernel/errors.js';
import type { EventBus } from '../../kernel/events.js';
import { containerRequests, type ContainerAdmission } from './admission.js';
import type { WorkloadTable } from '../../kernel/workloads.js';
import { cgroupExists, readCgroup, removeCgroup, type CgroupVersion } from './cgroups.js';
import { LogParser, readFrom } from './logs.js';
import { RecordStore, type ContainerRecord } from './records.js';
import { decideRestart } from './restart.js';
import type { Runc } from './runc.js';
import { faultPoint } from '../../kernel/faults.js';
import { hasProcesses, reapContainer, removeCgroupBounded, supervisorAlive, sweepOrphans } from './supervision.js';
import { hostsFile, writeBundle } from './bundle.js';
import { sampleStats } from './stats.js';
import { hostPortFree, validateSpec } from './spec-checks.js';
import { normalizeSignal, statusText, userStopSignals } from './status.js';

export { humanDuration, normalizeSignal, statusText } from './status.js';

/** How long an exit may take to be reported after SIGKILL before the container is ended without the report. */
const exitDeadlineMs = 10_000;

export type ImagesPort = Pick<ImagesApi, 'get' | 'pull' | 'createRootfs' | 'removeRootfs' | 'listRootfs'>;

export interface ContainersDeps {
  runc: Runc;
  store: RecordStore;
  images: () => ImagesPort;
  network: () => ContainerNetworkApi;
  workloads: WorkloadTable;
  admission: ContainerAdmission;
  events: EventBus;
  log: Logger;
  cgroupVersion: CgroupVersion;
  /** Per-daemon tag: cgroups live under /llmos/<tag>/. */
  tag: string;
  initBinary?: string;
  nofileHardLimit: number;
  hostMemory: number;
  /** CPUs of the host (the ceiling for --cpus); default: this process's available parallelism. */
  hostCpus?: number;
  now?: () => number;
}

interface Entry {
  rec: ContainerRecord;
  waiters: Array<(r: { exitCode: number; oomKilled: boolean }) => void>;
  restartTimer?: NodeJS.Timeout;
  /** Log followers still reading: auto-removal waits for them. */
  holds: number;
  removeWhenReleased?: boolean;
  lastSample?: { t: number; cpu: number };
  lock: Promise<unknown>;
  /** Wakes log followers at once when the container exits (instead of at their next poll). */
  wakers?: Set<() => void>;
}

export class RuncContainers implements ContainersApi {
  private readonly entries = new Map<string, Entry>();
  private watcher?: FSWatcher;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly d: ContainersDeps) {
    this.now = d.now ?? Date.now;
  }

  // ---- lookup ---------------------------------------------------------------------------

  private entry(idOrName: string): Entry {
    const byName = [...this.entries.values()].find((e) => e.rec.name === idOrName);
    if (byName) return byName;
    const exact = this.entries.get(idOrName);
    if (exact) return exact;
    const prefixed = idOrName.length >= 3 ? [...this.entries.values()].filter((e) => e.rec.id.startsWith(idOrName)) : [];
    if (prefixed.length === 1) return prefixed[0]!;
    if (prefixed.length > 1) throw new InvalidArgument(`container id prefix ${idOrName} is ambiguous`);
    throw new NotFound(`no such container: ${idOrName}`);
  }

  /** Runs fn after every earlier operation on the same container. */
  private locked<T>(e: Entry, fn: () => Promise<T>): Promise<T> {
    const next = e.lock.then(fn, fn);
    e.lock = next.catch(() => undefined);
    return next;
  }

  private save(rec: ContainerRecord): Promise<void> {
    return this.d.store.save(rec);
  }

  private publish(topic: string, rec: ContainerRecord, message: string, data?: Record<string, unknown>): void {
    this.d.events.publish({ topic: `/containers/${topic}`, subject: `container/${rec.name}`, namespace: rec.namespace, message: `container ${rec.name} ${message}`, data: { id: rec.id, ...data } });
  }

  private info(rec: ContainerRecord): ContainerInfo {
    return {
      id: rec.id,
      name: rec.name,
      image: rec.image,
      imageId: rec.imageId,
      namespace: rec.namespace,
      owner: rec.spec.owner,
      state: rec.state,
      status: statusText(rec, this.now()),
      exitCode: rec.exitCode,
      oomKilled: rec.oomKilled,
      reason: rec.reason,
      pid: rec.state === 'running' || rec.state === 'stopping' ? rec.pid : undefined,
      ip: rec.network?.ip,
      ports: rec.spec.ports ?? [],
      createdAt: rec.createdAt,
      startedAt: rec.startedAt,
      finishedAt: rec.finishedAt,
      restartCount: rec.restartCount,
      labels: rec.spec.labels ?? {},
      spec: rec.spec,
      cgroupPath: rec.cgroupsPath,
    };
  }

  // ---- create / start ---------------------------------------------------------------------

  private validate(spec: ContainerSpec): void {
    validateSpec(spec, [...this.entries.values()].map((e) => e.rec.spec), { cpus: this.d.hostCpus ?? os.availableParallelism(), memory: this.d.hostMemory });
  }

  private async image(ref: string): Promise<ImageRecord> {
    const images = this.d.images();
    try {
      return await images.get(ref);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return images.pull(ref);
    }
  }

  async create(spec: ContainerSpec): Promise<ContainerInfo> {
    this.validate(spec);
    for (const p of spec.ports ?? []) if (!(await hostPortFree(p))) throw new AlreadyExists(`host port ${p.hostPort}/${p.protocol} is already in use on this host`);
    const image = await this.image(spec.image);
    const id = randomBytes(32).toString('hex');
    const name = spec.name ?? `${(spec.image.split('/').pop() ?? 'c').split(/[:@]/)[0]!.replace(/[^a-zA-Z0-9_.-]/g, '')}-${id.slice(0, 6)}`;
    if ([...this.entries.values()].some((e) => e.rec.name === name)) throw new AlreadyExists(`container name ${name} is already in use`);
    const rec: ContainerRecord = {
      id,
      name,
      namespace: spec.namespace ?? 'default',
      image: spec.image,
      imageId: image.id,
      spec: { ...spec, name },
      state: 'created',
      createdAt: new Date(this.now()).toISOString(),
      oomKilled: false,
      restartCount: 0,
      backoffStep: 0,
      stoppedByUser: false,
      rootfs: '',
      cgroupsPath: `/llmos/${this.d.tag}/${id}`,
      stopSignal: normalizeSignal(image.config.stopSignal, 'TERM'),
      creating: true,
    };
    // Reserve the name at once so a concurrent create with the same name fails.
    const e: Entry = { rec, waiters: [], holds: 0, lock: Promise.resolve() };
    this.entries.set(id, e);
    faultPoint('containers.create.dir');
    const dir = await this.d.store.ensureDir(id);
    try {
      // Intent first: a crash from here on leaves a record (creating) that boot tears down.
      faultPoint('containers.create.record');
      await this.save(rec);
      faultPoint('containers.create.rootfs');
      const { path: rootfs } = await this.d.images().createRootfs(spec.image, id);
      rec.rootfs = rootfs;
      faultPoint('containers.create.bundle');
      await writeBundle(this.d, rec, dir, image);
      rec.creating = undefined;
      faultPoint('containers.create.record-done');
      await this.save(rec);
      this.d.workloads.add({ id, type: 'container', name, namespace: rec.namespace, owner: spec.owner, labels: spec.labels ?? {}, requests: containerRequests(spec), limits: containerRequests({ ...spec, requests: undefined }) });
      this.publish('create', rec, `created from ${spec.image}`);
      return this.info(rec);
    } catch (err) {
      this.entries.delete(id);
      await this.d.images().removeRootfs(id).catch((e2) => this.d.log.warn({ err: e2 }, `removing the rootfs of failed create ${id}`));
      await this.d.store.removeDir(id);
      throw err;
    }
  }

  async start(idOrName: string): Promise<ContainerInfo> {
    const e = this.entry(idOrName);
    return this.locked(e, () => this.startLocked(e, false));
  }

  private async startLocked(e: Entry, isRestart: boolean): Promise<ContainerInfo> {
    const rec = e.rec;
    if (rec.removing) throw new FailedPrecondition(`container ${rec.name} is being removed`);
    if (rec.state === 'running' || rec.state === 'starting' || rec.state === 'stopping') {
      if (isRestart) return this.info(rec);
      throw new FailedPrecondition(`container ${rec.name} is already ${rec.state}`);
    }
    if (e.restartTimer) clearTimeout(e.restartTimer);
    e.restartTimer = undefined;
    rec.restartAt = undefined;
    const ledgerId = `container/${rec.id}`;
    if (!this.d.admission.has(ledgerId)) this.d.admission.admit(ledgerId, rec.spec, `container/${rec.name}`);
    const dir = this.d.store.dir(rec.id);
    try {
      this.d.workloads.transition(rec.id, 'starting');
      rec.state = 'starting';
      const mode = rec.spec.network ?? 'bridge';
      // Intent: a crash from here on may leave a netns, a lease, rules, conmon and a cgroup; the
      // record says so (starting, networkIntent), so boot ends the start and removes them.
      if (!rec.network && mode === 'bridge') rec.networkIntent = true;
      faultPoint('containers.start.record');
      await this.save(rec);
      // The network is set up while runc creates the container (it only needs the namespace to
      // exist); both must be done before the process starts.
      let attaching: Promise<NetworkAttachment> | undefined;
      if (!rec.network) {
        const net = this.d.network();
        if (mode === 'bridge' && net.prepare) await net.prepare(rec.id);
        attaching = net.attach(rec.id, { mode, ports: rec.spec.ports ?? [] });
        if (mode !== 'bridge' || !net.prepare) rec.network = await attaching;
      }
      // A previous run's runc state (exited, or left by a crash) must go before create.
      if (await this.d.runc.known(rec.id)) await this.d.runc.delete(rec.id, true);
      await rm(path.join(this.d.runc.o.exitDir, rec.id), { force: true });
      faultPoint('containers.start.conmon');
      const [att, created] = await Promise.allSettled([
        attaching ?? Promise.resolve(rec.network!),
        this.d.runc.create(rec.id, { bundle: dir, logPath: path.join(dir, 'ctr.log'), pidFile: path.join(dir, 'pid'), conmonPidFile: path.join(dir, 'conmon.pid') }),
      ]);
      if (att.status === 'rejected') throw att.reason;
      if (attaching) {
        rec.network = att.value;
        faultPoint('containers.start.record-network');
        await this.save(rec);
        if (rec.network.ip) await writeFile(path.join(dir, 'hosts'), hostsFile(rec.id.slice(0, 12), rec.name, rec.network.ip));
      }
      if (created.status === 'rejected') throw created.reason;
      rec.pid = created.value;
      faultPoint('containers.start.runc-start');
      await this.d.runc.start(rec.id);
      rec.state = 'running';
      rec.startedAt = new Date(this.now()).toISOString();
      rec.finishedAt = undefined;
      rec.exitCode = undefined;
      rec.oomKilled = false;
      rec.stoppedByUser = false;
      rec.reason = undefined;
      if (isRestart) rec.restartCount++;
      this.d.workloads.transition(rec.id, 'running');
      faultPoint('containers.start.record-running');
      await this.save(rec);
      this.publish(isRestart ? 'restart' : 'start', rec, isRestart ? `restarted (${rec.restartCount})` : 'started', { pid: rec.pid });
      return this.info(rec);
    } catch (err) {
      const reason = errorMessage(err);
      await this.d.runc.delete(rec.id, true).catch((e2) => this.d.log.warn({ err: e2 }, `runc delete after a failed start of ${rec.name}`));
      this.d.admission.release(ledgerId);
      rec.state = 'failed';
      rec.reason = reason;
      rec.finishedAt = new Date(this.now()).toISOString();
      rec.pid = undefined;
      if (this.d.workloads.has(rec.id)) this.d.workloads.transition(rec.id, 'failed', { reason });
      await this.save(rec).catch((e2) => this.d.log.warn({ err: e2 }, `saving the failed start of ${rec.name}`));
      this.publish('fail', rec, `failed to start: ${reason}`);
      if (err instanceof FailedPrecondition) throw new FailedPrecondition(`cannot start container ${rec.name}: ${reason}`, { cause: err });
      throw err;
    }
  }

  async run(spec: ContainerSpec): Promise<ContainerInfo> {
    const c = await this.create(spec);
    try {
      return await this.start(c.id);
    } catch (err) {
      // run is one step for the caller: a container that never started is not left behind.
      await this.remove(c.id, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  // ---- exits and restarts -----------------------------------------------------------------

  /** Called when conmon's exit file for `id` may have appeared. */
  private async onExitFile(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e || !['starting', 'running', 'stopping'].includes(e.rec.state)) return;
    await this.locked(e, () => this.handleExit(e));
  }

  private async readExitCode(id: string): Promise<number | undefined> {
    const text = await readFile(path.join(this.d.runc.o.exitDir, id), 'utf8').catch(() => undefined);
    if (text === undefined || text.trim() === '') return undefined;
    const n = Number(text.trim());
    return Number.isFinite(n) ? n : undefined;
  }

  /** `lost`: why no exit will be reported (the supervisor died, the daemon was down); then whatever is left is ended. */
  private async handleExit(e: Entry, lost?: string): Promise<void> {
    const rec = e.rec;
    if (!['starting', 'running', 'stopping'].includes(rec.state)) return;
    let exitCode = await this.readExitCode(rec.id);
    if (exitCode === undefined && !lost) return;
    // The cgroup lives until runc delete: read the OOM counter first.
    const sample = await readCgroup(this.d.cgroupVersion, rec.cgroupsPath).catch(() => undefined);
    const oomKilled = (sample?.oomKills ?? 0) > 0 && (exitCode === undefined || exitCode === 137);
    const codeLost = exitCode === undefined;
    exitCode ??= 255;
    // No exit report: runc may not know the container any more, so its processes, conmon and cgroup are ended directly.
    if (codeLost) {
      const ended = await reapContainer(this.d, rec.id, rec.cgroupsPath, this.d.store.dir(rec.id));
      if (ended.length) this.d.log.warn(`container ${rec.name}: ${lost}; ended ${ended.join('; ')}`);
    } else await this.d.runc.delete(rec.id, true).catch((err) => this.d.log.warn({ err }, `runc delete ${rec.id}`));
    await rm(path.join(this.d.runc.o.exitDir, rec.id), { force: true });
    rec.state = 'exited';
    rec.exitCode = exitCode;
    rec.oomKilled = oomKilled;
    rec.finishedAt = new Date(this.now()).toISOString();
    rec.pid = undefined;
    rec.reason = codeLost ? lost : oomKilled ? 'OOMKilled' : undefined;
    this.d.workloads.transition(rec.id, 'exited', { exitCode, reason: rec.reason });
    if (oomKilled) this.publish('oom', rec, 'was killed: out of memory', { exitCode });
    this.publish('die', rec, `exited with code ${exitCode}`, { exitCode, oomKilled });
    for (const w of e.waiters.splice(0)) w({ exitCode, oomKilled });
    for (const w of e.wakers ?? []) w();
    const decision = decideRestart({
      policy: rec.spec.restart,
      exitCode,
      stoppedByUser: rec.stoppedByUser,
      restartCount: rec.restartCount,
      backoffStep: rec.backoffStep,
      startedAt: Date.parse(rec.startedAt ?? rec.createdAt),
      finishedAt: this.now(),
    });
    if (decision.restart && !this.closed) {
      rec.backoffStep = decision.nextBackoffStep;
      rec.restartAt = new Date(this.now() + decision.delayMs).toISOString();
      this.scheduleRestart(e, decision.delayMs);
    } else {
      this.d.admission.release(`container/${rec.id}`);
      if (rec.spec.autoRemove) {
        await this.save(rec);
        if (e.holds > 0) e.removeWhenReleased = true;
        else void this.remove(rec.id, { force: true }).catch((err) => this.d.log.warn({ err }, `auto-remove ${rec.name}`));
        return;
      }
    }
    await this.save(rec);
  }

  private scheduleRestart(e: Entry, delayMs: number): void {
    if (e.restartTimer) clearTimeout(e.restartTimer);
    e.restartTimer = setTimeout(() => {
      e.restartTimer = undefined;
      if (this.closed || !this.entries.has(e.rec.id) || !e.rec.restartAt) return;
      void this.locked(e, () => this.startLocked(e, true)).catch((err) => this.d.log.warn({ err }, `restart of ${e.rec.name} failed`));
    }, delayMs);
    e.restartTimer.unref();
  }

  // ---- stop / kill / remove ---------------------------------------------------------------

  private exited(e: Entry): Promise<{ exitCode: number; oomKilled: boolean }> {
    if (!['starting', 'running', 'stopping'].includes(e.rec.state)) return Promise.resolve({ exitCode: e.rec.exitCode ?? 0, oomKilled: e.rec.oomKilled });
    return new Promise((resolve) => e.waiters.push(resolve));
  }

  async stop(idOrName: string, opts: { timeoutSeconds?: number } = {}): Promise<ContainerInfo> {
    const e = this.entry(idOrName);
    const rec = e.rec;
    if (rec.restartAt) {
      // A pending restart is cancelled: the user wants it down.
      clearTimeout(e.restartTimer);
      e.restartTimer = undefined;
      rec.restartAt = undefined;
      rec.stoppedByUser = true;
      this.d.admission.release(`container/${rec.id}`);
      await this.save(rec);
    }
    if (rec.state !== 'running' && rec.state !== 'starting') return this.info(rec);
    const grace = Math.max(0, opts.timeoutSeconds ?? 10);
    rec.stoppedByUser = true;
    const done = this.exited(e);
    if (rec.state === 'running') {
      this.d.workloads.transition(rec.id, 'stopping');
      rec.state = 'stopping';
      faultPoint('containers.stop.record');
      await this.save(rec);
    }
    this.publish('stop', rec, `stopping (signal ${rec.stopSignal}, grace ${grace}s)`);
    faultPoint('containers.stop.kill');
    await this.d.runc.kill(rec.id, rec.stopSignal).catch((err) => this.d.log.warn({ err }, `stop ${rec.name}: signal ${rec.stopSignal}`));
    await this.waitExit(e, done, grace * 1000);
    return this.info(rec);
  }

  /**
   * Waits for the exit, with a deadline: SIGKILL after `killAfterMs`, and when even that is not
   * reported within `exitDeadlineMs` (or the supervisor is dead) the container is ended and
   * marked exited with the reason. Checks the exit file too, in case the watcher missed it.
   */
  private async waitExit(e: Entry, done: Promise<unknown>, killAfterMs: number): Promise<void> {
    const start = Date.now();
    const ended = () => !['starting', 'running', 'stopping'].includes(e.rec.state) || !this.entries.has(e.rec.id);
    let killed = false;
    while (!ended() && !this.closed) {
      const left = killed ? 250 : Math.min(250, Math.max(1, start + killAfterMs - Date.now()));
      await Promise.race([done, new Promise((r) => setTimeout(r, left))]);
      if (ended()) return;
      await this.onExitFile(e.rec.id);
      if (ended()) return;
      if (await this.endIfUnsupervised(e)) continue;
      const t = Date.now() - start;
      if (!killed && t >= killAfterMs) {
        killed = true;
        await this.d.runc.kill(e.rec.id, 'KILL', true).catch((err) => this.d.log.warn({ err }, `SIGKILL ${e.rec.name}`));
      }
      if (t >= killAfterMs + exitDeadlineMs) await this.locked(e, () => this.handleExit(e, `no exit was reported within ${exitDeadlineMs / 1000} s of SIGKILL; what was left of it was killed`));
    }
  }

  async kill(idOrName: string, signal?: string): Promise<void> {
    const e = this.entry(idOrName);
    const sig = normalizeSignal(signal);
    if (!['running', 'starting', 'stopping'].includes(e.rec.state)) throw new FailedPrecondition(`container ${e.rec.name} is not running`);
    if (userStopSignals.has(sig)) {
      e.rec.stoppedByUser = true;
      await this.save(e.rec);
    }
    await this.d.runc.kill(e.rec.id, sig, sig === 'KILL' || sig === '9');
    this.publish('kill', e.rec, `sent ${sig}`);
  }

  async remove(idOrName: string, opts: { force?: boolean } = {}): Promise<void> {
    const e = this.entry(idOrName);
    const rec = e.rec;
    if (['running', 'starting', 'stopping'].includes(rec.state)) {
      if (!opts.force) throw new FailedPrecondition(`container ${rec.name} is ${rec.state}: stop it first or remove with force`);
      rec.stoppedByUser = true;
      const done = this.exited(e);
      faultPoint('containers.remove.kill');
      await this.d.runc.kill(rec.id, 'KILL', true).catch((err) => this.d.log.warn({ err }, `rm -f ${rec.name}: SIGKILL`));
      await this.waitExit(e, done, 0);
    }
    await this.locked(e, async () => {
      if (!this.entries.has(rec.id)) return;
      if (e.restartTimer) clearTimeout(e.restartTimer);
      rec.restartAt = undefined;
      rec.removing = true;
      faultPoint('containers.remove.record');
      await this.save(rec);
      await this.teardown(rec);
      this.entries.delete(rec.id);
      if (this.d.workloads.has(rec.id)) this.d.workloads.remove(rec.id);
      this.publish('destroy', rec, 'removed');
    });
  }

  /** Everything a container holds on the host; idempotent, so a crashed removal can run it again. */
  private async teardown(rec: ContainerRecord): Promise<void> {
    this.d.admission.release(`container/${rec.id}`);
    faultPoint('containers.remove.runc-delete');
    if (await this.d.runc.known(rec.id)) await this.d.runc.delete(rec.id, true);
    // Independent parts go in parallel; every part runs even when another fails.
    const parts = await Promise.allSettled([
      (async () => {
        faultPoint('containers.remove.cgroup');
        // Anything still in the cgroup (runc lost the container) is killed first: rmdir needs it empty.
        await removeCgroupBounded(this.d, rec.cgroupsPath);
        // The per-daemon parent goes with its last container (rmdir refuses while others remain).
        await removeCgroup(this.d.cgroupVersion, path.dirname(rec.cgroupsPath));
      })(),
      (async () => {
        faultPoint('containers.remove.network');
        // Recorded: undo it exactly. Only intended (a crash during attach): found by the CNI id.
        if (rec.network) await this.d.network().detach(rec.id, rec.network);
        else if (rec.networkIntent) await this.d.network().detach(rec.id);
      })(),
      (async () => {
        faultPoint('containers.remove.rootfs');
        await this.d.images().removeRootfs(rec.id);
      })(),
      rm(path.join(this.d.runc.o.exitDir, rec.id), { force: true }),
    ]);
    const failed = parts.find((p): p is PromiseRejectedResult => p.status === 'rejected');
    if (failed) throw failed.reason;
    faultPoint('containers.remove.bundle');
    await this.d.store.removeDir(rec.id);
  }

  // ---- queries ------------------------------------------------------------------------------

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
    return ['starting', 'running', 'stopping'].includes(e.rec.state) || !!e.rec.restartAt;
  }

  async *logs(idOrName: string, opts: { tail?: number; follow?: boolean; signal?: AbortSignal } = {}): AsyncIterable<LogLine> {
    const e = this.entry(idOrName);
    const file = this.d.store.file(e.rec.id, 'ctr.log');
    const first = await readFrom(file, 0);
    const parser = new LogParser();
    let lines = parser.push(first.lines);
    if (opts.tail !== undefined) lines = opts.tail > 0 ? lines.slice(-opts.tail) : [];
    yield* lines;
    if (!opts.follow) return;
    e.holds++;
    try {
      let offset = first.offset;
      let idleAfterExit = 0;
      while (!opts.signal?.aborted) {
        const next = await readFrom(file, offset);
        offset = next.offset;
        yield* parser.push(next.lines);
        if (next.lines.length) continue;
        // Ended: one more read after the exit is seen, so the last lines are not lost.
        if (!this.active(e) || !this.entries.has(e.rec.id)) {
          if (idleAfterExit++ >= 1) return;
        } else idleAfterExit = 0;
        await sleepOrAbort(this.active(e) ? 250 : 20, opts.signal, e);
      }
    } finally {
      this.unhold(e);
    }
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

  /** What remains on the host for a container id (netns, cgroup, lease, chains, bundle); for tests and `inspect`. */
  async residue(id: string): Promise<string[]> {
    const found = [...(await this.d.network().residue(id)), ...(await cgroupExists(this.d.cgroupVersion, `/llmos/${this.d.tag}/${id}`)).map((d) => `cgroup ${d}`)];
    if ((await this.d.runc.state(id).catch(() => undefined)) !== undefined) found.push(`runc container ${id}`);
    if (await readFile(this.d.store.file(id, 'config.json')).then(() => true, () => false)) found.push(`bundle ${this.d.store.dir(id)}`);
    return found;
  }

  // ---- boot: re-adoption and leftovers --------------------------------------------------------

  async adopt(): Promise<{ adopted: number; ended: number; leftovers: string[] }> {
    await this.d.runc.init();
    const { records, strayDirs } = await this.d.store.loadAll();
    let adopted = 0;
    let ended = 0;
    // Networks only intended (a crash during attach) are not recorded: they go first, before any
    // restart below could make a namespace of the same name.
    const leftovers = await this.d.network().removeLeftovers(new Set(records.filter((r) => r.network && !r.removing && !r.creating).map((r) => r.id)));
    for (const rec of records) {
      const e: Entry = { rec, waiters: [], holds: 0, lock: Promise.resolve() };
      this.entries.set(rec.id, e);
      if (rec.removing || rec.creating) {
        // A removal is finished; a create that never returned is undone (it was not acknowledged).
        await this.teardown(rec).catch((err) => this.d.log.warn({ err }, `finishing removal of ${rec.name}`));
        this.entries.delete(rec.id);
        leftovers.push(`container ${rec.name} (${rec.removing ? 'removal' : 'create'} interrupted)`);
        continue;
      }
      const wasActive = ['starting', 'running', 'stopping'].includes(rec.state);
      this.d.workloads.add({ id: rec.id, type: 'container', name: rec.name, namespace: rec.namespace, owner: rec.spec.owner, labels: rec.spec.labels ?? {}, requests: containerRequests(rec.spec), limits: containerRequests({ ...rec.spec, requests: undefined }), state: rec.state, exitCode: rec.exitCode });
      if (!wasActive) {
        // Not running by its record: any process in its cgroup is one nobody owns.
        if (await hasProcesses(this.d, rec.cgroupsPath)) leftovers.push(...(await reapContainer(this.d, rec.id, rec.cgroupsPath, this.d.store.dir(rec.id))));
        if (rec.restartAt) {
          this.allocateOnAdopt(rec);
          this.scheduleRestart(e, Math.max(0, Date.parse(rec.restartAt) - this.now()));
        }
        continue;
      }
      this.allocateOnAdopt(rec);
      const st = await this.d.runc.state(rec.id).catch(() => undefined);
      const supervised = await supervisorAlive(this.d.store.dir(rec.id), rec.id);
      if (st?.status === 'running' && supervised && (await this.readExitCode(rec.id)) === undefined) {
        rec.pid = st.pid;
        if (rec.state === 'starting') {
          // Started, but the daemon died before recording it: it runs, so it is adopted as running.
          rec.state = 'running';
          rec.startedAt ??= new Date(this.now()).toISOString();
          this.d.workloads.transition(rec.id, 'running');
          await this.save(rec);
        }
        adopted++;
        this.publish('adopt', rec, `re-adopted (pid ${st.pid})`);
        // A stop was under way when the daemon died: finish it (its grace is over).
        if (rec.state === 'stopping') void this.d.runc.kill(rec.id, 'KILL', true).then(() => this.waitExit(e, this.exited(e), 0)).catch((err) => this.d.log.warn({ err }, `finishing the stop of ${rec.name}`));
        continue;
      }
      ended++;
      const reason =
        rec.state === 'starting' ? 'its start was cut short by a daemon restart'
        : !st ? 'runc lost its state while the daemon was down; what was left of it was killed'
        : !supervised ? 'its supervisor (conmon) died while the daemon was down; what was left of it was killed'
        : 'it ended while the daemon was down and its exit code was lost';
      await this.handleExit(e, reason);
    }
    const keep = new Set(this.entries.keys());
    for (const id of strayDirs) {
      await this.d.store.removeDir(id);
      leftovers.push(`bundle ${id}`);
    }
    for (const st of await this.d.runc.list().catch(() => [])) {
      if (keep.has(st.id)) continue;
      await this.d.runc.delete(st.id, true).catch((err) => this.d.log.warn({ err }, `runc delete of leftover ${st.id}`));
      leftovers.push(`runc container ${st.id}`);
    }
    for (const id of await this.d.images().listRootfs().catch(() => [] as string[])) {
      if (keep.has(id)) continue;
      await this.d.images().removeRootfs(id).catch((err) => this.d.log.warn({ err }, `removing leftover rootfs ${id}`));
      leftovers.push(`rootfs ${id}`);
    }
    // Processes in this daemon's cgroups (and conmons) that no record owns are killed.
    leftovers.push(...(await sweepOrphans(this.d, keep)));
    if (leftovers.length) this.d.log.warn(`boot: removed leftovers: ${leftovers.join('; ')}`);
    this.watchExits();
    return { adopted, ended, leftovers };
  }

  /** Ends a running container whose conmon is gone (nobody would report its exit); true when it did. */
  private endIfUnsupervised(e: Entry): Promise<boolean> {
    return this.locked(e, async () => {
      if (!['running', 'stopping'].includes(e.rec.state) || (await supervisorAlive(this.d.store.dir(e.rec.id), e.rec.id))) return false;
      await this.handleExit(e, 'its supervisor (conmon) died, so its exit code is unknown; what was left of it was killed');
      return true;
    });
  }

  private allocateOnAdopt(rec: ContainerRecord): void {
    try {
      this.d.admission.admit(`container/${rec.id}`, rec.spec, `container/${rec.name}`);
    } catch (err) {
      // It runs already: record it as over-committed rather than kill it.
      this.d.log.warn(`container ${rec.name} re-adopted beyond the node's allocatable: ${errorMessage(err)}`);
    }
  }

  private watchExits(): void {
    try {
      this.watcher = watch(this.d.runc.o.exitDir, (_ev, file) => {
        if (file) void this.onExitFile(String(file)).catch((err) => this.d.log.warn({ err }, 'exit handling failed'));
      });
    } catch (err) {
      this.d.log.warn({ err }, 'cannot watch the exit directory; relying on the periodic check');
    }
  }

  /** The periodic safety net for exits the watcher missed. */
  async reconcile(): Promise<void> {
    for (const e of [...this.entries.values()]) {
      if (!['starting', 'running', 'stopping'].includes(e.rec.state)) continue;
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

function sleepOrAbort(ms: number, signal?: AbortSignal, e?: Entry): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    if (e) (e.wakers ??= new Set()).add(done);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      e?.wakers?.delete(done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

