import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStoreUrl } from './store-url.js';

test('--store: sqlite by default; etcd:// lists endpoints; anything else is refused with the reason', () => {
  assert.deepEqual(parseStoreUrl(undefined), { backend: 'sqlite' });
  assert.deepEqual(parseStoreUrl('sqlite'), { backend: 'sqlite' });
  assert.deepEqual(parseStoreUrl('etcd://10.0.0.1:2379,10.0.0.2:2379'), { backend: 'etcd', endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'] });
  assert.deepEqual(parseStoreUrl('etcds://h1:2379/'), { backend: 'etcd', endpoints: ['https://h1:2379'] });
  assert.deepEqual(parseStoreUrl('etcd://[::1]:2379'), { backend: 'etcd', endpoints: ['http://[::1]:2379'] });
  assert.throws(() => parseStoreUrl('postgres://x'), /expected sqlite or etcd:\/\//);
  assert.throws(() => parseStoreUrl('etcd://h1'), /"h1" is not HOST:PORT/);
  assert.throws(() => parseStoreUrl('etcd://h1:0'), /not HOST:PORT/);
  assert.throws(() => parseStoreUrl('etcd://h1:2379,,h2:2379'), /not HOST:PORT/);
  assert.throws(() => parseStoreUrl('etcd://user@h1:2379'), /not HOST:PORT/);
});
