// Safe, streaming extraction of one layer tarball into an empty snapshot directory.
//
// Every path is checked before anything is written: absolute paths and ".." are refused, and no
// entry is ever written through a symlink (each parent directory is lstat'ed, or known to be a
// real directory this extraction made). What crosses layers (a parent directory this layer did not
// define, which a lower layer might have planted as a symlink; hard links to lower files; opaque
// directories) is recorded and settled by finalizeLayer once the lower snapshots exist, so all
// layers of an image can download and extract at the same time.
//
// File system calls are synchronous on purpose: entries arrive one at a time from the tar parser
// and each takes a handful of tiny syscalls; the sync calls avoid a thread-pool round trip per call
// (several times faster for trees of small files) and keep entry order without a promise chain.
import {
  closeSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, rmSync,
  symlinkSync, unlinkSync, writeSync, chmodSync, chownSync, utimesSync, type Stats,
} from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';
import { InvalidArgument } from '../../kernel/errors.js';

/** A layer archive that tries to write outside its root, or is not a tar archive at all. */
export class UnsafeArchive extends InvalidArgument {}

export interface LayerChanges {
  /** Paths this layer deletes from the layers below (".wh.NAME" entries). */
  whiteouts: string[];
  /** Directories whose lower contents this layer hides (".wh..wh..opq" entries). */
  opaques: string[];
}

export interface ExtractResult extends LayerChanges {
  /** Parent directories this layer created without an entry of its own (checked against lower layers). */
  implicitDirs: string[];
  /** Hard links whose target is not in this layer: resolved from the lower layers. */
  lowerLinks: Array<{ path: string; target: string; mode: number; uid: number; gid: number; mtime: Date }>;
  entries: number;
  bytes: number;
  /** Device nodes and FIFOs that were skipped. */
  skipped: number;
}

/** Normalises an archive path to "a/b/c" ('' for the root); refuses absolute paths and "..". */
export function safeRelPath(p: string, what = 'entry'): string {
  if (p.includes('\0')) throw new UnsafeArchive(`${what} path contains a NUL byte`);
  if (p.startsWith('/')) throw new UnsafeArchive(`${what} "${p}" is an absolute path`);
  const parts: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') throw new UnsafeArchive(`${what} "${p}" escapes the root with ".."`);
    parts.push(c);
  }
  return parts.join('/');
}

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export interface ExtractOptions {
  /** Apply owners from the archive (needs root). */
  chown: boolean;
  /** Entries one layer may have: the extractor keeps a little state per entry (default 1M). */
  maxEntries?: number;
}

export const MAX_LAYER_ENTRIES = 1_000_000;

/**
 * A writable that takes an uncompressed tar stream and extracts it under `root` (an existing,
 * empty directory). `result` settles when the stream has finished, or rejects on the first error.
 */
