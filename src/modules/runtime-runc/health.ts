// Health checks of running containers (Docker's --health-cmd and friends): the check runs through
// the exec path every interval; the state goes starting -> healthy, or unhealthy after `retries`
// failures in a row (failures in the start period do not count). The last 5 results are kept for
// `inspect` (Docker's State.Health) and the status shows in `ps` ("Up 5 seconds (healthy)"). A
// check that outlives its timeout is killed with every process it started, so none is left
// behind. The state is also written to the container's directory after each check, so a restarted
// daemon that re-adopts the container keeps its status and log and goes on checking (as dockerd
// keeps State.Health in the container's state on disk).
import { readFile, rm } from 'node:fs/promises';
import type { ContainerHealth, ContainerInfo, Healthcheck } from '../../contracts/containers.js';
import type { ContainersDeps } from './core.js';
import { RuncContainerCopy } from './copy.js';
import type { Entry } from './entries.js';
import type { ContainerRecord } from './records.js';
import { replaceFile } from '../../kernel/replace-file.js';

type SavedHealth = ContainerHealth & { startedAt: string };

interface HealthState extends ContainerHealth {
  /** The run it belongs to: a restart begins again. */
  startedAt: string;
  nextAt: number;
  running: boolean;
  seq: number;
}

const defaults = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0 };
const keepResults = 5;
const maxOutput = 4096;
const tickMs = 200;
const stateFile = 'health.json';

/** The command of a Docker health test, or undefined for none (["NONE"], or no test). */
export function healthCommand(h: Healthcheck | undefined): string[] | undefined {
  if (!h?.test.length) return undefined;
  const [kind, ...rest] = h.test;
  if (kind === 'CMD' && rest.length) return rest;
  if (kind === 'CMD-SHELL' && rest.length) return ['/bin/sh', '-c', rest.join(' ')];
  return undefined;
}

/** Docker's ps suffix: "(healthy)", "(unhealthy)", "(health: starting)". */
export const healthSuffix = (h: ContainerHealth): string => (h.status === 'starting' ? '(health: starting)' : `(${h.status})`);

export class RuncContainerHealth extends RuncContainerCopy {
  private readonly healthStates = new Map<string, HealthState>();
  private readonly healthTimer: NodeJS.Timeout;
  private adopting = false;

  constructor(d: ContainersDeps) {
    super(d);
    this.healthTimer = setInterval(() => this.healthTick(), tickMs);
    this.healthTimer.unref();
  }

  protected override info(rec: ContainerRecord): ContainerInfo {
    const base = super.info(rec);
    const st = this.healthStates.get(rec.id);
    if (!st || base.state !== 'running' || st.startedAt !== rec.startedAt) return base;
    const health: ContainerHealth = { status: st.status, failingStreak: st.failingStreak, log: st.log.map((r) => ({ ...r })) };
    return { ...base, health, status: `${base.status} ${healthSuffix(health)}` };
  }

  private healthTick(): void {
    if (this.adopting) return;
    const now = this.now();
    for (const [id, st] of this.healthStates) {
      const e = this.entries.get(id);
      if (!st.running && (!e || e.rec.state !== 'running' || e.rec.startedAt !== st.startedAt)) this.healthStates.delete(id);
    }
    for (const e of this.entries.values()) {
      const rec = e.rec;
      const cmd = healthCommand(rec.spec.healthcheck);
      if (!cmd || rec.state !== 'running' || !rec.startedAt) continue;
      const h = { ...defaults, ...stripUndefined(rec.spec.healthcheck!) };
      let st = this.healthStates.get(rec.id);
      if (!st || st.startedAt !== rec.startedAt) {
        if (st?.running) continue; // the last run's check is still being killed
        st = { status: 'starting', failingStreak: 0, log: [], startedAt: rec.startedAt, nextAt: now + h.intervalMs, running: false, seq: 0 };
        this.healthStates.set(rec.id, st);
      }
      if (st.running || rec.paused || now < st.nextAt) continue;
      st.running = true;
      void this.runCheck(e, st, cmd, h).finally(() => {
        st.running = false;
        st.nextAt = this.now() + h.intervalMs;
      });
    }
  }

