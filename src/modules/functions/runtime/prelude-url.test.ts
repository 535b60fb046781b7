import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { scope } from './prelude-test-host.test-util.js';
import { urlPart } from './prelude-url.js';

const s = scope([urlPart]);

test('URL: fields and setters agree with the platform URL', () => {
  const u = new s.URL('https://user:pw@example.com:8443/a/b?x=1&y=2#frag');
  const n = new URL('https://user:pw@example.com:8443/a/b?x=1&y=2#frag');
  for (const k of ['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash', 'origin'] as const) assert.equal(u[k], n[k], k);
  u.pathname = 'c';
  u.searchParams.append('z', 'a b');
  n.pathname = 'c';
  n.searchParams.append('z', 'a b');
  assert.equal(u.href, n.href);
  assert.equal(new s.URL('/p?q', 'http://h/').href, 'http://h/p?q');
  assert.throws(() => new s.URL('not a url'), /Invalid URL/);
  assert.equal(s.URL.canParse('http://x'), true);
  assert.equal(JSON.stringify({ u: new s.URL('http://x/') }), '{"u":"http://x/"}');
});

test('URLSearchParams: parse, edit and serialize like the platform (fuzzed pairs)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 6 }), (pairs) => {
      const a = new s.URLSearchParams(pairs);
      const b = new URLSearchParams(pairs);
      assert.equal(a.toString(), b.toString());
      assert.deepEqual([...new s.URLSearchParams(a.toString())], [...new URLSearchParams(b.toString())]);
      a.sort();
      b.sort();
      assert.deepEqual([...a], [...b]);
    }),
    { numRuns: 200 },
  );
  const p = new s.URLSearchParams('?a=1&b=2&a=3');
  assert.deepEqual(p.getAll('a'), ['1', '3']);
  p.set('a', '9');
  assert.equal(p.toString(), 'a=9&b=2');
  p.delete('b');
  assert.equal(p.size, 1);
});
