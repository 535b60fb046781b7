import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { caHash, ensureCa, isLoopback, serverTls } from './cluster-ca.js';

test('the cluster CA is made once, owner-only; server certificates chain to it and name the address', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-ca-'));
  try {
    const [a, b] = await Promise.all([ensureCa(dir), ensureCa(dir)]);
    assert.equal(a.hash, b.hash, 'two first calls at once agree on one CA');
    assert.equal((await ensureCa(dir)).hash, a.hash);
    assert.equal(a.hash, caHash(await readFile(path.join(dir, 'ca', 'ca.crt'))));
    assert.equal((await stat(path.join(dir, 'ca', 'ca.key'))).mode & 0o077, 0);
    const ca = new X509Certificate(a.certPem);
    assert.ok(ca.ca);
    const tls = await serverTls(dir, '10.200.9.1');
    const cert = new X509Certificate(tls.cert);
    assert.ok(cert.verify(ca.publicKey));
    assert.equal(cert.checkIP('10.200.9.1'), '10.200.9.1');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkIP('10.200.9.2'), undefined);
    assert.ok(!cert.ca);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('loopback addresses stay plain HTTP; others are served with TLS', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.equal(isLoopback(h), true, h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.test', '']) assert.equal(isLoopback(h), false, h);
});
