import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgument, NotFound } from '../../kernel/errors.js';
import { findStored, publicRecord, runConfig, type StoredImage } from './stored-image.js';

const hex = (c: string) => c.repeat(64);
function img(id: string, digest: string, repoTags: string[], source?: string): StoredImage {
  return { id: `sha256:${id}`, digest: `sha256:${digest}`, repoTags, size: 1, platform: { os: 'linux', architecture: 'amd64' }, config: {}, layers: [], manifestMediaType: 'm', blobs: [], chainIds: [], ...(source ? { source } : {}) };
}

test('find: id or digest prefix (12+ hex), name:tag, name@digest', () => {
  const a = img(hex('a'), hex('1'), ['docker.io/library/busybox:latest'], 'docker.io/library/busybox');
  const b = img('ab' + hex('b').slice(2), hex('2'), ['127.0.0.1:5000/web:1']);
  const all = [a, b];
  assert.equal(findStored(all, 'aaaaaaaaaaaa'), a);
  assert.equal(findStored(all, `sha256:${hex('2').slice(0, 20)}`), b);
  assert.equal(findStored(all, 'busybox'), a);
  assert.equal(findStored(all, '127.0.0.1:5000/web:1'), b);
  assert.equal(findStored(all, `busybox@sha256:${hex('1')}`), a);
  assert.throws(() => findStored([a, img('aaaaaaaaaaaa' + hex('c').slice(12), hex('3'), [])], 'aaaaaaaaaaaa'), InvalidArgument);
  assert.throws(() => findStored(all, `web@sha256:${hex('1')}`), NotFound);
  assert.throws(() => findStored(all, 'nginx'), (e) => e instanceof NotFound && /pull it first/.test(e.message));
});

test('the public record has only the contract fields; the run config keeps only what is set', () => {
  const pub = publicRecord(img(hex('a'), hex('1'), ['x:1'], 'x'));
  assert.deepEqual(Object.keys(pub).sort(), ['config', 'created', 'digest', 'id', 'layers', 'platform', 'repoTags', 'size']);
  assert.deepEqual(runConfig(undefined), {});
  assert.deepEqual(runConfig({ Cmd: ['sh'], Entrypoint: [], ExposedPorts: { '80/tcp': {} }, Labels: {}, StopSignal: 'SIGINT' }), { cmd: ['sh'], exposedPorts: ['80/tcp'], stopSignal: 'SIGINT' });
  // Docker's HEALTHCHECK in ns (1.5 s = 1.5e9 ns); 0 is "the default"; a malformed one is dropped, never fatal.
  assert.deepEqual(runConfig({ Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 1.5e9, Timeout: 0, Retries: 2, StartPeriod: 1e6 } }).healthcheck, { test: ['CMD-SHELL', 'true'], intervalMs: 1500, retries: 2, startPeriodMs: 1 });
  assert.equal(runConfig({ Healthcheck: { Test: 'true' } }).healthcheck, undefined);
  assert.equal(runConfig({ Healthcheck: { Test: ['CMD', 'x'], Interval: -5, Retries: 1.5 } }).healthcheck?.intervalMs, undefined);
});
