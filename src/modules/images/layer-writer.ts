// The entry-type handlers of layer extraction (unpack.ts parses, this file writes): directories,
// regular files, symlinks, hard links and whiteouts, each written under the snapshot root without
// ever following a symlink. It keeps what the extraction learnt (directories known to be real,
// implicit parents, whiteouts, hard links into lower layers) and applies directory modes last.
import {
  closeSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, rmSync,
  symlinkSync, unlinkSync, writeSync, chmodSync, chownSync, utimesSync, type Stats,
} from 'node:fs';
import path from 'node:path';
import type { ReadEntry } from 'tar';
import { InvalidArgument } from '../../kernel/errors.js';

/** A layer archive that tries to write outside its root, or is not a tar archive at all. */
export class UnsafeArchive extends InvalidArgument {}

/** Owner, mode and time of an entry, as the archive gives them. */
export interface EntryMeta {
  mode: number;
  uid: number;
  gid: number;
  mtime?: Date;
}

export type LowerLink = { path: string; target: string; mode: number; uid: number; gid: number; mtime: Date };

export function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export class LayerWriter {
  readonly implicit = new Set<string>();
  readonly whiteouts = new Set<string>();
  readonly opaques = new Set<string>();
  readonly lowerLinks: LowerLink[] = [];
  bytes = 0;
  skipped = 0;
  private readonly verified = new Set<string>(['']);
  private readonly dirMeta = new Map<string, EntryMeta>();
  // New entries already belong to us: no directory made here is setgid before the end (modes are
  // applied last), so an owner equal to ours needs no chown syscall.
  private readonly myUid = process.geteuid?.() ?? -1;
  private readonly myGid = process.getegid?.() ?? -1;

  /** `failed` says whether the extraction already failed; `fail` records a late (async) failure. */
  constructor(
    private readonly root: string,
    private readonly chown: boolean,
    private readonly failed: () => boolean,
    private readonly fail: (e: unknown) => void,
  ) {}

  private abs(rel: string): string {
    return rel ? path.join(this.root, rel) : this.root;
  }

  private ownAs(uid: number, gid: number, fn: () => void): void {
    if (this.chown && (uid !== this.myUid || gid !== this.myGid)) fn();
  }

  private forget(rel: string): void {
    for (const v of this.verified) if (v === rel || v.startsWith(rel + '/')) this.verified.delete(v);
  }

  /** Makes sure every parent of rel is a real directory inside root, creating missing ones. */
  ensureParents(rel: string): void {
    const parts = rel.split('/');
    let q = '';
    for (let i = 0; i < parts.length - 1; i++) {
      q = q ? `${q}/${parts[i]}` : parts[i]!;
      if (this.verified.has(q)) continue;
      const st = lstatOrNull(this.abs(q));
      if (!st) {
        mkdirSync(this.abs(q), 0o755);
        this.implicit.add(q);
      } else if (st.isSymbolicLink()) {
        throw new UnsafeArchive(`entry "${rel}" would be written through the symlink "${q}" (an archive may not write through its own symlinks)`);
      } else if (!st.isDirectory()) {
        throw new UnsafeArchive(`entry "${rel}": parent "${q}" is not a directory`);
      }
      this.verified.add(q);
    }
  }

  private removeExisting(rel: string, keepDir: boolean): Stats | null {
    const st = lstatOrNull(this.abs(rel));
    if (!st) return null;
    if (st.isDirectory()) {
      if (keepDir) return st;
      rmSync(this.abs(rel), { recursive: true, force: true });
      this.forget(rel);
      return null;
    }
    unlinkSync(this.abs(rel));
    this.forget(rel);
    return null;
  }

  /** The root's own entry: only its metadata counts. */
  rootDir(m: EntryMeta): void {
    this.dirMeta.set('', m);
  }

  /** ".wh.NAME" deletes NAME from the layers below; ".wh..wh..opq" hides the directory's lower contents. */
  whiteout(rel: string, base: string, parent: string, opaque: boolean): void {
    // Whiteouts live in their parent directory, which must therefore exist in this layer.
    this.ensureParents(rel);
    if (opaque) return void this.opaques.add(parent);
    if (!base || base === '.' || base === '..') throw new UnsafeArchive(`bad whiteout entry "${rel}"`);
    const target = parent ? `${parent}/${base}` : base;
    this.removeExisting(target, false);
    this.whiteouts.add(target);
  }

  directory(rel: string, m: EntryMeta): void {
    this.ensureParents(rel);
    if (!this.removeExisting(rel, true)) mkdirSync(this.abs(rel), 0o700);
    this.verified.add(rel);
    this.implicit.delete(rel);
    this.dirMeta.set(rel, m);
  }

  /** A regular file: its data arrives after this returns, as the entry's 'data' events. */
  file(entry: ReadEntry, rel: string, m: EntryMeta): void {
    this.ensureParents(rel);
    this.removeExisting(rel, false);
    // O_EXCL|O_NOFOLLOW: never open through anything that appeared in the meantime.
    const fd = openSync(this.abs(rel), 'wx', 0o600);
    let closed = false;
    const close = () => {
      if (!closed) {
        closed = true;
        closeSync(fd);
      }
    };
    entry.on('data', (chunk: Buffer) => {
      if (this.failed()) return;
      try {
        writeSync(fd, chunk);
        this.bytes += chunk.length;
      } catch (e) {
        close();
        this.fail(e);
      }
    });
    entry.on('end', () => {
      if (closed) return;
      try {
        this.ownAs(m.uid, m.gid, () => fchownSync(fd, m.uid, m.gid));
        fchmodSync(fd, m.mode);
        if (m.mtime) futimesSync(fd, m.mtime, m.mtime);
      } catch (e) {
        this.fail(e);
      } finally {
        close();
      }
    });
  }

  symlink(rel: string, linkpath: string | undefined, m: EntryMeta): void {
    this.ensureParents(rel);
    this.removeExisting(rel, false);
    if (!linkpath) throw new UnsafeArchive(`symlink "${rel}" has no target`);
    // The target may point anywhere (e.g. /bin/busybox): it is only ever read inside the container.
    symlinkSync(linkpath, this.abs(rel));
    this.ownAs(m.uid, m.gid, () => lchownSync(this.abs(rel), m.uid, m.gid));
    if (m.mtime) lutimesSync(this.abs(rel), m.mtime, m.mtime);
  }

  /** `target` is already a safe relative path. One outside this layer is linked once the lower layers exist. */
  hardLink(rel: string, target: string, m: EntryMeta): void {
    if (!target) throw new UnsafeArchive(`hard link "${rel}" points at the root`);
    this.ensureParents(rel);
    this.removeExisting(rel, false);
    // The target must be reachable through real directories of this layer only.
    const tparts = target.split('/');
    let inLayer = true;
    let q = '';
    for (let i = 0; i < tparts.length - 1 && inLayer; i++) {
      q = q ? `${q}/${tparts[i]}` : tparts[i]!;
      if (this.verified.has(q)) continue;
      const st = lstatOrNull(this.abs(q));
      if (st?.isSymbolicLink()) throw new UnsafeArchive(`hard link "${rel}" -> "${target}" goes through the symlink "${q}"`);
      if (!st?.isDirectory()) inLayer = false;
      else this.verified.add(q);
    }
    const tst = inLayer ? lstatOrNull(this.abs(target)) : null;
    if (tst?.isDirectory()) throw new UnsafeArchive(`hard link "${rel}" points at the directory "${target}"`);
    if (tst) linkSync(this.abs(target), this.abs(rel));
    else this.lowerLinks.push({ path: rel, target, mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtime ?? new Date(0) });
  }

  /** Directory owners, modes and times: deepest first, after all files (writing into a directory resets its mtime). */
  applyDirMeta(): void {
    const dirs = [...this.dirMeta.entries()].sort((a, b) => b[0].split('/').length - a[0].split('/').length);
    const real = new Map<string, boolean>([['', true]]);
    // A directory recorded earlier may since sit under a symlink that replaced its parent.
    const isRealDir = (rel: string): boolean => {
      const known = real.get(rel);
      if (known !== undefined) return known;
      const i = rel.lastIndexOf('/');
      const ok = isRealDir(i < 0 ? '' : rel.slice(0, i)) && !!lstatOrNull(this.abs(rel))?.isDirectory();
      real.set(rel, ok);
      return ok;
    };
    for (const [rel, m] of dirs) {
      if (!isRealDir(rel)) continue;
      if (this.chown) chownSync(this.abs(rel), m.uid, m.gid);
      chmodSync(this.abs(rel), m.mode);
      if (m.mtime) utimesSync(this.abs(rel), m.mtime, m.mtime);
    }
    if (!this.dirMeta.has('')) chmodSync(this.root, 0o755);
  }
}
