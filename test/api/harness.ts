// The API in-process for route tests: a real kernel (temp data dir, a fixed host probe) with the
// real modules that need no root, and a fake of the containers contract in place of runc. Requests
// go through fastify.inject (the API module's own Fastify instance; no client socket).
import { iotModule } from '../../src/modules/iot/module.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { Kinds } from '../../src/contracts/kinds.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { Registry } from '../../src/kernel/registry.js';
import { silentLogger } from '../../src/kernel/log.js';
import type { HostProbe } from '../../src/kernel/probe.js';
import type { AnyModuleDef } from '../../src/kernel/module.js';
import type { ApiModule } from '../../src/modules/api/module.js';
import { apiModule } from '../../src/modules/api/module.js';
import { sqliteStoreModule } from '../../src/modules/state-store/module.js';
import { eventsStoreModule } from '../../src/modules/events-store/module.js';
import { schedulerModule } from '../../src/modules/scheduler/module.js';
import { monitorModule } from '../../src/modules/monitor/module.js';
import { imagesModule } from '../../src/modules/images/module.js';
import { dashboardModule } from '../../src/modules/dashboard/module.js';
import { functionsModule } from '../../src/modules/functions/module.js';
import { gatewayModule } from '../../src/modules/gateway/module.js';
import { servicesModule } from '../../src/modules/services/module.js';
import { autoscalerModule } from '../../src/modules/autoscaler/module.js';
import { volumesModule } from '../../src/modules/volumes/module.js';
import { clusterModule } from '../../src/modules/cluster/module.js';
import { fakeContainers, fakeContainersModule } from './fake-containers.js';
import { fakeNetworksModule } from './fake-networks.js';

// Answers with a field their schema does not declare fail here (a 500), so the document stays whole.
process.env.LLMOS_STRICT_RESPONSES = '1';

export const Mi = 2 ** 20;
export const host: HostProbe = {
  kernel: 'test', arch: 'x64', cpus: 2, memoryBytes: 2048 * Mi,
  cgroup: { version: 2, controllers: ['cpu', 'memory', 'pids'], root: '/sys/fs/cgroup' }, namespaces: ['net', 'pid', 'mnt'], overlayfs: true,
  binaries: { runc: { path: null, version: null }, conmon: { path: null, version: null }, iptables: { path: null, version: null }, catatonit: { path: null, version: null } },
  cni: { dir: null, plugins: [] }, root: false,
};

export interface ApiRig {
  kernel: Kernel;
  dataDir: string;
  containers: ReturnType<typeof fakeContainers>;
  /** An authenticated request (the token is added). */
  req(method: InjectOptions['method'], url: string, payload?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  token: string;
  close(): Promise<void>;
}

/** Every module the routes serve that runs without root; `without` leaves some out (to see 503s). */
export const rigModules = (containers: ReturnType<typeof fakeContainers>): AnyModuleDef[] => [
  sqliteStoreModule(), eventsStoreModule(), apiModule(), schedulerModule(), monitorModule(), fakeContainersModule(containers), imagesModule(), dashboardModule(),
  functionsModule(), gatewayModule(), servicesModule(), autoscalerModule(), volumesModule(), iotModule(), clusterModule(), fakeNetworksModule(),
] as AnyModuleDef[];

export async function startRig(opts: { without?: string[]; config?: Record<string, unknown> } = {}): Promise<ApiRig> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-api-'));
  const containers = fakeContainers();
  const modules = rigModules(containers).filter((d) => !(opts.without ?? []).includes(d.kind));
  const kernel = new Kernel({
    dataDir, registry: Registry.of(modules), log: silentLogger(), probe: async () => host,
    config: { listen: '127.0.0.1:0', gateway: '127.0.0.1:0', modules: { monitor: { periodMs: 60_000 }, ...opts.config } },
  });
  try {
    await kernel.boot();
  } catch (e) {
    await kernel.shutdown().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const api = kernel.getSingle<ApiModule>(Kinds.api);
  return {
    kernel, dataDir, containers, token: api.token,
    req: (method, url, payload, headers = {}) =>
      api.app.inject({ method, url, headers: { authorization: `Bearer ${api.token}`, ...headers }, ...(payload !== undefined ? { payload: payload as InjectOptions['payload'] } : {}) }),
    async close() {
      await kernel.shutdown();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
