// Stop, kill and remove. Removal marks the record first (removing) and tears down every host
// resource idempotently, so a removal cut short by a crash is finished at the next boot.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerInfo } from '../../contracts/containers.js';
import { FailedPrecondition } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { removeCgroup } from './cgroups.js';
import { activeStates } from './core.js';
import { ContainerLifecycle } from './lifecycle.js';
import type { ContainerRecord } from './records.js';
import { normalizeSignal, userStopSignals } from './status.js';
import { removeCgroupBounded } from './supervision.js';

/** Waits for every part (each runs even when another fails), then throws the first failure. */
export async function settleAll(parts: Array<Promise<unknown>>): Promise<void> {
  const settled = await Promise.allSettled(parts);
  const failed = settled.find((p): p is PromiseRejectedResult => p.status === 'rejected');
  if (failed) throw failed.reason;
}

export abstract class ContainerStopping extends ContainerLifecycle {
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
    const grace = Math.max(0, opts.timeoutSeconds ?? rec.spec.stopTimeout ?? 10);
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

  async kill(idOrName: string, signal?: string): Promise<void> {
    const e = this.entry(idOrName);
    const sig = normalizeSignal(signal);
    if (!activeStates.includes(e.rec.state)) throw new FailedPrecondition(`container ${e.rec.name} is not running`);
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
    if (activeStates.includes(rec.state)) {
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
  protected async teardown(rec: ContainerRecord): Promise<void> {
    this.d.admission.release(`container/${rec.id}`);
    faultPoint('containers.remove.runc-delete');
    if (await this.d.runc.known(rec.id)) await this.d.runc.delete(rec.id, true);
    // Independent parts go in parallel; every part runs even when another fails.
    await settleAll([
      (async () => {
        faultPoint('containers.remove.cgroup');
        // Anything still in the cgroup (runc lost the container) is killed first: rmdir needs it empty.
        await removeCgroupBounded(this.d, rec.cgroupsPath);
        // The per-daemon parent goes with its last container (rmdir refuses while others remain).
        await this.cgroupParent.removeIfUnused(() => removeCgroup(this.d.cgroupVersion, path.dirname(rec.cgroupsPath)));
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
      this.releaseVolumes(rec),
    ]);
    faultPoint('containers.remove.bundle');
    await this.d.store.removeDir(rec.id);
  }
}
