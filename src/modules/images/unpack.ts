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
import path from 'node:path';
import { Writable } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';
import { LayerWriter, UnsafeArchive, type EntryMeta } from './layer-writer.js';

export { UnsafeArchive } from './layer-writer.js';

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
  let entries = 0;
  let failure: Error | undefined;
  /** Whether any non-zero byte arrived (an all-zero archive is an empty layer). */
  let sawData = false;
  let onFail: ((e: Error) => void) | undefined;
  function fail(e: unknown) {
    if (failure) return;
    failure = e instanceof Error ? e : new Error(String(e));
    onFail?.(failure);
  }
  const w = new LayerWriter(root, opts.chown, () => !!failure, fail);

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
    const m: EntryMeta = { mode: (entry.mode ?? 0o644) & 0o7777, uid: entry.uid ?? 0, gid: entry.gid ?? 0, mtime: entry.mtime ?? undefined };
    if (rel === '') {
      if (entry.type === 'Directory') w.rootDir(m);
      entry.resume();
      return;
    }
    const base = path.posix.basename(rel);
    const parent = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    if (base.startsWith(WH)) {
      w.whiteout(rel, base.slice(WH.length), parent, base === OPAQUE);
      entry.resume();
      return;
    }
    switch (entry.type) {
      case 'Directory':
        w.directory(rel, m);
        break;
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        return w.file(entry, rel, m); // the entry's data follows
      case 'SymbolicLink':
        w.symlink(rel, entry.linkpath, m);
        break;
      case 'Link':
        w.hardLink(rel, safeRelPath(entry.linkpath ?? '', `hard link target of "${rel}"`), m);
        break;
      case 'CharacterDevice':
      case 'BlockDevice':
      case 'FIFO':
        w.skipped++;
        break;
    }
    entry.resume();
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
          w.applyDirMeta();
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
    result: () => ({ whiteouts: [...w.whiteouts], opaques: [...w.opaques], implicitDirs: [...w.implicit], lowerLinks: w.lowerLinks, entries, bytes: w.bytes, skipped: w.skipped }),
  };
}
