import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute } from './server.js';

test('parseRoute splits gateway paths', () => {
  assert.deepEqual(parseRoute('/fn/hello'), { async: false, name: 'hello', path: '/' });
  assert.deepEqual(parseRoute('/fn/hello/'), { async: false, name: 'hello', path: '/' });
  assert.deepEqual(parseRoute('/fn/hello/a/b'), { async: false, name: 'hello', path: '/a/b' });
  assert.deepEqual(parseRoute('/async/fn/job/x'), { async: true, name: 'job', path: '/x' });
  assert.equal(parseRoute('/functions/hello'), undefined); // /function/NAME is an alias (route-alias.test.ts)
  assert.equal(parseRoute('/fn/'), undefined);
  assert.equal(parseRoute('/fn/%E0%A4%A'), undefined);
});
