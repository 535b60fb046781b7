// Confined layer application for root filesystems without overlayfs: copies one layer snapshot
// onto a root the image's lower layers already filled, with overlayfs semantics, never following
// a link. `cp -a` and a path-joined `rm` (what this replaced) follow what the lower layers planted:
// `owned -> /host/file` then a file `owned` wrote through to the host; `etc -> /host/dir` then a
// whiteout `etc/x` deleted a host file.
//
// How nothing can leave the root: the tree is walked from the root down, and each directory is
// entered only after lstat showed a real directory (this function created or kept it). An entry that
// exists in the destination as anything else is unlinked (never opened) and created afresh with
// O_EXCL, which refuses to go through a symlink. Whiteouts resolve their parents the same way: a
// parent that is not a real directory means the path does not exist in the union, so there is
// nothing to delete. Only this code writes under the root while it is built (no container runs yet).
import { constants, type Stats } from 'node:fs';
import { chmod, copyFile, lchown, link, lstat, lutimes, mkdir, readdir, readlink, rm, symlink, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { safeRelPath } from './unpack.js';

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Removes rel under root if every parent is a real directory; otherwise it is not in the union. */
export async function removeInRoot(root: string, rel: string): Promise<void> {
  const clean = safeRelPath(rel, 'whiteout');
  if (!clean) return;
  const parts = clean.split('/');
  let p = root;
  for (const part of parts.slice(0, -1)) {
    p = path.join(p, part);
    if (!(await lstatOrNull(p))?.isDirectory()) return;
  }
  const target = path.join(p, parts[parts.length - 1]!);
  const st = await lstatOrNull(target);
  if (!st) return;
  // rm's recursion lstats every entry: it deletes links, never what they point at.
  if (st.isDirectory()) await rm(target, { recursive: true, force: true });
  else await unlink(target);
}

/** Makes room at dst (a path whose parent is a verified real directory) for an entry not a directory. */
async function clear(dst: string): Promise<void> {
  const st = await lstatOrNull(dst);
  if (!st) return;
  if (st.isDirectory()) await rm(dst, { recursive: true, force: true });
  else await unlink(dst);
}

async function own(p: string, st: Stats, chown: boolean): Promise<void> {
  if (chown) await lchown(p, st.uid, st.gid);
}

/**
 * Applies one layer (its snapshot fs dir and its whiteout list, opaque directories expanded) onto
 * root. Whiteout character devices in the snapshot (0/0) are skipped: the list covers them.
 */
export async function applyLayer(root: string, layerFs: string, whiteouts: readonly string[], chown: boolean): Promise<void> {
  for (const w of whiteouts) await removeInRoot(root, w);
  const links = new Map<string, string>();
  await copyDir(layerFs, root, chown, links);
  const st = await lstat(layerFs);
  await own(root, st, chown);
  await chmod(root, st.mode & 0o7777);
  await utimes(root, st.atime, st.mtime);
}

async function copyDir(src: string, dst: string, chown: boolean, links: Map<string, string>): Promise<void> {
  for (const name of await readdir(src)) {
    const s = path.join(src, name);
    const d = path.join(dst, name);
    const st = await lstat(s);
    if (st.isDirectory()) {
      const existing = await lstatOrNull(d);
      if (!existing?.isDirectory()) {
        if (existing) await unlink(d);
        await mkdir(d, { mode: 0o700 });
      }
      await copyDir(s, d, chown, links);
      await own(d, st, chown);
      await chmod(d, st.mode & 0o7777);
      await utimes(d, st.atime, st.mtime);
    } else if (st.isFile()) {
      await clear(d);
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first) {
        await link(first, d);
        continue;
      }
      // COPYFILE_EXCL opens with O_CREAT|O_EXCL: it fails rather than follow anything at d.
      await copyFile(s, d, constants.COPYFILE_EXCL);
      await own(d, st, chown);
      await chmod(d, st.mode & 0o7777); // after chown, which clears setuid bits
      await utimes(d, st.atime, st.mtime);
      if (st.nlink > 1) links.set(key, d);
    } else if (st.isSymbolicLink()) {
      await clear(d);
      await symlink(await readlink(s), d);
      await own(d, st, chown);
      await lutimes(d, st.atime, st.mtime);
    }
    // Anything else is a whiteout device (listed separately) or was not extracted at all.
  }
}
