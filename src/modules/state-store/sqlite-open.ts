// Opening the SQLite file of the state store: owner-only modes, a quick integrity check at boot,
// and errors that say what happened (a full disk, a corrupt file) instead of a raw SQLite code.
import Database from 'better-sqlite3';
import { chmodSync, closeSync, fchmodSync, openSync } from 'node:fs';
import { FailedPrecondition, NoSpace, errorMessage, isDiskFull } from '../../kernel/errors.js';

export const restoreHint = 'restore a backup with `llmos store restore BACKUP --data-dir DIR` (daemon stopped; see `llmos store --help`)';

/**
 * Opens (creating if needed) the store file with the pragmas the store relies on. EXCLUSIVE
 * locking before WAL keeps the WAL index in heap memory instead of an -shm file, so a full
 * disk (where -shm cannot be created or grown) still opens for reads, and no second process
 * can open the file behind the daemon (offline tools take the data dir lock first).
 */
export function openStoreDb(file: string, opts: { quickCheck?: boolean } = {}): Database.Database {
  privateFile(file);
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable across process crashes; commits stay fast
    db.pragma('busy_timeout = 5000');
    if (opts.quickCheck !== false) {
      const problems = checkDb(db, false);
      if (problems.length) throw corrupt(file, problems.join('; '));
    }
    for (const suffix of ['-wal', '-shm']) privateFile(file + suffix, false);
    return db;
  } catch (e) {
    if (db?.open) db.close();
    throw storeError(e, file);
  }
}

/** quick_check (or the full integrity_check): the problems found, none when the file is sound. */
export function checkDb(db: Database.Database, full: boolean): string[] {
  let rows: Array<Record<string, string>>;
  try {
    rows = db.pragma(`${full ? 'integrity_check' : 'quick_check'}(20)`) as Array<Record<string, string>>;
  } catch (e) {
    // Damage bad enough that the check itself cannot walk the file is a finding, not a crash.
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return [`${errorMessage(e)} (${code})`];
    throw e;
  }
  const msgs = rows.map((r) => String(Object.values(r)[0]));
  return msgs.length === 1 && msgs[0] === 'ok' ? [] : msgs.map((m) => m.replace(/\s+/g, ' '));
}

/** Turns a raw SQLite or filesystem error into NoSpace / a corruption message; others unchanged. */
export function storeError(e: unknown, file: string): unknown {
  if (e instanceof FailedPrecondition || e instanceof NoSpace) return e;
  const code = (e as { code?: string }).code ?? '';
  if (isDiskFull(e)) return new NoSpace(`no space left in DATA_DIR: cannot write the state store ${file} (${code})`, { cause: e });
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return corrupt(file, errorMessage(e));
  return e;
}

const corrupt = (file: string, detail: string): FailedPrecondition =>
  new FailedPrecondition(`state store ${file} is corrupt (${detail}); ${restoreHint}`);

/** Creates the file 0600 (SQLite gives its -wal the database's mode) and tightens an older one. */
function privateFile(file: string, create = true): void {
  try {
    if (create) {
      const fd = openSync(file, 'a', 0o600);
      try {
        fchmodSync(fd, 0o600);
      } finally {
        closeSync(fd);
      }
    } else chmodSync(file, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !create) return;
    if (isDiskFull(e)) return; // SQLite reports the full disk itself, with context
    throw e;
  }
}
