// The runtime rig for container suites: the real runtime (runc, conmon, cgroups, CNI) with a
// small inline stand-in for the images module (a busybox-static tree), so suites test the runtime
// alone. `prepareRootfs` lets a suite plant hostile files in each root filesystem.
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, rm, symlink, writeFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ImageRecord, ImageRunConfig } from '../../src/contracts/images.js';
import { NotFound } from '../../src/kernel/errors.js';
import { EventBus } from '../../src/kernel/events.js';
import { ResourceLedger } from '../../src/kernel/ledger.js';
import { silentLogger } from '../../src/kernel/log.js';
import { WorkloadTable } from '../../src/kernel/workloads.js';
import { CniNetwork, daemonTag } from '../../src/modules/network/cni-network.js';
import { detectCgroupVersion } from '../../src/modules/runtime-runc/cgroups.js';
import { RuncContainers, type ImagesPort } from '../../src/modules/runtime-runc/containers.js';
import { nofileHardLimit } from '../../src/modules/runtime-runc/module.js';
import { RecordStore } from '../../src/modules/runtime-runc/records.js';
import { containerAdmission } from '../../src/modules/runtime-runc/admission.js';
import { Runc } from '../../src/modules/runtime-runc/runc.js';
import { assertNoLeaks } from '../support/leaks.js';

export interface RigOptions {
  ledgerCap?: { cpu: number; memory: number; pids: number };
  config?: ImageRunConfig;
  /** Runs on every new root filesystem after the busybox tree is in place. */
  prepareRootfs?: (root: string) => Promise<void>;
  exitCheckMs?: number;
}

export const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : !existsSync('/bin/busybox') ? 'busybox-static missing' : false;

/** Narrow stand-in for the images module: every image is busybox with the given run config. */
export function busyboxImages(dir: string, config: ImageRunConfig, prepareRootfs?: (root: string) => Promise<void>): ImagesPort {
  const image: ImageRecord = { id: 'sha256:busybox', digest: 'sha256:busybox', repoTags: ['busybox:test'], size: 0, platform: { os: 'linux', architecture: 'amd64' }, config, layers: [] };
  const roots = path.join(dir, 'rootfs');
  return {
    async get(ref) {
      if (ref.includes('missing')) throw new NotFound(`image ${ref} not found`);
      return image;
    },
    async pull(ref) {
      throw new NotFound(`image ${ref} not found in its registry`);
    },
    async createRootfs(_ref, id) {
      const root = path.join(roots, id);
      for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev']) await mkdir(path.join(root, d), { recursive: true });
      await copyFile('/bin/busybox', path.join(root, 'bin', 'busybox'));
      await chmod(path.join(root, 'bin', 'busybox'), 0o755);
      for (const a of ['sh', 'echo', 'cat', 'sleep', 'true', 'dd', 'env', 'id', 'nc', 'httpd', 'hostname', 'ip', 'wget', 'trap', 'head']) await symlink('busybox', path.join(root, 'bin', a)).catch(() => undefined);
      await writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
      await prepareRootfs?.(root);
      return { path: root, image };
    },
    async removeRootfs(id) {
      await rm(path.join(roots, id), { recursive: true, force: true });
    },
    async listRootfs() {
      return readdir(roots).catch(() => []);
    },
  };
}

export interface Rig {
  api: RuncContainers;
  workloads: WorkloadTable;
  ledger: ResourceLedger;
  events: EventBus;
}

export async function rig(dir: string, o: RigOptions = {}): Promise<Rig> {
  const ledgerCap = o.ledgerCap ?? { cpu: 2000, memory: 8 * 2 ** 30, pids: 32768 };
  const events = new EventBus();
  const workloads = new WorkloadTable(events);
  const ledger = new ResourceLedger(ledgerCap);
  const tag = daemonTag(dir);
  const network = new CniNetwork({ name: 'llmos', bridge: 'llmos0', subnet: '10.89.0.0/16', ipamDir: '/var/lib/cni/networks', pluginDir: '/usr/lib/cni', tag });
  const runc = new Runc({ runc: '/usr/sbin/runc', conmon: '/usr/bin/conmon', root: path.join(dir, 'runc'), exitDir: path.join(dir, 'exits'), socketDir: path.join(dir, 'sock') });
  const api = new RuncContainers({
    runc,
    store: new RecordStore(path.join(dir, 'containers')),
    images: () => busyboxImages(dir, o.config ?? { cmd: ['/bin/sh'], env: ['PATH=/bin'] }, o.prepareRootfs),
    network: () => network,
    workloads,
    admission: containerAdmission(ledger, () => undefined),
    events,
    log: silentLogger(),
    cgroupVersion: await detectCgroupVersion(),
    tag,
    initBinary: existsSync('/usr/bin/catatonit') ? '/usr/bin/catatonit' : undefined,
    nofileHardLimit: await nofileHardLimit(),
    hostMemory: os.totalmem(),
  });
  await api.adopt();
  return { api, workloads, ledger, events };
}

export async function collect(it: AsyncIterable<{ text: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of it) out.push(l.text);
  return out;
}


/** Teardown of a rig: removes every container, then asserts nothing of it is left on the host and deletes dir. */
export async function closeRig(r: Rig, dir: string): Promise<void> {
  for (const c of await r.api.list({ all: true })) await r.api.remove(c.id, { force: true }).catch(() => undefined);
  r.api.close();
  try {
    await assertNoLeaks(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
