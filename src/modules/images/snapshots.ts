// Per-layer snapshots (snapshots/<chain-id hex>/fs + meta.json) and the cross-layer half of safe
// extraction: once the lower snapshots exist, a layer's implicit parent directories are checked
// against them (a lower symlink there would redirect writes), hard links into lower layers become
// copies, and whiteouts become overlayfs whiteouts (0/0 character devices; opaque directories
// are written as whiteouts of every lower name, which needs no trusted xattr tooling).
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, constants, copyFileSync, lstatSync, readdirSync, utimesSync, type Stats } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { UnsafeArchive, type ExtractResult } from './unpack.js';

const run = promisify(execFile);

export interface SnapshotMeta {
  chainId: string;
  diffId: string;
  /** Chain id of the snapshot below, if any. */
  parent?: string;
  whiteouts: string[];
  opaques: string[];
  /** Bytes of regular-file content. */
  size: number;
  entries: number;
  /** Whiteouts exist as overlayfs character devices (false when mknod was not allowed). */
  overlayWhiteouts: boolean;
}

/** chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length ? `sha256:${createHash('sha256').update(`${out[out.length - 1]} ${d}`).digest('hex')}` : d);
  return out;
}

export interface Lower {
  fs: string;
  whiteouts: ReadonlySet<string>;
  opaques: ReadonlySet<string>;
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

/**
 * What the union of `lowers` (top first) holds at rel, resolving whiteouts and opaque
 * directories; `active` are the layers whose directory at rel shows through (for listing it).
 * Stops at the first ancestor that is not a directory and reports it.
 */
export function mergedLookup(lowers: readonly Lower[], rel: string): { at: string; stat: Stats | null; owner?: Lower; active: Lower[] } {
  const parts = rel.split('/');
  let active: Lower[] = [...lowers];
  let q = '';
  for (let i = 0; i < parts.length; i++) {
    q = q ? `${q}/${parts[i]}` : parts[i]!;
    let found: { stat: Stats; owner: Lower } | undefined;
    const next: Lower[] = [];
    for (const l of active) {
      if (l.whiteouts.has(q)) break;
      const st = lstatOrNull(path.join(l.fs, q));
      if (!st) continue;
      if (st.isCharacterDevice() && st.rdev === 0) break; // an overlay whiteout on disk
      if (!found) found = { stat: st, owner: l };
      if (!st.isDirectory() || !found.stat.isDirectory()) break;
      next.push(l);
      if (l.opaques.has(q)) break;
    }
    if (!found) return { at: q, stat: null, active: [] };
    if (i === parts.length - 1 || !found.stat.isDirectory()) return { at: q, stat: found.stat, owner: found.owner, active: found.stat.isDirectory() ? next : [] };
    active = next;
  }
  return { at: '', stat: null, active: [] };
}

/**
 * Whether every parent of rel inside root is a real directory. Later entries of the same archive
 * may have replaced a directory recorded earlier with a symlink: nothing here may follow it.
 */
function realParents(root: string, rel: string): boolean {
  const parts = rel.split('/');
  let q = root;
  for (let i = 0; i < parts.length - 1; i++) {
    q = path.join(q, parts[i]!);
    if (!lstatOrNull(q)?.isDirectory()) return false;
  }
  return true;
}

