import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRef, parseRef, registryScheme } from './reference.js';

test('parseRef normalises like docker', () => {
  const cases: Array<[string, string]> = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['team/app:1.2', 'docker.io/team/app:1.2'],
    ['127.0.0.1:5000/team/app:1.2', '127.0.0.1:5000/team/app:1.2'],
    ['localhost/app', 'localhost/app:latest'],
    ['ghcr.io/o/r@sha256:' + 'a'.repeat(64), 'ghcr.io/o/r@sha256:' + 'a'.repeat(64)],
    ['127.0.0.1:5000/x:t@sha256:' + 'b'.repeat(64), '127.0.0.1:5000/x:t@sha256:' + 'b'.repeat(64)],
    ['index.docker.io/library/alpine', 'docker.io/library/alpine:latest'],
  ];
  for (const [input, want] of cases) assert.equal(formatRef(parseRef(input)), want, input);
});

test('parseRef rejects bad references with a reason', () => {
  for (const bad of ['', 'UPPER/case', 'a@sha256:short', 'x:bad tag', 'a//b']) assert.throws(() => parseRef(bad), /reference|empty/, bad);
});

test('registryScheme: http for loopback and listed insecure registries only', () => {
  assert.equal(registryScheme('127.0.0.1:5000', []), 'http');
  assert.equal(registryScheme('localhost:5000', []), 'http');
  assert.equal(registryScheme('reg.lan:5000', []), 'https');
  assert.equal(registryScheme('reg.lan:5000', ['reg.lan:5000']), 'http');
  assert.equal(registryScheme('docker.io', []), 'https');
});