  private async runCheck(e: Entry, st: HealthState, cmd: string[], h: typeof defaults): Promise<void> {
    const rec = e.rec;
    const start = new Date(this.now());
    const pidFile = this.d.store.file(rec.id, `health-${++st.seq}.pid`);
    let timedOut = false;
    let ended = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // Under load runc may not have written the pid file yet: try again until the exec ends.
      void (async () => {
        while (!ended && !(await this.killCheck(rec.id, pidFile))) await new Promise((r) => setTimeout(r, 100));
      })();
    }, h.timeoutMs);
    let exitCode: number;
    let output: string;
    try {
      const r = await this.d.runc.exec(rec.id, cmd, { pidFile });
      exitCode = r.exitCode;
      output = r.stdout + r.stderr;
    } catch (err) {
      exitCode = -1;
      output = (err as Error).message;
    } finally {
      ended = true;
      clearTimeout(timer);
      await rm(pidFile, { force: true });
    }
    if (timedOut) {
      exitCode = -1;
      output = `Health check exceeded timeout (${h.timeoutMs / 1000}s)`;
    }
    if (rec.state !== 'running' || rec.startedAt !== st.startedAt) return; // it ended meanwhile
    st.log.push({ start: start.toISOString(), end: new Date(this.now()).toISOString(), exitCode, output: output.slice(0, maxOutput) });
    if (st.log.length > keepResults) st.log.splice(0, st.log.length - keepResults);
    const before = st.status;
    if (exitCode === 0) {
      st.failingStreak = 0;
      st.status = 'healthy';
    } else if (this.now() - Date.parse(st.startedAt) >= h.startPeriodMs) {
      st.failingStreak++;
      if (st.failingStreak >= Math.max(1, h.retries)) st.status = 'unhealthy';
    }
    if (st.status !== before) this.publish('health_status', rec, `is ${st.status}`, { health: st.status });
    await this.saveHealth(rec.id, st);
  }

  /** Written whole and renamed into place: a daemon killed mid-write leaves the previous state. */
  private async saveHealth(id: string, st: HealthState): Promise<void> {
    const file = this.d.store.file(id, stateFile);
    const saved: SavedHealth = { startedAt: st.startedAt, status: st.status, failingStreak: st.failingStreak, log: st.log };
    try {
      await replaceFile(file, JSON.stringify(saved));
    } catch (err) {
      // A removed container's directory is gone: nothing to keep then.
      if (this.entries.has(id)) this.d.log.warn({ err }, `saving the health state of container ${id}`);
    }
  }

  /** The kept state of each re-adopted container, for the run it belongs to (a later run begins again). */
  private async loadHealth(): Promise<void> {
    for (const e of this.entries.values()) {
      const rec = e.rec;
      if (rec.state !== 'running' || !rec.startedAt || !healthCommand(rec.spec.healthcheck)) continue;
      const text = await readFile(this.d.store.file(rec.id, stateFile), 'utf8').catch(() => undefined);
      if (!text) continue;
      let saved: SavedHealth;
      try {
        saved = JSON.parse(text) as SavedHealth;
      } catch (err) {
        this.d.log.warn({ err }, `the health state of ${rec.name} is unreadable; its checks begin again`);
        continue;
      }
      if (saved.startedAt !== rec.startedAt || !['starting', 'healthy', 'unhealthy'].includes(saved.status) || !Array.isArray(saved.log)) continue;
      const h = { ...defaults, ...stripUndefined(rec.spec.healthcheck!) };
      this.healthStates.set(rec.id, { status: saved.status, failingStreak: Number(saved.failingStreak) || 0, log: saved.log.slice(-keepResults), startedAt: rec.startedAt, nextAt: this.now() + h.intervalMs, running: false, seq: 0 });
    }
  }

  override async adopt(): Promise<{ adopted: number; ended: number; leftovers: string[] }> {
    // No check starts (from a fresh "starting") before the kept state is back.
    this.adopting = true;
    try {
      const r = await super.adopt();
      await this.loadHealth();
      return r;
    } finally {
      this.adopting = false;
    }
  }

  /** Kills a check's process and every process it started (its descendants in the container). */
  /** False when the check's pid is not known yet (its pid file is not written). */
  private async killCheck(id: string, pidFile: string): Promise<boolean> {
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    const pids = await this.d.runc.pids(id).catch(() => [] as number[]);
    if (!pid) return false;
    if (!pids.includes(pid)) return true; // gone already (its pid may be another process's by now)
    const parent = new Map<number, number>();
    for (const p of pids) {
      const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid) parent.set(p, ppid);
    }
    const doomed = new Set([pid]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [p, pp] of parent) {
        if (doomed.has(p) || !doomed.has(pp)) continue;
        doomed.add(p);
        grew = true;
      }
    }
    for (const p of doomed) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    return true;
  }

  override close(): void {
    clearInterval(this.healthTimer);
    super.close();
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
