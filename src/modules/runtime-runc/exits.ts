// Exits and restarts: conmon writes a container's exit code into the exit directory; this layer
// turns it (or its absence, when the supervisor is gone) into the exited state, wakes waiters and
// log followers, and schedules a restart when the policy asks for one.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerInfo } from '../../contracts/containers.js';
import { readCgroup } from './cgroups.js';
import { activeStates, ContainersCore } from './core.js';
import type { Entry } from './entries.js';
import type { ContainerRecord } from './records.js';
import { faultPoint } from '../../kernel/faults.js';
import { decideRestart } from './restart.js';
import { reapContainer, supervisorAlive } from './supervision.js';

/** How long an exit may take to be reported after SIGKILL before the container is ended without the report. */
export const exitDeadlineMs = 10_000;

/** conmon's exit file holds the bare exit code; empty or unreadable means not (yet) reported. */
export function parseExitCode(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : undefined;
}

export abstract class ContainerExits extends ContainersCore {
  protected abstract startLocked(e: Entry, isRestart: boolean): Promise<ContainerInfo>;
  abstract remove(idOrName: string, opts?: { force?: boolean }): Promise<void>;

  /** Called when conmon's exit file for `id` may have appeared. */
  protected async onExitFile(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e || !activeStates.includes(e.rec.state)) return;
    await this.locked(e, () => this.handleExit(e));
  }

  protected async readExitCode(id: string): Promise<number | undefined> {
    return parseExitCode(await readFile(path.join(this.d.runc.o.exitDir, id), 'utf8').catch(() => undefined));
  }

  /** `lost`: why no exit will be reported (the supervisor died, the daemon was down); then whatever is left is ended. */
  protected async handleExit(e: Entry, lost?: string): Promise<void> {
    const rec = e.rec;
    if (!activeStates.includes(rec.state)) return;
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
    // The exit file stays until the exit is recorded: a daemon killed before that reads the code from it at boot.
    const exitFile = path.join(this.d.runc.o.exitDir, rec.id);
    const decision = decideRestart({
      policy: rec.spec.restart,
      exitCode,
      stoppedByUser: rec.stoppedByUser,
      restartCount: rec.restartCount,
      backoffStep: rec.backoffStep,
      startedAt: Date.parse(rec.startedAt ?? rec.createdAt),
      finishedAt: this.now(),
    });
    // A container that stays down gives back its host ports and address (as Docker's does); a
    // start attaches it again. One about to restart keeps them.
    if (!(decision.restart && !this.closed)) await this.releaseNetwork(rec);
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
    const restarting = decision.restart && !this.closed;
    if (restarting) {
      rec.backoffStep = decision.nextBackoffStep;
      rec.restartAt = new Date(this.now() + decision.delayMs).toISOString();
      this.scheduleRestart(e, decision.delayMs);
    } else {
      this.d.admission.release(`container/${rec.id}`);
      if (rec.spec.autoRemove) {
        await this.save(rec);
        await rm(exitFile, { force: true });
        if (e.holds > 0) e.removeWhenReleased = true;
        else void this.remove(rec.id, { force: true }).catch((err) => this.d.log.warn({ err }, `auto-remove ${rec.name}`));
        return;
      }
    }
    await this.save(rec);
    // (A restart's start removes it itself, before it makes the next one.)
    if (!restarting) await rm(exitFile, { force: true });
  }

  /** Undoes the network attachment of a container that stays down; a failure is logged and left to removal (detach is idempotent). */
  protected async releaseNetwork(rec: ContainerRecord): Promise<void> {
    if (!rec.network && !rec.networkIntent) return;
    try {
      faultPoint('containers.exit.network');
      if (rec.network) await this.d.network().detach(rec.id, rec.network);
      else await this.d.network().detach(rec.id);
      rec.network = undefined;
      rec.networkIntent = undefined;
    } catch (err) {
      this.d.log.warn({ err }, `releasing the network of exited container ${rec.name}`);
    }
  }

  protected scheduleRestart(e: Entry, delayMs: number): void {
    if (e.restartTimer) clearTimeout(e.restartTimer);
    e.restartTimer = setTimeout(() => {
      e.restartTimer = undefined;
      if (this.closed || !this.entries.has(e.rec.id) || !e.rec.restartAt) return;
      void this.locked(e, () => this.startLocked(e, true)).catch((err) => this.d.log.warn({ err }, `restart of ${e.rec.name} failed`));
    }, delayMs);
    e.restartTimer.unref();
  }

  protected exited(e: Entry): Promise<{ exitCode: number; oomKilled: boolean }> {
    if (!activeStates.includes(e.rec.state)) return Promise.resolve({ exitCode: e.rec.exitCode ?? 0, oomKilled: e.rec.oomKilled });
    return new Promise((resolve) => e.waiters.push(resolve));
  }

  /**
   * Waits for the exit, with a deadline: SIGKILL after `killAfterMs`, and when even that is not
   * reported within `exitDeadlineMs` (or the supervisor is dead) the container is ended and
   * marked exited with the reason. Checks the exit file too, in case the watcher missed it.
   */
  protected async waitExit(e: Entry, done: Promise<unknown>, killAfterMs: number): Promise<void> {
    const start = Date.now();
    const ended = () => !activeStates.includes(e.rec.state) || !this.entries.has(e.rec.id);
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

  /** Ends a running container whose conmon is gone (nobody would report its exit); true when it did. */
  protected endIfUnsupervised(e: Entry): Promise<boolean> {
    return this.locked(e, async () => {
      if (!['running', 'stopping'].includes(e.rec.state) || (await supervisorAlive(this.d.store.dir(e.rec.id), e.rec.id))) return false;
      await this.handleExit(e, 'its supervisor (conmon) died, so its exit code is unknown; what was left of it was killed');
      return true;
    });
  }
}