/** Settles what crosses layers; returns the full whiteout list (opaque directories expanded). */
export async function finalizeLayer(fsRoot: string, r: ExtractResult, lowers: readonly Lower[], chown: boolean): Promise<{ whiteouts: string[]; overlayWhiteouts: boolean }> {
  const whiteouts = new Set(r.whiteouts);
  // Shallow first, so a planted symlink is reported at its own path.
  for (const dir of [...r.implicitDirs].sort((a, b) => a.split('/').length - b.split('/').length)) {
    const m = mergedLookup(lowers, dir);
    if (m.stat?.isSymbolicLink()) throw new UnsafeArchive(`layer writes under "${dir}", which a lower layer made a symlink ("${m.at}"): refusing to follow it`);
    if (m.stat?.isDirectory() && m.at === dir && realParents(fsRoot, `${dir}/_`)) {
      // Keep the lower directory's attributes: in the union the upper directory's win.
      const p = path.join(fsRoot, dir);
      if (chown) chownSync(p, m.stat.uid, m.stat.gid);
      chmodSync(p, m.stat.mode & 0o7777);
      utimesSync(p, m.stat.atime, m.stat.mtime);
    }
  }
  for (const link of r.lowerLinks) {
    const m = mergedLookup(lowers, link.target);
    if (!m.stat || m.at !== link.target) throw new UnsafeArchive(`hard link "${link.path}" -> "${link.target}": target not found in this or a lower layer`);
    if (!m.stat.isFile()) throw new UnsafeArchive(`hard link "${link.path}" -> "${link.target}": target is not a regular file`);
    // Across layers a hard link cannot exist: copy the file up, as overlayfs would.
    if (!realParents(fsRoot, link.path)) throw new UnsafeArchive(`hard link "${link.path}": a parent directory was replaced by a symlink later in the layer`);
    const dst = path.join(fsRoot, link.path);
    const existing = lstatOrNull(dst);
    if (existing?.isDirectory()) throw new UnsafeArchive(`hard link "${link.path}" collides with a directory`);
    if (existing) continue; // a later entry of the layer defined this path: it wins
    copyFileSync(path.join(m.owner!.fs, link.target), dst, constants.COPYFILE_EXCL);
    if (chown) chownSync(dst, m.stat.uid, m.stat.gid);
    chmodSync(dst, m.stat.mode & 0o7777);
    utimesSync(dst, m.stat.atime, m.stat.mtime);
  }
  for (const dir of r.opaques) {
    const m = dir ? mergedLookup(lowers, dir) : { stat: null, active: lowers as Lower[], at: '' };
    if ((dir && !m.stat?.isDirectory()) || !realParents(fsRoot, dir ? `${dir}/_` : '_')) continue;
    const mine = new Set(readdirSync(path.join(fsRoot, dir)));
    for (const l of m.active) {
      for (const name of readdirSync(path.join(l.fs, dir))) if (!mine.has(name)) whiteouts.add(dir ? `${dir}/${name}` : name);
    }
  }
  // A whiteout whose path the layer re-created, or whose directory it replaced, no longer applies.
  const list = [...whiteouts].filter((w) => realParents(fsRoot, w) && !lstatOrNull(path.join(fsRoot, w)));
  let overlayWhiteouts = true;
  // Only whiteouts of something that exists below matter to overlayfs.
  const needed = list.filter((w) => lowers.length && mergedLookup(lowers, w).stat && mergedLookup(lowers, w).at === w);
  try {
    for (let i = 0; i < needed.length; i += 200) {
      await run('sh', ['-c', 'for p; do mknod "$p" c 0 0 || exit 1; done', 'sh', ...needed.slice(i, i + 200).map((w) => path.join(fsRoot, w))]);
    }
  } catch {
    overlayWhiteouts = false;
  }
  return { whiteouts: list, overlayWhiteouts };
}

const hexOf = (chainId: string) => chainId.replace(/^sha256:/, '');

export class SnapshotStore {
  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    // Left over from an extraction that died with the process.
    for (const n of await readdir(this.root)) if (n.startsWith('.tmp-')) await rm(path.join(this.root, n), { recursive: true, force: true });
  }

  dir(chainId: string): string {
    return path.join(this.root, hexOf(chainId));
  }

  fs(chainId: string): string {
    return path.join(this.dir(chainId), 'fs');
  }

  /** The fs dir relative to root: overlayfs lowerdir lists use these to stay under the page-size limit. */
  relFs(chainId: string): string {
    return `${hexOf(chainId)}/fs`;
  }

  async has(chainId: string): Promise<boolean> {
    try {
      await stat(path.join(this.dir(chainId), 'meta.json'));
      return true;
    } catch {
      return false;
    }
  }

  async meta(chainId: string): Promise<SnapshotMeta> {
    return JSON.parse(await readFile(path.join(this.dir(chainId), 'meta.json'), 'utf8')) as SnapshotMeta;
  }

  async lower(chainId: string): Promise<Lower> {
    const m = await this.meta(chainId);
    return { fs: this.fs(chainId), whiteouts: new Set(m.whiteouts), opaques: new Set(m.opaques) };
  }

  /** A fresh private directory (with an empty fs/) to extract into. */
  async temp(): Promise<{ dir: string; fs: string }> {
    const dir = await mkdtemp(path.join(this.root, '.tmp-'));
    await mkdir(path.join(dir, 'fs'), { mode: 0o755 });
    return { dir, fs: path.join(dir, 'fs') };
  }

  /** Publishes a finished temp snapshot under its chain id (another pull may have won: keep theirs). */
  async commit(tmpDir: string, meta: SnapshotMeta): Promise<void> {
    await writeFile(path.join(tmpDir, 'meta.json'), JSON.stringify(meta));
    try {
      await rename(tmpDir, this.dir(meta.chainId));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      await rm(tmpDir, { recursive: true, force: true });
    }
  }

  async list(): Promise<string[]> {
    return (await readdir(this.root).catch(() => [] as string[])).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  async remove(chainId: string): Promise<void> {
    // Rename first so a half-deleted snapshot is never mistaken for a complete one.
    const doomed = path.join(this.root, `.tmp-rm-${hexOf(chainId)}`);
    try {
      await rename(this.dir(chainId), doomed);
    } catch {
      return;
    }
    await rm(doomed, { recursive: true, force: true });
  }
}
