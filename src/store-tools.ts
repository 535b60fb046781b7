// `llmos store` on a data dir no daemon holds: the offline store tools run here, in the daemon's
// entry (dist/daemon.mjs re-exports them), not in the CLI, which stays a client of the API. Each
// takes the data dir lock first, so a daemon cannot start on the store meanwhile.
import type { StoreToolsEntry } from './contracts/system.js';
import { DataDirInUse, lockDataDir, type DataDirLock } from './kernel/datadir-lock.js';

// SQLite-specific and heavy to load: only the store commands pay for it.
const offline = () => import('./modules/state-store/offline.js');

/** The data dir's lock, or undefined when a daemon holds it (then the API is the way in). */
function lockUnlessDaemon(dataDir: string): DataDirLock | undefined {
  try {
    return lockDataDir(dataDir);
  } catch (e) {
    if (e instanceof DataDirInUse) return undefined;
    throw e;
  }
}

async function withLock<T>(lock: DataDirLock, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

export const storeTools: StoreToolsEntry = {
  async checkStore(dataDir, full) {
    const lock = lockUnlessDaemon(dataDir);
    if (!lock) return 'daemon';
    return withLock(lock, async () => {
      const { checkStoreFile, storeFileOf } = await offline();
      const file = await storeFileOf(dataDir);
      return { file, problems: await checkStoreFile(file, full) };
    });
  },
  async backupStore(dataDir, dest) {
    const lock = lockUnlessDaemon(dataDir);
    if (!lock) return 'daemon';
    return withLock(lock, async () => {
      const { backupStoreFile, storeFileOf } = await offline();
      const file = await storeFileOf(dataDir);
      await backupStoreFile(file, dest);
      return { file };
    });
  },
  async restoreStore(dataDir, backup) {
    // Refuses, naming the PID, while a daemon runs.
    return withLock(lockDataDir(dataDir), async () => {
      const { restoreStoreFile, storeFileOf } = await offline();
      const file = await storeFileOf(dataDir);
      return { file, ...(await restoreStoreFile(backup, file)) };
    });
  },
};
