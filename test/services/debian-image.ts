// A real Debian root filesystem with server software from Debian's packages (redis-server,
// redis-tools, busybox, nginx-light), built once with mmdebstrap and cached by its package list,
// so reruns cost only the import. The first build takes a few minutes.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export const DEBIAN_PACKAGES = ['redis-server', 'redis-tools', 'busybox', 'nginx-light'];
const cacheDir = process.env.LLMOS_TEST_CACHE ?? '/var/cache/llmos-test';

export function debianImageSkipReason(): string | false {
  if (!existsSync('/usr/bin/mmdebstrap') && !existsSync(cachedTar())) return 'mmdebstrap is not installed (scripts/install-host-deps.sh)';
  return false;
}

export function cachedTar(): string {
  const key = createHash('sha256').update(['bookworm', 'apt', ...DEBIAN_PACKAGES].join(' ')).digest('hex').slice(0, 12);
  return path.join(cacheDir, `debian-${key}.tar`);
}

/** The cached rootfs tarball, built now if missing. */
export async function debianRootfs(): Promise<string> {
  const tar = cachedTar();
  if (existsSync(tar) && statSync(tar).isFile()) return tar;
  // An older build of this helper left a directory here (see below): build again.
  await rm(tar, { recursive: true, force: true });
  await mkdir(cacheDir, { recursive: true });
  // mmdebstrap picks its output format from the file name: without a .tar ending it makes a directory.
  const tmp = `${tar}.${process.pid}.tmp.tar`;
  await new Promise<void>((resolve, reject) =>
    execFile('mmdebstrap', ['--variant=apt', '--format=tar', `--include=${DEBIAN_PACKAGES.join(',')}`, 'bookworm', tmp], { timeout: 15 * 60_000, maxBuffer: 64 * 2 ** 20 }, (err, _o, stderr) => (err ? reject(new Error(`mmdebstrap failed: ${stderr.slice(-2000)}`)) : resolve())),
  ).catch(async (e) => {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  });
  await rename(tmp, tar);
  return tar;
}
