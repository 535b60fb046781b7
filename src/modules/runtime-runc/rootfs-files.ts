// Host-side reads of files inside a container's root filesystem (the image's /etc/passwd and
// /etc/group). The rootfs is written by the image author, who is untrusted: a plain readFile
// follows `etc/passwd -> /dev/kmsg` (blocks forever) or `-> /dev/zero` (reads until memory runs
// out) or `-> /etc/shadow` (host data). So the path is resolved the way the kernel would inside a
// chroot at the rootfs (RESOLVE_IN_ROOT semantics: absolute links and `..` stay below the root),
// one component at a time with lstat, and only a regular file of bounded size is read, through a
// descriptor opened with O_NOFOLLOW|O_NONBLOCK and checked with fstat.
import { constants } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgument } from '../../kernel/errors.js';

/** Linux's limit on symlinks followed in one lookup (MAXSYMLINKS). */
const maxLinks = 40;
export const maxRootfsFileBytes = 2 ** 20;

const isMissing = (e: unknown): boolean => ['ENOENT', 'ENOTDIR', 'ELOOP'].includes((e as NodeJS.ErrnoException).code ?? '');

/**
 * The host path of `rel` resolved inside `root`, every symlink followed as if `root` were `/`;
 * undefined when it does not exist, loops, or crosses a non-directory.
 */
export async function resolveInRoot(root: string, rel: string): Promise<string | undefined> {
  const todo = rel.split('/');
  const done: string[] = [];
  let links = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      done.pop(); // `..` at the root stays at the root
      continue;
    }
    const p = path.join(root, ...done, c);
    let st;
    try {
      st = await lstat(p);
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
    if (st.isSymbolicLink()) {
      if (++links > maxLinks) return undefined;
      const target = await readlink(p);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/'));
      continue;
    }
    if (todo.some((t) => t !== '' && t !== '.') && !st.isDirectory()) return undefined;
    done.push(c);
  }
  return path.join(root, ...done);
}

/**
 * Reads a regular file inside the rootfs as UTF-8; '' when it is missing or not a regular file
 * (a device, a FIFO, a directory). A file above the size cap is refused with InvalidArgument.
 */
export async function readFileInRoot(root: string, rel: string, maxBytes = maxRootfsFileBytes): Promise<string> {
  const p = await resolveInRoot(root, rel);
  if (!p) return '';
  // Not even opened unless it is a regular file: opening some devices has effects of its own.
  if (!(await lstat(p).then((st) => st.isFile(), () => false))) return '';
  let fh;
  try {
    // O_NOFOLLOW: a link swapped in after the walk is refused; O_NONBLOCK: a FIFO or device cannot block the open.
    fh = await open(p, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    if (isMissing(e)) return '';
    throw e;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return '';
    if (st.size > maxBytes) throw new InvalidArgument(`the image's /${rel.replace(/^\/+/, '')} is ${st.size} bytes, more than the ${maxBytes} allowed`);
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let bytesRead = 0;
    for (;;) {
      const r = await fh.read(buf, bytesRead, buf.length - bytesRead, bytesRead);
      if (r.bytesRead === 0) break;
      bytesRead += r.bytesRead;
      if (bytesRead === buf.length) break;
    }
    // The file grew after the fstat: still never more than the cap.
    if (bytesRead > maxBytes) throw new InvalidArgument(`the image's /${rel.replace(/^\/+/, '')} is more than ${maxBytes} bytes`);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}
