// Docker's other life-cycle operations on a container: pause/unpause (the freezer cgroup),
// rename, top, update (limits), exec with a user and working directory.
import { readFile } from 'node:fs/promises';
import type { ContainerControlApi, ContainerInfo, ContainerLimits } from '../../contracts/containers.js';
import { AlreadyExists, FailedPrecondition, InvalidArgument } from '../../kernel/errors.js';
import { RuncContainers } from './containers.js';
import { cpuQuota, resolveUser } from './spec.js';
import { readFileInRoot } from './rootfs-files.js';
import { checkResources, checkRunFlags } from './spec-checks.js';
import os from 'node:os';

const nameRe = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

export class RuncContainerControl extends RuncContainers implements ContainerControlApi {
  private running(idOrName: string) {
    const e = this.entry(idOrName);
    if (e.rec.state !== 'running') throw new FailedPrecondition(`container ${e.rec.name} is not running`);
    return e;
  }

  async pause(idOrName: string): Promise<ContainerInfo> {
    const e = this.running(idOrName);
    return this.locked(e, async () => {
      if (e.rec.paused) throw new FailedPrecondition(`container ${e.rec.name} is already paused`);
      await this.d.runc.pause(e.rec.id);
      e.rec.paused = true;
      await this.save(e.rec);
      this.publish('pause', e.rec, 'paused');
      return this.info(e.rec);
    });
  }

  async unpause(idOrName: string): Promise<ContainerInfo> {
    const e = this.running(idOrName);
    return this.locked(e, async () => {
      if (!e.rec.paused) throw new FailedPrecondition(`container ${e.rec.name} is not paused`);
      await this.d.runc.resume(e.rec.id);
      e.rec.paused = undefined;
      await this.save(e.rec);
      this.publish('unpause', e.rec, 'unpaused');
      return this.info(e.rec);
    });
  }

  async rename(idOrName: string, newName: string): Promise<ContainerInfo> {
    const e = this.entry(idOrName);
    if (!nameRe.test(newName)) throw new InvalidArgument(`invalid container name ${JSON.stringify(newName)}: use letters, digits, _ . - (starting with a letter or digit)`);
    return this.locked(e, async () => {
      if ([...this.entries.values()].some((x) => x !== e && x.rec.name === newName)) throw new AlreadyExists(`container name ${newName} is already in use`);
      const old = e.rec.name;
      e.rec.name = newName;
      e.rec.spec = { ...e.rec.spec, name: newName };
      await this.save(e.rec);
      this.publish('rename', e.rec, `renamed from ${old}`, { oldName: old });
      return this.info(e.rec);
    });
  }

  async top(idOrName: string): Promise<{ titles: string[]; processes: string[][] }> {
    const e = this.running(idOrName);
    const pids = await this.d.runc.pids(e.rec.id);
    const processes: string[][] = [];
    for (const pid of pids) {
      const [status, cmdline] = await Promise.all([readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''), readFile(`/proc/${pid}/cmdline`).catch(() => Buffer.alloc(0))]);
      if (!status) continue;
      const field = (k: string) => new RegExp(`^${k}:\\s+(\\S+)`, 'm').exec(status)?.[1] ?? '?';
      processes.push([field('Uid'), String(pid), field('PPid'), cmdline.toString().split('\0').filter(Boolean).join(' ') || `[${field('Name')}]`]);
    }
    return { titles: ['UID', 'PID', 'PPID', 'CMD'], processes };
  }

  async update(idOrName: string, limits: ContainerLimits): Promise<ContainerInfo> {
    const e = this.entry(idOrName);
    const next = { ...e.rec.spec, ...limits };
    const host = { cpus: this.d.hostCpus ?? os.availableParallelism(), memory: this.d.hostMemory };
    checkResources(next, host);
    checkRunFlags(next, host);
    return this.locked(e, async () => {
      if (e.rec.state === 'running') {
        await this.d.runc.update(e.rec.id, {
          ...(limits.memory !== undefined ? { memory: limits.memory, memorySwap: limits.memorySwap ?? (next.memorySwap === -1 ? -1 : limits.memory) } : {}),
          ...(limits.cpus !== undefined ? { cpuQuota: cpuQuota(limits.cpus).quota, cpuPeriod: cpuQuota(limits.cpus).period } : {}),
          ...(limits.pidsLimit !== undefined ? { pidsLimit: limits.pidsLimit } : {}),
          ...(limits.cpuShares !== undefined ? { cpuShares: limits.cpuShares } : {}),
        });
      }
      e.rec.spec = next;
      await this.save(e.rec);
      this.publish('update', e.rec, `updated ${Object.keys(limits).join(', ')}`);
      return this.info(e.rec);
    });
  }

  override async exec(idOrName: string, cmd: string[], opts: { env?: Record<string, string>; timeoutMs?: number; user?: string; workingDir?: string } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const e = this.entry(idOrName);
    if (!cmd.length) throw new InvalidArgument('exec needs a command');
    if (e.rec.state !== 'running') throw new FailedPrecondition(`container ${e.rec.name} is not running`);
    if (e.rec.paused) throw new FailedPrecondition(`container ${e.rec.name} is paused: unpause it first`);
    if (opts.workingDir !== undefined && !opts.workingDir.startsWith('/')) throw new InvalidArgument(`working directory ${opts.workingDir} must be absolute`);
    let user: string | undefined;
    if (opts.user !== undefined) {
      // Names resolve in the image's own files, confined to its root (rootfs-files.ts).
      const [passwd, group] = await Promise.all(['etc/passwd', 'etc/group'].map((f) => readFileInRoot(e.rec.rootfs, f)));
      const u = resolveUser(opts.user, passwd, group);
      user = `${u.uid}:${u.gid}`;
    }
    return this.d.runc.exec(e.rec.id, cmd, { env: opts.env, timeoutMs: opts.timeoutMs, cwd: opts.workingDir, user });
  }
}
