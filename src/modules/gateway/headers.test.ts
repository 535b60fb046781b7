import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hopsOf, requestHeaders, responseHeaders, routeByHost, validHost } from './headers.js';

test('validHost: names, IP literals and ports; anything else is refused', () => {
  assert.equal(validHost(undefined), 'localhost');
  assert.equal(validHost('Example.COM:8080'), 'example.com:8080');
  assert.equal(validHost('[::1]:80'), '[::1]:80');
  assert.equal(validHost('10.0.0.1'), '10.0.0.1');
  for (const bad of ['evil.com/x', 'a@b', 'a b', '[::1', 'a:99999', 'a:', '-a.com', 'a..b', 'x\r\ny', 'a'.repeat(300)]) assert.equal(validHost(bad), undefined, bad);
});

test('hopsOf: a non-negative integer, else 0', () => {
  assert.equal(hopsOf(undefined), 0);
  assert.equal(hopsOf('3'), 3);
  assert.equal(hopsOf(['5', '1']), 5);
  for (const v of ['-1', '1.5', 'x', '']) assert.equal(hopsOf(v), 0, v);
});

test("requestHeaders: client forwarding and x-llmos-* headers go; the gateway's own are set", () => {
  const raw = ['Host', 'h', 'X-Forwarded-For', '6.6.6.6', 'CF-Connecting-IP', '6.6.6.6', 'x-llmos-hops', '0', 'Authorization', 'Bearer t', 'Connection', 'close', 'X-A', '1'];
  const out = requestHeaders(raw, { dropAuthorization: true, remoteAddress: '127.0.0.1', prefix: '/fn/a', hops: 2, requestId: 'r' });
  assert.deepEqual(out, [['host', 'h'], ['x-a', '1'], ['x-forwarded-prefix', '/fn/a'], ['x-forwarded-for', '127.0.0.1'], ['cf-connecting-ip', '127.0.0.1'], ['x-forwarded-proto', 'http'], ['x-request-id', 'r'], ['x-llmos-hops', '3']]);
  assert.ok(requestHeaders(raw, { dropAuthorization: false, remoteAddress: undefined, prefix: '', hops: 0, requestId: 'r' }).some(([k]) => k === 'authorization'));
});

test("responseHeaders: a function cannot speak for the platform", () => {
  assert.deepEqual(responseHeaders([['x-llmos-failure', 'x'], ['x-request-id', 'forged'], ['transfer-encoding', 'chunked'], ['x-b', '2']], 'id', 3), ['x-b', '2', 'content-length', '3', 'x-request-id', 'id']);
});

test('routeByHost: NAME.DOMAIN and NAME.NAMESPACE.DOMAIN only', () => {
  assert.deepEqual(routeByHost('hello.fn.localhost:8080', 'fn.localhost'), { name: 'hello' });
  assert.deepEqual(routeByHost('hello.team.fn.localhost', 'fn.localhost'), { name: 'hello', namespace: 'team' });
  assert.deepEqual(routeByHost('api.example.org', 'example.org'), { name: 'api' });
  for (const h of ['fn.localhost', 'localhost:8080', 'a.b.c.fn.localhost', 'hello.fn.localhost.evil.com', 'xfn.localhost']) assert.equal(routeByHost(h, 'fn.localhost'), undefined, h);
});
