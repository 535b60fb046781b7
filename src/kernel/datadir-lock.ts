// One daemon per data dir. The lock is a kernel record lock (fcntl, through SQLite's locking of
// an empty database file held in an open EXCLUSIVE transaction): the kernel drops it when the
// process dies however it dies, so a SIGKILLed daemon leaves no stale lock and no PID guess is
// needed. Children (conmon, containers) do not inherit fcntl locks, so surviving containers do
// not hold it either. The PID in llmos.pid only names the holder in the refusal. Nothing else in
// the process may open llmos.lock: closing any descriptor of a file drops a process's fcntl locks.
import Database from 'better-sqlite3';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FailedPrecondition, errorMessage } from './errors.js';
import { faultPoint } from './faults.js';

export const lockFile = (dataDir: string): string => path.join(dataDir, 'llmos.lock');
export const pidFile = (dataDir: string): string => path.join(dataDir, 'llmos.pid');

/** Another process holds the data dir (a running daemon, or a `llmos store` command). */
export class DataDirInUse extends FailedPrecondition {
  constructor(readonly dataDir: string, readonly pid: number | undefined) {
    super(`data dir ${dataDir} is in use by another LLMOS daemon (PID ${pid ?? 'unknown'}); stop it first`);
  }
}

export interface DataDirLock {
  readonly dataDir: string;
  release(): void;
}

/** Takes the data dir's lock or throws FailedPrecondition naming the PID that holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = lockFile(dataDir);
  faultPoint('kernel.datadir.lock');
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: 0 }); // an empty file: SQLite treats it as an empty database
    chmodSync(file, 0o600);
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE'); // held until release or process exit; writes nothing
    chmodSync(`${file}-journal`, 0o600); // SQLite opens an (empty) journal with the transaction
  } catch (e) {
    if (db?.open) db.close();
    if ((e as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      throw new DataDirInUse(dataDir, holderPid(dataDir));
    }
    throw new FailedPrecondition(`cannot lock data dir ${dataDir} (${file}): ${errorMessage(e)}`, { cause: e });
  }
  try {
    writeFileSync(pidFile(dataDir), `${process.pid}\n`, { mode: 0o600 });
    chmodSync(pidFile(dataDir), 0o600);
  } catch {
    /* best effort (a full disk): the lock is what counts; a refusal then says "PID unknown" or an old one */
  }
  const held = db;
  return {
    dataDir,
    release() {
      if (!held.open) return;
      try {
        held.exec('ROLLBACK');
      } finally {
        held.close();
      }
    },
  };
}

/** The PID recorded by the lock's holder, if readable. */
export function holderPid(dataDir: string): number | undefined {
  try {
    const n = Number(readFileSync(pidFile(dataDir), 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
