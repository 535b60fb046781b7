// Health checks of running containers (Docker's --health-cmd and friends): the check runs through
// the exec path every interval; the state goes starting -> healthy, or unhealthy after `retries`
// failures in a row (failures in the start period do not count). The last 5 results are kept for
// `inspect` (Docker's State.Health) and the status shows in `ps` ("Up 5 seconds (healthy)"). A
// check that outlives its timeout is killed with every process it started, so none is left
// behind. The state is kept in memory: a restarted daemon begins again at "starting".
import { readFile, rm } from 'node:fs/promises';
import type { ContainerHealth, ContainerInfo, Healthcheck } from '../../contracts/containers.js';
import type { ContainersDeps } from './core.js';
import { RuncContainerCopy } from './copy.js';
import type { Entry } from './entries.js';
import type { ContainerRecord } from './records.js';

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
    const timer = setTimeout(() => {
      timedOut = true;
      void this.killCheck(rec.id, pidFile);
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
  }

  /** Kills a check's process and every process it started (its descendants in the container). */
  private async killCheck(id: string, pidFile: string): Promise<void> {
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    const pids = await this.d.runc.pids(id).catch(() => [] as number[]);
    if (!pid) return;
    if (!pids.includes(pid)) return; // gone already (its pid may be another process's by now)
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
  }

  override close(): void {
    clearInterval(this.healthTimer);
    super.close();
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
