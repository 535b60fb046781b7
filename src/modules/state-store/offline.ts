// The SQLite store of a stopped daemon's data dir: find its file, check, back up and restore it.
// Used by `llmos store` when no daemon holds the data dir (the caller takes the lock first);
// with a daemon running, the CLI goes through the API instead.
import { copyFile, link, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { readConfig } from '../../kernel/config.js';
import { FailedPrecondition, InvalidArgument, NotFound } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
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
 * replaces (maybe corrupt, still someone's data) is kept beside it (a hard link, with its -wal
 * and -shm moved along: SQLite would otherwise replay the old WAL into the restored file). The
 * last step is one rename, so a crash at any step leaves the old store or the new one in place,
 * never none (a daemon would then boot on an empty store).
 */
export async function restoreStoreFile(backup: string, file: string): Promise<{ replaced?: string }> {
  await mustExist(backup, 'backup');
  const problems = await checkStoreFile(backup, true);
  if (problems.length) throw new FailedPrecondition(`backup ${backup} fails the integrity check: ${problems.slice(0, 3).join('; ')}`);
  const tmp = `${file}.restoring`;
  faultPoint('store.restore.copy');
  await copyFile(backup, tmp);
  const fh = await open(tmp, 'r+');
  try {
    await fh.chmod(0o600);
    await fh.sync();
  } finally {
    await fh.close();
  }
  let replaced: string | undefined;
  if (await exists(file)) {
    replaced = `${file}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    faultPoint('store.restore.keep-old');
    await link(file, replaced);
    for (const suffix of ['-wal', '-shm']) if (await exists(file + suffix)) await rename(file + suffix, replaced + suffix);
  } else {
    for (const suffix of ['-wal', '-shm']) await rm(file + suffix, { force: true });
  }
  faultPoint('store.restore.swap');
  await rename(tmp, file);
  return { replaced };
}

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? false : Promise.reject(e)));
