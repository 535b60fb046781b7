import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CredentialStore, parseChallenge } from './auth.js';

test('parseChallenge reads bearer and basic challenges', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
  });
  assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
  assert.equal(parseChallenge(undefined), undefined);
});

test('CredentialStore keeps logins 0600 and falls back to the docker config', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-auth-'));
  try {
    const docker = path.join(dir, 'docker.json');
    await writeFile(docker, JSON.stringify({ auths: { 'reg.example:5000': { auth: Buffer.from('d:pw:x').toString('base64') } } }));
    const s = new CredentialStore(path.join(dir, 'auth.json'), docker);
    assert.deepEqual(await s.get('reg.example:5000'), { username: 'd', password: 'pw:x' });
    await s.set('reg.example:5000', { username: 'me', password: 'secret' });
    assert.deepEqual(await s.get('reg.example:5000'), { username: 'me', password: 'secret' });
    assert.equal((await stat(s.file)).mode & 0o777, 0o600);
    assert.equal(await s.get('other:1'), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
