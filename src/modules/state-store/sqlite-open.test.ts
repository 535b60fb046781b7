import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FailedPrecondition, NoSpace } from '../../kernel/errors.js';
import { storeError } from './sqlite-open.js';
import { SqliteStore } from './sqlite-store.js';

test('sqlite open: full-disk codes become NoSpace naming DATA_DIR; corruption names the file and the restore command', () => {
  for (const code of ['SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_SHMSIZE', 'ENOSPC']) {
    const e = storeError(Object.assign(new Error('x'), { code }), '/d/state.db');
    assert.ok(e instanceof NoSpace, code);
    assert.match(e.message, /^no space left in DATA_DIR: cannot write the state store \/d\/state\.db/);
  }
  for (const code of ['SQLITE_CORRUPT', 'SQLITE_CORRUPT_INDEX', 'SQLITE_NOTADB']) {
    const e = storeError(Object.assign(new Error('malformed'), { code }), '/d/state.db');
    assert.ok(e instanceof FailedPrecondition, code);
    assert.match(e.message, /state store \/d\/state\.db is corrupt .*llmos store restore/);
  }
  const other = new Error('busy');
  assert.equal(storeError(Object.assign(other, { code: 'SQLITE_BUSY' }), 'f'), other);
});

test('sqlite open: a file that is not a database is refused with the restore hint; a new store is 0600', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-open-'));
  try {
    const bad = path.join(dir, 'bad.db');
    await writeFile(bad, Buffer.alloc(8192, 0x5a));
    assert.throws(() => new SqliteStore(bad), (e: Error) => e instanceof FailedPrecondition && /bad\.db is corrupt .*llmos store restore/.test(e.message));
    const good = path.join(dir, 'state.db');
    const s = new SqliteStore(good);
    await s.put('/k', 1);
    assert.deepEqual(await s.check(true), []);
    for (const f of [good, `${good}-wal`]) assert.equal((await stat(f)).mode & 0o777, 0o600, f);
    await s.backup(path.join(dir, 'copy.db'));
    await s.close();
    const copy = new SqliteStore(path.join(dir, 'copy.db'));
    assert.equal((await copy.get('/k'))?.value, 1);
    await copy.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
