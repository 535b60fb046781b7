// A container's OCI bundle: config.json and the /etc/hosts, /etc/hostname and /etc/resolv.conf it
// bind-mounts, written in the container's record directory. The only reads from the image's root
// are its passwd and group, confined to that root (rootfs-files.ts).
import { readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ContainerSpec } from '../../contracts/containers.js';
import type { ImageRecord } from '../../contracts/images.js';
import { InvalidArgument } from '../../kernel/errors.js';
import type { ContainerRecord } from './records.js';
import { readFileInRoot } from './rootfs-files.js';
import { buildSpec, resolveUser } from './spec.js';
import { capabilitiesOfMask, type DeviceNode } from './spec-flags.js';

export interface BundleDeps {
  tag: string;
  initBinary?: string;
  nofileHardLimit: number;
}

/** --hostname, else the id's start (the host's name on the host network), as Docker. */
export function containerHostname(rec: Pick<ContainerRecord, 'id' | 'spec'>): string {
  if (rec.spec.hostname) return rec.spec.hostname;
  return (rec.spec.network ?? 'bridge') === 'host' ? os.hostname() : rec.id.slice(0, 12);
}

/** /etc/resolv.conf: the host's, or --dns/--dns-search in its place. */
export async function resolvConf(spec: ContainerSpec): Promise<string> {
  if ((spec.network ?? 'bridge') === 'none') return '';
  const host = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  if (!spec.dns?.length && !spec.dnsSearch?.length) return host;
  const kept = host.split('\n').filter((l) => !(spec.dns?.length && /^\s*nameserver\b/.test(l)) && !(spec.dnsSearch?.length && /^\s*(search|domain)\b/.test(l)));
  return [...(spec.dnsSearch?.length ? [`search ${spec.dnsSearch.join(' ')}`] : []), ...(spec.dns ?? []).map((d) => `nameserver ${d}`), ...kept.filter(Boolean), ''].join('\n');
}

async function deviceNodes(spec: ContainerSpec): Promise<DeviceNode[]> {
  const out: DeviceNode[] = [];
  for (const d of spec.devices ?? []) {
    const st = await stat(d.hostPath).catch(() => undefined);
    if (!st || (!st.isCharacterDevice() && !st.isBlockDevice())) throw new InvalidArgument(`--device ${d.hostPath}: not a device on this host`);
    out.push({ path: d.containerPath, type: st.isCharacterDevice() ? 'c' : 'b', major: Math.floor(st.rdev / 256) & 0xfff, minor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00), fileMode: st.mode & 0o777, access: d.permissions });
  }
  return out;
}

let hostCaps: Promise<string[] | undefined> | undefined;
/** This process's bounding set (a container cannot get more); undefined when unreadable. */
function hostCapabilities(): Promise<string[] | undefined> {
  hostCaps ??= readFile('/proc/self/status', 'utf8').then((t) => {
    const m = /^CapBnd:\s+([0-9a-f]+)$/m.exec(t);
    return m ? capabilitiesOfMask(m[1]!) : undefined;
  }, () => undefined);
  return hostCaps;
}

function groupIds(groups: readonly string[], groupFile: string): number[] {
  const gr = groupFile.split('\n').map((l) => l.split(':')).filter((f) => f.length >= 3);
  return groups.map((g) => {
    if (/^\d+$/.test(g)) return Number(g);
    const entry = gr.find((f) => f[0] === g);
    if (!entry) throw new InvalidArgument(`--group-add ${g}: no such group in the image's /etc/group`);
    return Number(entry[2]);
  });
}

export async function writeBundle(d: BundleDeps, rec: ContainerRecord, dir: string, image: ImageRecord, volumeSources: Record<string, string> = {}): Promise<void> {
  const mode = rec.spec.network ?? 'bridge';
  const hostname = containerHostname(rec);
  // User names are resolved in the image's own files, confined to its root (rootfs-files.ts).
  const userSpec = rec.spec.user ?? image.config.user;
  const needGroups = !!userSpec || !!rec.spec.groupAdd?.length;
  const [passwd, group] = needGroups ? await Promise.all(['etc/passwd', 'etc/group'].map((f) => readFileInRoot(rec.rootfs, f))) : ['', ''];
  const user = resolveUser(userSpec, passwd, group);
  const etcFiles = { hosts: path.join(dir, 'hosts'), hostname: path.join(dir, 'hostname'), resolvConf: path.join(dir, 'resolv.conf') };
  const resolv = await resolvConf(rec.spec);
  await Promise.all([writeFile(etcFiles.hosts, hostsFile(hostname, rec.name, undefined, rec.spec.extraHosts)), writeFile(etcFiles.hostname, hostname + '\n'), writeFile(etcFiles.resolvConf, resolv)]);
  const oci = buildSpec({
    id: rec.id,
    hostname,
    rootfs: rec.rootfs,
    image: image.config,
    spec: rec.spec,
    user,
    network: { mode, netnsPath: mode === 'bridge' ? `/var/run/netns/llmos-${d.tag}-${rec.id}` : undefined },
    cgroupsPath: rec.cgroupsPath,
    etcFiles,
    initBinary: d.initBinary,
    nofileHardLimit: d.nofileHardLimit,
    volumeSources,
    extraGids: groupIds(rec.spec.groupAdd ?? [], group ?? ''),
    devices: await deviceNodes(rec.spec),
    hostCapabilities: await hostCapabilities(),
  });
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(oci));
}

/** /etc/hosts: localhost, the container's own names, then --add-host lines ("NAME:IP"). */
export function hostsFile(hostname: string, name: string, ip?: string, extra: readonly string[] = []): string {
  const added = extra.map((h) => {
    const i = h.indexOf(':');
    return `${h.slice(i + 1)}\t${h.slice(0, i)}`;
  });
  return ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...(ip ? [`${ip}\t${hostname} ${name}`] : [`127.0.1.1\t${hostname} ${name}`]), ...added, ''].join('\n');
}
