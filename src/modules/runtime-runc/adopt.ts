// Boot: re-adopts the containers that kept running while the daemon was down, ends those whose
// exit was lost, finishes interrupted creates and removals, and removes what no record owns.
import { watch } from 'node:fs';
import type { WorkloadState } from '../../kernel/workloads.js';
import { errorMessage } from '../../kernel/errors.js';
import { containerRequests } from './admission.js';
import { activeStates } from './core.js';
import { newEntry } from './entries.js';
import type { ContainerRecord } from './records.js';
import { ContainerStopping } from './stop.js';
import { hasProcesses, reapContainer, supervisorAlive, sweepOrphans } from './supervision.js';

/** Why an active container found at boot cannot be adopted (its exit will never be reported). */
export function lostReason(state: WorkloadState, runcKnows: boolean, supervised: boolean): string {
  return state === 'starting' ? 'its start was cut short by a daemon restart'
    : !runcKnows ? 'runc lost its state while the daemon was down; what was left of it was killed'
    : !supervised ? 'its supervisor (conmon) died while the daemon was down; what was left of it was killed'
    : 'it ended while the daemon was down and its exit code was lost';
}

export abstract class ContainerAdoption extends ContainerStopping {
  async adopt(): Promise<{ adopted: number; ended: number; leftovers: string[] }> {
    await this.d.runc.init();
    const { records, strayDirs } = await this.d.store.loadAll();
    let adopted = 0;
    let ended = 0;
    // Networks only intended (a crash during attach) are not recorded: they go first, before any
    // restart below could make a namespace of the same name.
    const leftovers = await this.d.network().removeLeftovers(new Set(records.filter((r) => r.network && !r.removing && !r.creating).map((r) => r.id)));
    for (const rec of records) {
      const e = newEntry(rec);
      this.entries.set(rec.id, e);
      if (rec.removing || rec.creating) {
        // A removal is finished; a create that never returned is undone (it was not acknowledged).
        await this.teardown(rec).catch((err) => this.d.log.warn({ err }, `finishing removal of ${rec.name}`));
        this.entries.delete(rec.id);
        leftovers.push(`container ${rec.name} (${rec.removing ? 'removal' : 'create'} interrupted)`);
        continue;
      }
      const wasActive = activeStates.includes(rec.state);
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
      // runc reports a frozen container as paused: a user's pause (a copy's freeze was thawed before adoption), still alive.
      if ((st?.status === 'running' || st?.status === 'paused') && supervised && (await this.readExitCode(rec.id)) === undefined) {
        rec.pid = st.pid;
        if (st.status === 'paused' && !rec.paused) {
          rec.paused = true;
          await this.save(rec);
        }
        if (rec.state === 'starting') {
          // Started, but the daemon died before recording it: it runs, so it is adopted as running.
          rec.state = 'running';
          rec.startedAt ??= new Date(this.now()).toISOString();
          this.d.workloads.transition(rec.id, 'running');
          await this.save(rec);
        }
        adopted++;
        this.publish('adopt', rec, `re-adopted (pid ${st.pid})`);
        // A stop was under way when the daemon died: finish it (its grace is over) before the boot
        // goes on, so no client sees it stuck "stopping" (its exit now also releases its network).
        if (rec.state === 'stopping') await this.d.runc.kill(rec.id, 'KILL', true).then(() => this.waitExit(e, this.exited(e), 0)).catch((err) => this.d.log.warn({ err }, `finishing the stop of ${rec.name}`));
        continue;
      }
      ended++;
      await this.handleExit(e, lostReason(rec.state, st !== undefined, supervised));
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

  protected allocateOnAdopt(rec: ContainerRecord): void {
    try {
      this.d.admission.admit(`container/${rec.id}`, rec.spec, `container/${rec.name}`);
    } catch (err) {
      // It runs already: record it as over-committed rather than kill it.
      this.d.log.warn(`container ${rec.name} re-adopted beyond the node's allocatable: ${errorMessage(err)}`);
    }
  }

  protected watchExits(): void {
    try {
      this.watcher = watch(this.d.runc.o.exitDir, (_ev, file) => {
        if (file) void this.onExitFile(String(file)).catch((err) => this.d.log.warn({ err }, 'exit handling failed'));
      });
    } catch (err) {
      this.d.log.warn({ err }, 'cannot watch the exit directory; relying on the periodic check');
    }
  }

}
