// Helpers for tests that look at what a daemon left on disk: total size, every file, the SQLite store.
import Database from 'better-sqlite3';
import { lstat, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Every regular file under dir (recursively), with its size and mode. */
export async function filesUnder(dir: string): Promise<Array<{ file: string; size: number; mode: number }>> {
  const out: Array<{ file: string; size: number; mode: number }> = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const st = await lstat(p).catch(() => undefined); // a WAL may go between readdir and lstat
        if (st) out.push({ file: p, size: st.size, mode: st.mode & 0o777 });
      }
    }
  };
  await walk(dir);
  return out;
}

export const dirBytes = async (dir: string): Promise<number> => (await filesUnder(dir)).reduce((a, f) => a + f.size, 0);

/** Files under dir whose bytes contain any of the needles. */
export async function filesContaining(dir: string, needles: string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const { file } of await filesUnder(dir)) {
    const data = await readFile(file).catch(() => undefined);
    if (data && needles.some((n) => data.includes(Buffer.from(n)))) hits.push(file);
  }
  return hits;
}

/**
 * Runs fn on a consistent copy of a running daemon's store, taken with `GET /v1/store/backup`: the
 * daemon holds its SQLite file exclusively, so tests read what it wrote through a backup.
 */
export async function withStoreBackup<T>(d: { host: string; token: string }, fn: (db: Database.Database) => T): Promise<T> {
  const res = await fetch(`${d.host}/v1/store/backup`, { headers: { authorization: `Bearer ${d.token}` } });
  if (res.status !== 200) throw new Error(`store backup: ${res.status} ${await res.text()}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-store-copy-'));
  try {
    const file = path.join(dir, 'state.db');
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
