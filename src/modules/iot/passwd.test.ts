// Our hashes are mosquitto's $7$ format: mosquitto_passwd's own hash verifies with our code, and
// ours has the same shape (the broker accepting it is in test/iot).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aclFile, hashPassword, verifyPassword } from './passwd.js';

test('hash and verify', () => {
  const h = hashPassword('s3cret');
  assert.match(h, /^\$7\$101\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}$/);
  assert.equal(verifyPassword('s3cret', h), true);
  assert.equal(verifyPassword('s3creT', h), false);
  assert.match(aclFile('su'), /pattern readwrite devices\/%u\/#/);
});

test('mosquitto_passwd hashes verify with ours', { skip: existsSync('/usr/bin/mosquitto_passwd') ? false : 'mosquitto_passwd not installed' }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llmos-passwd-'));
  try {
    const f = path.join(dir, 'p');
    execFileSync('mosquitto_passwd', ['-c', '-b', f, 'dev', 'hunter2']);
    const hash = readFileSync(f, 'utf8').trim().split(':')[1]!;
    assert.equal(verifyPassword('hunter2', hash), true);
    assert.equal(verifyPassword('hunter3', hash), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
