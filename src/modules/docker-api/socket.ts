// The Unix socket the Docker API listens on: never TCP. It is root-equivalent (whoever can
// write to it runs containers with host bind mounts), so it is 0660, group `llmos` when that
// group exists (else root's), in a directory only root writes.
import { createHash } from 'node:crypto';
import { chown, chmod, lstat, mkdir, readFile, unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { FailedPrecondition, InvalidArgument } from '../../kernel/errors.js';

export const DEFAULT_SOCKET = '/run/llmos/docker.sock';
export const DEFAULT_DATA_DIR = '/var/lib/llmos';

/**
 * The configured path, else /run/llmos/docker.sock for the default data dir, else docker.sock in
 * this module's own directory (0700, inside the data dir: test and side-by-side daemons never
 * share one), or /run/llmos/docker-HASH.sock when that path is too long for a Unix socket.
 */
export function socketPath(configured: string | undefined, dataDir: string, moduleDir = path.join(dataDir, 'modules', 'llmos.docker-api.v1.socket')): string {
  let p = configured;
  if (!p) {
    if (path.resolve(dataDir) === DEFAULT_DATA_DIR) p = DEFAULT_SOCKET;
    else {
      p = path.join(moduleDir, 'docker.sock');
      if (Buffer.byteLength(p) > 107) p = `/run/llmos/docker-${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12)}.sock`;
    }
  }
  if (!path.isAbsolute(p)) throw new InvalidArgument(`docker socket ${p} is not an absolute path`);
  if (Buffer.byteLength(p) > 107) throw new InvalidArgument(`docker socket path ${p} is longer than the 107 bytes a Unix socket path may have`);
  return p;
}

/** Whether something answers on the socket (a live daemon), as opposed to a stale file. */
function answers(p: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(p);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Clears a stale socket file; refuses a live one or a path that is not a socket. */
export async function prepareSocket(p: string): Promise<void> {
  await mkdir(path.dirname(p), { recursive: true, mode: 0o755 });
  const st = await lstat(p).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!st) return;
  if (!st.isSocket()) throw new FailedPrecondition(`docker socket ${p} exists and is not a socket`);
  if (await answers(p)) throw new FailedPrecondition(`docker socket ${p} is in use by another daemon`);
  await unlink(p);
}

async function llmosGid(): Promise<number | undefined> {
  const groups = await readFile('/etc/group', 'utf8').catch(() => '');
  const line = groups.split('\n').find((l) => l.startsWith('llmos:'));
  const gid = line ? Number(line.split(':')[2]) : NaN;
  return Number.isInteger(gid) ? gid : undefined;
}

export async function secureSocket(p: string): Promise<{ mode: string; gid: number }> {
  await chmod(p, 0o660);
  const gid = (await llmosGid()) ?? 0;
  if (process.getuid?.() === 0) await chown(p, 0, gid);
  return { mode: '0660', gid };
}
