// The SQLite store of a stopped daemon's data dir: find its file, check, back up and restore it.
// Used by `llmos store` when no daemon holds the data dir (the caller takes the lock first);
// with a daemon running, the CLI goes through the API instead.
import { copyFile, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { readConfig } from '../../kernel/config.js';
import { FailedPrecondition, InvalidArgument, NotFound } from '../../kernel/errors.js';
import { moduleUri } from '../../kernel/module.js';
import { shortName } from '../../kernel/registry.js';
import { sqliteStoreDefaults, sqliteStoreModule } from './module.js';
import { checkDb, openStoreDb } from './sqlite-open.js';
import { SqliteStore } from './sqlite-store.js';

/** The store file as the daemon would open it: config.json's `modules.state-store.file`, else the default. */
export async function storeFileOf(dataDir: string): Promise<string> {
  const def = sqliteStoreModule();
  const cfg = await readConfig(dataDir);
  const m = { ...(cfg.modules[shortName(def)] ?? {}), ...(cfg.modules[moduleUri(def)] ?? {}) };
  const file = typeof m.file === 'string' && m.file ? m.file : sqliteStoreDefaults.file;
  return path.resolve(dataDir, 'modules', moduleUri(def), file);
}

async function mustExist(file: string, what: string): Promise<void> {
  try {
    if (!(await stat(file)).isFile()) throw new InvalidArgument(`${what} ${file} is not a file`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFound(`no ${what} at ${file}`);
    throw e;
  }
}

/** The problems SQLite finds in file (quick_check, or integrity_check with full); none: sound. */
export async function checkStoreFile(file: string, full: boolean): Promise<string[]> {
  await mustExist(file, 'state store');
  let db;
  try {
    db = openStoreDb(file, { quickCheck: false });
  } catch (e) {
    if (e instanceof FailedPrecondition) return [e.message]; // not even a database
    throw e;
  }
  try {
    return checkDb(db, full);
  } finally {
    db.close();
  }
}

export async function backupStoreFile(file: string, dest: string): Promise<{ totalPages: number }> {
  await mustExist(file, 'state store');
  const s = new SqliteStore(file);
  try {
    return await s.backup(dest);
  } finally {
    await s.close();
  }
}

/**
 * Replaces the store with a backup after a full integrity check of the backup. The store it
 * replaces (maybe corrupt, still someone's data) is kept beside it; its -wal and -shm go, since
 * SQLite would otherwise replay the old WAL into the restored file.
 */
export async function restoreStoreFile(backup: string, file: string): Promise<{ replaced?: string }> {
  await mustExist(backup, 'backup');
  const problems = await checkStoreFile(backup, true);
  if (problems.length) throw new FailedPrecondition(`backup ${backup} fails the integrity check: ${problems.slice(0, 3).join('; ')}`);
  const tmp = `${file}.restoring`;
  await copyFile(backup, tmp);
  const fh = await open(tmp, 'r+');
  try {
    await fh.chmod(0o600);
    await fh.sync();
  } finally {
    await fh.close();
  }
  let replaced: string | undefined;
  try {
    await stat(file);
    replaced = `${file}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(file, replaced);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  for (const suffix of ['-wal', '-shm']) {
    if (replaced) await rename(file + suffix, replaced + suffix).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
    else await rm(file + suffix, { force: true });
  }
  await rename(tmp, file);
  return { replaced };
}
