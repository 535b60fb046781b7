import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SecretBox } from './secret-box.js';

test('secret box: AES-256-GCM with a 0600 key made at first use, bound to the name', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-box-'));
  try {
    const keyFile = path.join(dir, 'mod', 'secrets.key');
    const box = new SecretBox(keyFile);
    await assert.rejects(box.open('A', { alg: 'aes-256-gcm', iv: '', data: '', tag: '' }), /is missing/, 'reading never makes a key');
    const sealed = await box.seal('A', Buffer.from('hunter2'));
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    assert.equal((await stat(path.dirname(keyFile))).mode & 0o777, 0o700);
    assert.ok(!JSON.stringify(sealed).includes(Buffer.from('hunter2').toString('base64')));
    assert.equal((await new SecretBox(keyFile).open('A', sealed)).toString(), 'hunter2', 'a second box reads the same key');
    await assert.rejects(box.open('B', sealed), /does not decrypt/, 'moved to another name');
    const flipped = Buffer.from(sealed.data, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    const tampered = { ...sealed, data: flipped.toString('base64') };
    await assert.rejects(box.open('A', tampered), /does not decrypt/);
    await writeFile(keyFile, Buffer.alloc(32, 7));
    await assert.rejects(new SecretBox(keyFile).open('A', sealed), /does not decrypt/, 'a replaced key');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
