// Helpers for tests that look at what a daemon left on disk: total size, every file, the SQLite store.
import { lstat, readdir, readFile } from 'node:fs/promises';
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

/** The SQLite state store of a data dir. */
export async function stateDb(dataDir: string): Promise<string> {
  const f = (await filesUnder(dataDir)).find((x) => x.file.endsWith('/state.db'));
  if (!f) throw new Error(`no state.db under ${dataDir}`);
  return f.file;
}
