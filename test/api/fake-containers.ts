// An in-process fake of the containers contract (kind llmos.containers.v1) for the API's route
// tests: the real module needs root (runc, cgroups, netns). It keeps records in memory, moves
// them through the contract's states, and runs nothing: every container has the same two log
// lines, and a running one exits 0 when it is waited for.
import { randomBytes } from 'node:crypto';
import { Kinds } from '../../src/contracts/kinds.js';
import type { ContainerInfo, ContainerSpec, ContainerStats, ContainersApi, LogLine } from '../../src/contracts/containers.js';
import { AlreadyExists, FailedPrecondition, NotFound } from '../../src/kernel/errors.js';
import type { ModuleDef } from '../../src/kernel/module.js';

export function fakeContainers(): ContainersApi & { records: Map<string, ContainerInfo> } {
  const records = new Map<string, ContainerInfo>();
  const find = (idOrName: string): ContainerInfo => {
    for (const c of records.values()) if (c.id === idOrName || c.name === idOrName || (idOrName.length >= 4 && c.id.startsWith(idOrName))) return c;
    throw new NotFound(`container ${idOrName} not found`);
  };
  const now = () => new Date().toISOString();
  const api = {
    records,
    async create(spec: ContainerSpec): Promise<ContainerInfo> {
      const id = randomBytes(32).toString('hex');
      const name = spec.name ?? `c-${id.slice(0, 8)}`;
      if ([...records.values()].some((c) => c.name === name)) throw new AlreadyExists(`container name ${name} is in use`);
      const c: ContainerInfo = {
        id, name, image: spec.image, imageId: 'sha256:' + '0'.repeat(64), namespace: spec.namespace ?? 'default', owner: spec.owner,
        state: 'created', status: 'Created', oomKilled: false, ports: (spec.ports ?? []).map((p) => ({ ...p, protocol: p.protocol ?? 'tcp' })),
        createdAt: now(), restartCount: 0, labels: spec.labels ?? {}, spec,
      };
      records.set(id, c);
      return c;
    },
    async start(idOrName: string): Promise<ContainerInfo> {
      const c = find(idOrName);
      if (c.state === 'running') throw new FailedPrecondition(`container ${c.name} is already running`);
      Object.assign(c, { state: 'running', status: 'Up Less than a second', pid: 4242, startedAt: now(), ip: '10.88.0.2' });
      return c;
    },
    async run(spec: ContainerSpec): Promise<ContainerInfo> {
      return api.start((await api.create(spec)).id);
    },
    async stop(idOrName: string): Promise<ContainerInfo> {
      const c = find(idOrName);
      Object.assign(c, { state: 'exited', status: 'Exited (0) Less than a second ago', exitCode: 0, finishedAt: now(), pid: undefined });
      return c;
    },
    async kill(idOrName: string, signal?: string): Promise<void> {
      const c = find(idOrName);
      if (c.state !== 'running') throw new FailedPrecondition(`container ${c.name} is not running`);
      Object.assign(c, { state: 'exited', status: `Exited (137) Less than a second ago`, exitCode: signal === 'TERM' ? 143 : 137, finishedAt: now() });
    },
    async remove(idOrName: string, opts: { force?: boolean } = {}): Promise<void> {
      const c = find(idOrName);
      if (c.state === 'running' && !opts.force) throw new FailedPrecondition(`container ${c.name} is running: stop it first or use force`);
      records.delete(c.id);
    },
    async inspect(idOrName: string): Promise<ContainerInfo> {
      return find(idOrName);
    },
    async list(opts: { all?: boolean; owner?: string; namespace?: string } = {}): Promise<ContainerInfo[]> {
      return [...records.values()].filter((c) => (opts.all || c.state === 'running') && (!opts.owner || c.owner === opts.owner) && (!opts.namespace || c.namespace === opts.namespace));
    },
    async *logs(idOrName: string, opts: { tail?: number } = {}): AsyncIterable<LogLine> {
      const c = find(idOrName);
      const lines: LogLine[] = [
        { time: c.createdAt, stream: 'stdout', text: `hello from ${c.name}` },
        { time: c.createdAt, stream: 'stderr', text: 'a warning' },
      ];
      for (const l of opts.tail !== undefined ? lines.slice(-opts.tail || lines.length) : lines) yield l;
    },
    async exec(idOrName: string, cmd: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
      const c = find(idOrName);
      if (c.state !== 'running') throw new FailedPrecondition(`container ${c.name} is not running`);
      return { exitCode: 0, stdout: cmd.join(' ') + '\n', stderr: '' };
    },
    async wait(idOrName: string): Promise<{ exitCode: number; oomKilled: boolean }> {
      const c = find(idOrName);
      if (c.state === 'running') await api.stop(c.id);
      return { exitCode: c.exitCode ?? 0, oomKilled: c.oomKilled };
    },
    async stats(idOrName: string): Promise<ContainerStats> {
      const c = find(idOrName);
      return { id: c.id, name: c.name, cpuPercent: 1.5, cpuUsageNs: 1_000_000, memoryUsage: 4 * 2 ** 20, memoryLimit: 64 * 2 ** 20, pids: 1 };
    },
  };
  return api;
}

export const fakeContainersModule = (api = fakeContainers()): ModuleDef<unknown, ContainersApi> => ({
  kind: Kinds.containers,
  id: 'fake',
  description: 'in-memory fake of the containers contract (tests)',
  init: () => api,
});
