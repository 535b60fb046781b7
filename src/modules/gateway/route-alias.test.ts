// The gateway's OpenFaaS-style alias: /function/NAME routes as /fn/NAME does (cluster docs use it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute } from './server.js';

test('the gateway takes /function/NAME as well as /fn/NAME', () => {
  assert.deepEqual(parseRoute('/function/hello/x'), { async: false, name: 'hello', path: '/x' });
  assert.deepEqual(parseRoute('/function/hello'), { async: false, name: 'hello', path: '/' });
  assert.deepEqual(parseRoute('/async/function/hello/y'), { async: true, name: 'hello', path: '/y' });
  assert.equal(parseRoute('/functions/hello'), undefined);
});