export function createExtractor(root: string, opts: ExtractOptions): { stream: Writable; result: () => ExtractResult } {
  const verified = new Set<string>(['']);
  const implicit = new Set<string>();
  const whiteouts = new Set<string>();
  const opaques = new Set<string>();
  const lowerLinks: ExtractResult['lowerLinks'] = [];
  const dirMeta = new Map<string, { mode: number; uid: number; gid: number; mtime?: Date }>();
  let entries = 0;
  let bytes = 0;
  let skipped = 0;
  let failure: Error | undefined;
  /** Whether any non-zero byte arrived (an all-zero archive is an empty layer). */
  let sawData = false;
  const abs = (rel: string) => (rel ? path.join(root, rel) : root);

  const forget = (rel: string) => {
    for (const v of verified) if (v === rel || v.startsWith(rel + '/')) verified.delete(v);
  };

  /** Makes sure every parent of rel is a real directory inside root, creating missing ones. */
  const ensureParents = (rel: string) => {
    const parts = rel.split('/');
    let q = '';
    for (let i = 0; i < parts.length - 1; i++) {
      q = q ? `${q}/${parts[i]}` : parts[i]!;
      if (verified.has(q)) continue;
      const st = lstatOrNull(abs(q));
      if (!st) {
        mkdirSync(abs(q), 0o755);
        implicit.add(q);
      } else if (st.isSymbolicLink()) {
        throw new UnsafeArchive(`entry "${rel}" would be written through the symlink "${q}" (an archive may not write through its own symlinks)`);
      } else if (!st.isDirectory()) {
        throw new UnsafeArchive(`entry "${rel}": parent "${q}" is not a directory`);
      }
      verified.add(q);
    }
  };

  const removeExisting = (rel: string, keepDir: boolean): Stats | null => {
    const st = lstatOrNull(abs(rel));
    if (!st) return null;
    if (st.isDirectory()) {
      if (keepDir) return st;
      rmSync(abs(rel), { recursive: true, force: true });
      forget(rel);
      return null;
    }
    unlinkSync(abs(rel));
    forget(rel);
    return null;
  };

  // New entries already belong to us: no directory made here is setgid before the end (modes are
  // applied last), so an owner equal to ours needs no chown syscall.
  const myUid = process.geteuid?.() ?? -1;
  const myGid = process.getegid?.() ?? -1;
  const ownAs = (uid: number, gid: number, fn: () => void) => {
    if (opts.chown && (uid !== myUid || gid !== myGid)) fn();
  };

  const onEntry = (entry: ReadEntry) => {
    if (failure) {
      entry.resume();
      return;
    }
    try {
      handle(entry);
    } catch (e) {
      fail(e);
      entry.resume();
    }
  };

  const maxEntries = opts.maxEntries ?? MAX_LAYER_ENTRIES;
  const handle = (entry: ReadEntry) => {
    if (++entries > maxEntries) throw new UnsafeArchive(`layer has more than ${maxEntries} entries`);
    const rel = safeRelPath(entry.path);
    const mode = (entry.mode ?? 0o644) & 0o7777;
    const uid = entry.uid ?? 0;
    const gid = entry.gid ?? 0;
    const mtime = entry.mtime ?? undefined;
    if (rel === '') {
      if (entry.type === 'Directory') dirMeta.set('', { mode, uid, gid, mtime });
      entry.resume();
      return;
    }
    const base = path.posix.basename(rel);
    const parent = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    if (base.startsWith(WH)) {
      // Whiteouts live in their parent directory, which must therefore exist in this layer.
      ensureParents(rel);
      if (base === OPAQUE) opaques.add(parent);
      else {
        const name = base.slice(WH.length);
        if (!name || name === '.' || name === '..') throw new UnsafeArchive(`bad whiteout entry "${rel}"`);
        const target = parent ? `${parent}/${name}` : name;
        removeExisting(target, false);
        whiteouts.add(target);
      }
      entry.resume();
      return;
    }
    switch (entry.type) {
      case 'Directory': {
        ensureParents(rel);
        if (!removeExisting(rel, true)) mkdirSync(abs(rel), 0o700);
        verified.add(rel);
        implicit.delete(rel);
        dirMeta.set(rel, { mode, uid, gid, mtime });
        entry.resume();
        return;
      }
      case 'File':
      case 'OldFile':
      case 'ContiguousFile': {
        ensureParents(rel);
        removeExisting(rel, false);
        // O_EXCL|O_NOFOLLOW: never open through anything that appeared in the meantime.
        const fd = openSync(abs(rel), 'wx', 0o600);
        let closed = false;
        const close = () => {
          if (!closed) {
            closed = true;
            closeSync(fd);
          }
        };
        entry.on('data', (chunk: Buffer) => {
          if (failure) return;
          try {
            writeSync(fd, chunk);
            bytes += chunk.length;
          } catch (e) {
            close();
            fail(e);
          }
        });
        entry.on('end', () => {
          if (closed) return;
          try {
            ownAs(uid, gid, () => fchownSync(fd, uid, gid));
            fchmodSync(fd, mode);
            if (mtime) futimesSync(fd, mtime, mtime);
          } catch (e) {
            fail(e);
          } finally {
            close();
          }
        });
        return;
      }
      case 'SymbolicLink': {
        ensureParents(rel);
        removeExisting(rel, false);
        if (!entry.linkpath) throw new UnsafeArchive(`symlink "${rel}" has no target`);
        // The target may point anywhere (e.g. /bin/busybox): it is only ever read inside the container.
        symlinkSync(entry.linkpath, abs(rel));
        ownAs(uid, gid, () => lchownSync(abs(rel), uid, gid));
        if (mtime) lutimesSync(abs(rel), mtime, mtime);
        entry.resume();
        return;
      }
      case 'Link': {
        const target = safeRelPath(entry.linkpath ?? '', `hard link target of "${rel}"`);
        if (!target) throw new UnsafeArchive(`hard link "${rel}" points at the root`);
        ensureParents(rel);
        removeExisting(rel, false);
        // The target must be reachable through real directories of this layer only.
        const tparts = target.split('/');
        let inLayer = true;
        let q = '';
        for (let i = 0; i < tparts.length - 1 && inLayer; i++) {
          q = q ? `${q}/${tparts[i]}` : tparts[i]!;
          if (verified.has(q)) continue;
          const st = lstatOrNull(abs(q));
          if (st?.isSymbolicLink()) throw new UnsafeArchive(`hard link "${rel}" -> "${target}" goes through the symlink "${q}"`);
          if (!st?.isDirectory()) inLayer = false;
          else verified.add(q);
        }
        const tst = inLayer ? lstatOrNull(abs(target)) : null;
        if (tst?.isDirectory()) throw new UnsafeArchive(`hard link "${rel}" points at the directory "${target}"`);
        if (tst) linkSync(abs(target), abs(rel));
        else lowerLinks.push({ path: rel, target, mode, uid, gid, mtime: mtime ?? new Date(0) });
        entry.resume();
        return;
      }
      case 'CharacterDevice':
      case 'BlockDevice':
      case 'FIFO':
        skipped++;
        entry.resume();
        return;
      default:
        entry.resume();
    }
  };

  const parser = new Parser({
    strict: false,
    onwarn: (code: string, message: string | Error) => {
      // An archive of only zero blocks (or nothing) is the usual empty layer: fine.
      if (code === 'TAR_BAD_ARCHIVE' && entries === 0 && !sawData && /Unrecognized archive format/.test(String(message))) return;
      // Damage that makes the rest unreadable is fatal; a single odd header is skipped.
      if (code === 'TAR_BAD_ARCHIVE' || code === 'TAR_ABORT') fail(new UnsafeArchive(`layer is not a valid tar archive: ${typeof message === 'string' ? message : message.message}`));
    },
  });
  parser.on('entry', onEntry);
  let onFail: ((e: Error) => void) | undefined;
  function fail(e: unknown) {
    if (failure) return;
    failure = e instanceof Error ? e : new Error(String(e));
    onFail?.(failure);
  }

  const applyDirMeta = () => {
    // Deepest first, after all files: writing into a directory would reset its mtime.
    const dirs = [...dirMeta.entries()].sort((a, b) => b[0].split('/').length - a[0].split('/').length);
    const real = new Map<string, boolean>([['', true]]);
    // A directory recorded earlier may since sit under a symlink that replaced its parent.
    const isRealDir = (rel: string): boolean => {
      const known = real.get(rel);
      if (known !== undefined) return known;
      const i = rel.lastIndexOf('/');
      const ok = isRealDir(i < 0 ? '' : rel.slice(0, i)) && !!lstatOrNull(abs(rel))?.isDirectory();
      real.set(rel, ok);
      return ok;
    };
    for (const [rel, m] of dirs) {
      if (!isRealDir(rel)) continue;
      if (opts.chown) chownSync(abs(rel), m.uid, m.gid);
      chmodSync(abs(rel), m.mode);
      if (m.mtime) utimesSync(abs(rel), m.mtime, m.mtime);
    }
    if (!dirMeta.has('')) chmodSync(root, 0o755);
  };

  const stream = new Writable({
    highWaterMark: 1 << 20,
    // The pipeline failed elsewhere (digest, size limit, network): write nothing more, so the
    // caller's removal of the temp dir cannot race late entries.
    destroy(this: Writable, err, cb) {
      if (err || !this.writableFinished) failure ??= err ?? new UnsafeArchive('extraction aborted');
      cb(err);
    },
    write(chunk: Buffer, _enc, cb) {
      if (failure) return cb(failure);
      if (!sawData) for (let i = 0; i < chunk.length && !sawData; i++) sawData = chunk[i] !== 0;
      const ok = parser.write(chunk);
      if (failure) return cb(failure);
      if (ok) cb();
      else parser.once('drain', () => cb(failure));
    },
    final(cb) {
      if (failure) return cb(failure);
      onFail = (e) => cb(e);
      parser.once('end', () => {
        if (failure) return;
        onFail = undefined;
        try {
          applyDirMeta();
          cb();
        } catch (e) {
          cb(e as Error);
        }
      });
      parser.end();
    },
  });

  return {
    stream,
    result: () => ({ whiteouts: [...whiteouts], opaques: [...opaques], implicitDirs: [...implicit], lowerLinks, entries, bytes, skipped }),
  };
}
