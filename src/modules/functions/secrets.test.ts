import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../state-store/test-fixture.js';
import { SecretBox } from './secret-box.js';
import { Secrets } from './secrets.js';

test('secrets: stored sealed; plaintext records of older versions are sealed by migrate()', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-secrets-'));
  const store = new SqliteStore(path.join(dir, 'db'));
  try {
    const secrets = new Secrets(store, new SecretBox(path.join(dir, 'mod', 'secrets.key')), () => []);
    await secrets.create('NEW', Buffer.from('fresh value'));
    const raw = JSON.stringify((await store.get('/secrets/NEW'))!.value);
    assert.ok(!raw.includes('fresh value') && !raw.includes(Buffer.from('fresh value').toString('base64')), raw);
    // What an older version wrote: base64 plaintext.
    await store.put('/secrets/OLD', { name: 'OLD', value: Buffer.from('legacy value').toString('base64'), createdAt: 'c', updatedAt: 'u' });
    assert.deepEqual(await secrets.resolve(['OLD']), { OLD: 'legacy value' }, 'readable before migration');
    assert.equal(await secrets.migrate(), 1);
    assert.equal(await secrets.migrate(), 0, 'once');
    const old = (await store.get<Record<string, unknown>>('/secrets/OLD'))!.value;
    assert.equal(old.value, undefined);
    assert.ok(old.sealed);
    assert.deepEqual(await secrets.resolve(['NEW', 'OLD']), { NEW: 'fresh value', OLD: 'legacy value' });
    assert.deepEqual((await secrets.list()).map((s) => [s.name, s.size]), [['NEW', 11], ['OLD', 12]]);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
