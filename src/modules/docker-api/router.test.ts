import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router, splitVersion, versionProblem } from './router.js';

test('version prefixes are optional; newer and older clients are refused as dockerd does', () => {
  assert.deepEqual(splitVersion('/v1.41/containers/json'), { version: '1.41', path: '/containers/json' });
  assert.deepEqual(splitVersion('/containers/json'), { path: '/containers/json' });
  assert.equal(versionProblem('1.41'), undefined);
  assert.equal(versionProblem('1.24'), undefined);
  assert.match(versionProblem('1.42')!, /too new. Maximum supported API version is 1.41/);
  assert.match(versionProblem('1.11')!, /too old/);
});

test('image names with slashes and colons match; HEAD falls back to GET; other methods are told apart', async () => {
  const r = new Router();
  const h = async () => undefined;
  r.on('GET', '/images/json', h).on('GET', '/images/(?<name>.+)/json', h).on('DELETE', '/images/(?<name>.+)', h);
  const m = r.match('GET', '/images/127.0.0.1:5000/a/b:1/json');
  assert.ok(m && m !== 'method');
  assert.equal(m.params.name, '127.0.0.1:5000/a/b:1');
  assert.ok(r.match('HEAD', '/images/json'));
  assert.equal(r.match('PUT', '/images/json'), 'method');
  assert.equal(r.match('GET', '/nothing'), undefined);
});
