// Boot stage 2: what this host offers. Every check is cheap and runs in parallel; nothing here
// throws: a missing facility is recorded as absent, and modules decide whether they can work.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { access, mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import os from 'node:os';
import type { BinaryInfo, HostProbe } from '../contracts/system.js';

export type { BinaryInfo, HostProbe };

const run = promisify(execFile);

const searchPath = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export async function which(name: string): Promise<string | null> {
  const dirs = [...new Set([...(process.env.PATH ?? '').split(':').filter(Boolean), ...searchPath])];
  for (const d of dirs) {
    const p = `${d}/${name}`;
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      /* keep looking */
    }
  }
  return null;
}

/**
 * Versions already asked, by binary path, size and mtime: forking each binary for `--version` was
 * most of the probe stage of every boot. Kept in /run (root only, gone at reboot, as are the facts).
 */
const VERSION_CACHE = '/run/llmos/host-probe.json';
type VersionCache = Record<string, string>;

async function readVersionCache(): Promise<VersionCache> {
  if (process.getuid?.() !== 0) return {};
  try {
    const v: unknown = JSON.parse(await readFile(VERSION_CACHE, 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as VersionCache) : {};
  } catch {
    return {};
  }
}

async function writeVersionCache(cache: VersionCache): Promise<void> {
  if (process.getuid?.() !== 0) return;
  try {
    await mkdir('/run/llmos', { recursive: true, mode: 0o755 });
    const tmp = `${VERSION_CACHE}.${process.pid}`;
    await writeFile(tmp, JSON.stringify(cache), { mode: 0o644 });
    await rename(tmp, VERSION_CACHE);
  } catch {
    /* no cache: the next boot asks again */
  }
}

async function binary(name: string, cache: VersionCache, versionArgs: string[] = ['--version']): Promise<BinaryInfo> {
  const path = await which(name);
  if (!path) return { path: null, version: null };
  const st = await stat(path).catch(() => null);
  const key = st ? `${path}:${st.size}:${st.mtimeMs}` : '';
  const known = key ? cache[key] : undefined;
  if (typeof known === 'string') return { path, version: known };
  let version: string | null = null;
  try {
    const { stdout, stderr } = await run(path, versionArgs, { timeout: 2000 });
    version = /(\d+\.\d+(\.\d+)?)/.exec(stdout || stderr)?.[1] ?? null;
  } catch {
    /* present but not answering: no version */
  }
  if (key && version) cache[key] = version; // a failure (a timeout under load) is asked again next boot
  return { path, version };
}

async function probeCgroup(): Promise<HostProbe['cgroup']> {
  const root = '/sys/fs/cgroup';
  try {
    const v2 = await readFile(`${root}/cgroup.controllers`, 'utf8');
    return { version: 2, controllers: v2.trim().split(/\s+/).filter(Boolean), root };
  } catch {
    /* not pure v2 */
  }
  try {
    const mounts = await readFile('/proc/self/mounts', 'utf8');
    const v1 = new Set<string>();
    let unified = false;
    for (const line of mounts.split('\n')) {
      const [, mnt, type, opts] = line.split(' ');
      if (type === 'cgroup2' && mnt?.startsWith(root)) unified = true;
      if (type === 'cgroup' && opts)
        for (const o of opts.split(',')) if (['cpu', 'cpuacct', 'memory', 'pids', 'cpuset', 'blkio', 'freezer', 'devices', 'hugetlb', 'net_cls', 'perf_event'].includes(o)) v1.add(o);
    }
    if (v1.size === 0) return { version: unified ? 2 : 'none', controllers: [], root };
    return { version: unified ? 'hybrid' : 1, controllers: [...v1].sort(), root };
  } catch {
    return { version: 'none', controllers: [], root };
  }
}

async function probeCni(): Promise<HostProbe['cni']> {
  for (const dir of ['/usr/lib/cni', '/opt/cni/bin', '/usr/libexec/cni']) {
    try {
      const plugins = (await readdir(dir)).sort();
      if (plugins.includes('bridge')) return { dir, plugins };
    } catch {
      /* next */
    }
  }
  return { dir: null, plugins: [] };
}

export async function probeHost(): Promise<HostProbe> {
  const cache = await readVersionCache();
  const known = Object.keys(cache).length;
  const [cgroup, namespaces, filesystems, runc, conmon, iptables, catatonit, cni] = await Promise.all([
    probeCgroup(),
    readdir('/proc/self/ns').catch(() => [] as string[]),
    readFile('/proc/filesystems', 'utf8').catch(() => ''),
    binary('runc', cache),
    binary('conmon', cache),
    binary('iptables', cache),
    binary('catatonit', cache),
    probeCni(),
  ]);
  if (Object.keys(cache).length !== known) await writeVersionCache(cache);
  return {
    kernel: os.release(),
    arch: os.arch(),
    cpus: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    cgroup,
    namespaces: namespaces.filter((n) => !n.endsWith('_for_children')).sort(),
    overlayfs: /\toverlay\n/.test(filesystems),
    binaries: { runc, conmon, iptables, catatonit },
    cni,
    root: process.getuid?.() === 0,
  };
}
