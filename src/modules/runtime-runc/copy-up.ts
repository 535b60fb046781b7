// Docker's copy-up: a new volume mounted at a path the image has gets the image's files there.
// The path is resolved inside the rootfs (the image author is untrusted: a symlinked path must
// not copy the host's files), and cp copies links as links, never following them.
import { execFile } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { resolveInRoot } from './rootfs-files.js';

const run = promisify(execFile);

export async function copyUp(rootfs: string, target: string, dest: string): Promise<void> {
  const src = await resolveInRoot(rootfs, target);
  if (!src || !(await lstat(src).then((s) => s.isDirectory(), () => false))) return;
  // --no-dereference with -a: symlinks inside are copied as symlinks; --one-file-system keeps to the rootfs.
  await run('cp', ['-a', '--no-dereference', '--one-file-system', `${src}/.`, dest], { timeout: 300_000 });
}
