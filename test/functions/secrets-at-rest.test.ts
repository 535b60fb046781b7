// Issue 13, finding 10 (secrets): values were base64 in the state store, a 0644 file. Now they are
// sealed with AES-256-GCM, the key in a 0600 file: no file of the data dir (the SQLite store, its
// WAL, logs, anything) holds the plaintext or its base64, and handlers still get the values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon } from '../support/daemon.js';
import { filesContaining, filesUnder } from './data-dir.js';

test('secrets are encrypted at rest, the key is 0600, and handlers still get them', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-fn-secrets-'));
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-fn-secrets-data-'));
  const values = [`first-${randomBytes(12).toString('hex')}`, `second-${randomBytes(12).toString('hex')}`];
  // Each value as it could sit on disk: plain, base64 (what the store held), hex.
  const needles = values.flatMap((v) => [v, Buffer.from(v).toString('base64'), Buffer.from(v).toString('hex')]);
  try {
    const d = await startDaemon({ dataDir });
    try {
      assert.equal((await d.cli(['secret', 'create', 'TOKEN'], { input: `${values[0]}\n` })).code, 0);
      const f = path.join(dir, 'show.js');
      await writeFile(f, `export default { async fetch(req, env) { return new Response(env.TOKEN); } };`);
      const dep = await d.cli(['fn', 'deploy', 'show', '--code', f, '--secret', 'TOKEN']);
      assert.equal(dep.code, 0, dep.stderr);
      assert.equal(await (await fetch(`${d.gateway}/fn/show/`)).text(), values[0]);
      // A replaced value: the old one must not linger in the store's history either.
      assert.equal((await d.cli(['secret', 'create', 'TOKEN', '--update', '--from-literal', values[1]!])).code, 0);
      await d.cli(['fn', 'deploy', 'show', '--code', f, '--secret', 'TOKEN']); // new instances read the new value
      assert.equal(await (await fetch(`${d.gateway}/fn/show/`)).text(), values[1]);
      const ls = await d.cli(['secret', 'ls', '--json']);
      assert.equal((JSON.parse(ls.stdout) as Array<{ size: number }>)[0]!.size, values[1]!.length);

      // While running (the WAL holds the latest writes) ...
      assert.deepEqual(await filesContaining(dataDir, needles), [], 'plaintext found while the daemon runs');
      const key = (await filesUnder(dataDir)).find((x) => x.file.endsWith('/secrets.key'));
      assert.ok(key, 'a key file in the data dir');
      assert.equal(key.mode, 0o600, `key file mode ${key.mode.toString(8)}`);
      assert.equal((await stat(path.dirname(key.file))).mode & 0o777, 0o700);
    } finally {
      await d.stop({ keepData: true });
    }
    // ... and after a clean stop (the WAL checkpointed into the database file).
    assert.deepEqual(await filesContaining(dataDir, needles), [], 'plaintext found after stop');

    // The sealed secret survives a restart (same key file).
    const again = await startDaemon({ dataDir });
    try {
      assert.equal(await (await fetch(`${again.gateway}/fn/show/`)).text(), values[1]);
    } finally {
      await again.stop({ keepData: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  }
});
