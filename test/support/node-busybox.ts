// Containers started on one netns node directly (not placed by the server): the host's busybox as
// a one-layer image imported through that node's API, and `run -d` that waits for the pod IP.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { nodeCli, type NetnsHost } from './cluster.js';
import { until } from './until.js';

const exec = promisify(execFile);

/** Imports `local/busybox:1` (the host's /bin/busybox with every applet) on each node; the tar is built once under `work`. */
export async function importBusybox(work: string, nodes: NetnsHost[]): Promise<void> {
  const tar = path.join(work, 'rootfs.tar');
  const rootfs = path.join(work, 'rootfs');
  await mkdir(path.join(rootfs, 'bin'), { recursive: true });
  await exec('cp', ['/bin/busybox', path.join(rootfs, 'bin', 'busybox')]);
  for (const applet of (await exec('/bin/busybox', ['--list'])).stdout.split('\n').filter((a) => a && a !== 'busybox')) await symlink('busybox', path.join(rootfs, 'bin', applet));
  await exec('tar', ['-C', rootfs, '-cf', tar, '.']);
  for (const n of nodes) {
    const r = await nodeCli(n, ['import', tar, 'local/busybox:1']);
    assert.equal(r.code, 0, `${n.name}: ${r.stderr}`);
  }
}

/** `run -d` of `sh -c cmd` in local/busybox:1 on the node; resolves with the container's IP once it runs. */
export async function runOn(n: NetnsHost, name: string, cmd: string): Promise<string> {
  const r = await nodeCli(n, ['run', '-d', '--name', name, 'local/busybox:1', '/bin/sh', '-c', cmd]);
  assert.equal(r.code, 0, `${r.stderr}\n${n.output()}`);
  return until(`${name} running with an IP`, async () => {
    const [c] = JSON.parse((await nodeCli(n, ['inspect', name])).stdout || '[]') as Array<{ ip?: string; state: string }>;
    return c?.state === 'running' && c.ip ? c.ip : undefined;
  }, 30_000, 200);
}
