import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodingPart } from './prelude-encoding.js';
import { scope } from './prelude-test-host.test-util.js';
import { urlPart } from './prelude-url.js';

const s = scope([urlPart, encodingPart]);

test('TextEncoder matches the platform on any string, lone surrogates included', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (str) => {
      assert.deepEqual([...new s.TextEncoder().encode(str)], [...new TextEncoder().encode(str)]);
    }),
    { numRuns: 500 },
  );
});

test('TextDecoder matches the platform on valid UTF-8, and replaces invalid bytes with U+FFFD where the platform does', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), (str) => {
      const bytes = new TextEncoder().encode(str);
      assert.equal(new s.TextDecoder().decode(bytes), new TextDecoder().decode(bytes));
    }),
    { numRuns: 300 },
  );
  // Invalid input: the same text around the replacements. (The platform writes one U+FFFD per
  // maximal invalid subpart, the prelude may write one per byte, e.g. for E1 80: a known difference.)
  const strip = (t: string) => t.replace(/\uFFFD/g, '');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      assert.equal(strip(new s.TextDecoder().decode(bytes)), strip(new TextDecoder().decode(bytes)));
    }),
    { numRuns: 500 },
  );
  assert.equal(new s.TextDecoder().decode(new Uint8Array([0x41, 0xff, 0x42])), 'A\uFFFDB');
  assert.equal(new s.TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), 'A', 'a BOM is dropped');
});

test('bodies as bytes: strings, buffers, views and search params', () => {
  const { toBytes } = s;
  assert.equal(toBytes(null), null);
  assert.deepEqual([...toBytes('é')], [0xc3, 0xa9]);
  assert.deepEqual([...toBytes(new Uint16Array([0x4241]))], [0x41, 0x42]);
  assert.deepEqual([...toBytes(new Uint8Array([1, 2]).buffer)], [1, 2]);
  assert.equal(new s.TextDecoder().decode(toBytes(new s.URLSearchParams({ a: 'b c' }))), 'a=b+c');
});
