// A container's OCI bundle: config.json and the /etc/hosts, /etc/hostname and /etc/resolv.conf it
// bind-mounts, written in the container's record directory. The only reads from the image's root
// are its passwd and group, confined to that root (rootfs-files.ts).
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ImageRecord } from '../../contracts/images.js';
import type { ContainerRecord } from './records.js';
import { readFileInRoot } from './rootfs-files.js';
import { buildSpec, resolveUser } from './spec.js';

export interface BundleDeps {
  tag: string;
  initBinary?: string;
  nofileHardLimit: number;
}

export async function writeBundle(d: BundleDeps, rec: ContainerRecord, dir: string, image: ImageRecord): Promise<void> {
  const mode = rec.spec.network ?? 'bridge';
  const hostname = mode === 'host' ? os.hostname() : rec.id.slice(0, 12);
  // User names are resolved in the image's own files, confined to its root (rootfs-files.ts).
  const userSpec = rec.spec.user ?? image.config.user;
  const [passwd, group] = userSpec ? await Promise.all(['etc/passwd', 'etc/group'].map((f) => readFileInRoot(rec.rootfs, f))) : ['', ''];
  const user = resolveUser(userSpec, passwd, group);
  const etcFiles = { hosts: path.join(dir, 'hosts'), hostname: path.join(dir, 'hostname'), resolvConf: path.join(dir, 'resolv.conf') };
  const resolv = mode === 'none' ? '' : await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  await Promise.all([writeFile(etcFiles.hosts, hostsFile(hostname, rec.name)), writeFile(etcFiles.hostname, hostname + '\n'), writeFile(etcFiles.resolvConf, resolv)]);
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
  });
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(oci));
}

export function hostsFile(hostname: string, name: string, ip?: string): string {
  return ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...(ip ? [`${ip}\t${hostname} ${name}`] : [`127.0.1.1\t${hostname} ${name}`]), ''].join('\n');
}
