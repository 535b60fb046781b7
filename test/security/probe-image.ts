// The security suites' test image: busybox-static plus the static C probes in ./probes
// (rawsend: forged frames on an AF_PACKET socket; sysprobe: syscall probes), compiled with the
// host's gcc and imported into a daemon as a plain root filesystem.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot, type TestDaemon } from '../support/daemon.js';

const run = promisify(execFile);

export const probeSources = path.join(projectRoot, 'test', 'security', 'probes');

/** Why the probe image cannot be built here, or false. */
export function probeSkipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const b of ['/usr/sbin/runc', '/usr/bin/conmon', '/bin/busybox', '/usr/bin/gcc']) if (!existsSync(b)) return `${b} is not installed (scripts/install-host-deps.sh installs it)`;
  if (!existsSync('/usr/lib/x86_64-linux-gnu/libc.a') && !existsSync('/usr/lib/aarch64-linux-gnu/libc.a')) return 'libc6-dev (static libc) is not installed';
  return false;
}

/** Builds the rootfs tarball (busybox, /probe/rawsend, /probe/sysprobe, /www/index.html); caller removes `dir`. */
export async function buildProbeRootfs(): Promise<{ dir: string; tar: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-probes-'));
  const root = path.join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'probe', 'www']) await mkdir(path.join(root, d), { recursive: true });
  await chmod(path.join(root, 'tmp'), 0o1777);
  await copyFile('/bin/busybox', path.join(root, 'bin', 'busybox'));
  await chmod(path.join(root, 'bin', 'busybox'), 0o755);
  const { stdout } = await run('/bin/busybox', ['--list']);
  for (const a of stdout.split('\n').filter((x) => x && x !== 'busybox')) await symlink('busybox', path.join(root, 'bin', a));
  await writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  await writeFile(path.join(root, 'etc', 'group'), 'root:x:0:\nnobody:x:65534:\n');
  await writeFile(path.join(root, 'www', 'index.html'), 'published-port-ok\n');
  await run('gcc', ['-static', '-O2', '-o', path.join(root, 'probe', 'rawsend'), path.join(probeSources, 'rawsend.c')]);
  await run('gcc', ['-static', '-O2', '-pthread', '-o', path.join(root, 'probe', 'sysprobe'), path.join(probeSources, 'sysprobe.c')]);
  const tar = path.join(dir, 'rootfs.tar');
  await run('tar', ['-C', root, '-cf', tar, '.']);
  return { dir, tar };
}

/** Imports the probe image into the daemon as `name`. */
export async function importProbeImage(d: TestDaemon, tar: string, name = 'probes:1'): Promise<string> {
  const r = await d.cli(['import', tar, name]);
  if (r.code !== 0) throw new Error(`import: ${r.stderr}`);
  return name;
}

/** The runc root of the daemon's containers module (to exec with extra capabilities, as an attacker granted them would run). */
export async function runcRootOf(d: TestDaemon): Promise<string> {
  const r = await d.api<{ modules?: Array<{ kind: string; exports?: Record<string, unknown> }> }>('GET', '/v1/modules');
  const list = Array.isArray(r.body) ? (r.body as Array<{ kind: string; exports?: Record<string, unknown> }>) : (r.body.modules ?? []);
  const m = list.find((x) => x.kind === 'llmos.containers.v1');
  const dir = m?.exports?.stateDir;
  if (typeof dir !== 'string') throw new Error(`no containers stateDir in /v1/modules: ${JSON.stringify(r.body).slice(0, 300)}`);
  return path.join(dir, 'runc');
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
