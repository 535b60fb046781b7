// Fuzz: bodies a function parses from untrusted callers. FormData through multipart and back
// keeps every entry (with the newline normalisation browsers apply); arbitrary bytes given to
// formData() fail only with a TypeError; request bodies read as text agree with Node's decoder.
// Bounded runs in `npm test`; LLMOS_FUZZ_MINUTES runs for that long.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { preludeGlobals } from '../../../src/modules/functions/runtime/prelude-test-host.test-util.js';
import { fuzzParams, fuzzTimeoutMs } from '../fuzz-budget.js';

const g = preludeGlobals();
// Names and file names: '%' is excluded because multipart escapes quotes and newlines as %22, %0D, %0A (as browsers do), which makes a literal "%22" ambiguous.
const name = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('%'));
const entry = fc.oneof(
  fc.record({ name, value: fc.string({ unit: 'grapheme', maxLength: 40 }) }),
  fc.record({ name, file: fc.record({ filename: name, type: fc.constantFrom('', 'text/plain', 'application/octet-stream'), bytes: fc.uint8Array({ maxLength: 200 }) }) }),
);

test('FormData survives multipart serialisation and parsing', { timeout: fuzzTimeoutMs(120_000) }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(entry, { maxLength: 6 }), async (entries) => {
      const fd = new g.FormData();
      for (const e of entries) {
        if ('value' in e) fd.append(e.name, e.value);
        else fd.append(e.name, new g.File([e.file.bytes], e.file.filename, { type: e.file.type }));
      }
      const back = await new g.Request('http://h/', { method: 'POST', body: fd }).formData();
      const got = [...back.entries()];
      assert.equal(got.length, entries.length);
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        const [k, v] = got[i]!;
        assert.equal(k, e.name.replace(/\r(?!\n)|(?<!\r)\n/g, '\r\n'));
        if ('value' in e) assert.equal(v, e.value.replace(/\r(?!\n)|(?<!\r)\n/g, '\r\n'));
        else {
          assert.equal(v.name, e.file.filename);
          assert.equal(v.type, e.file.type || 'application/octet-stream');
          assert.deepEqual([...new Uint8Array(await v.arrayBuffer())], [...e.file.bytes]);
        }
      }
    }),
    fuzzParams(300),
  );
});

test('formData() of arbitrary bytes answers a FormData or a TypeError, nothing else', { timeout: fuzzTimeoutMs(120_000) }, async () => {
  const pieces = fc.oneof(fc.constantFrom('--B', '--B--', '\r\n', '\r\n\r\n', 'Content-Disposition: form-data; name="a"', '; filename="f"', 'Content-Type: x/y', '"'), fc.string({ maxLength: 8 }));
  await fc.assert(
    fc.asyncProperty(fc.array(pieces, { maxLength: 30 }), fc.uint8Array({ maxLength: 16 }), async (parts, noise) => {
      const text = new TextEncoder().encode(parts.join(''));
      const body = new Uint8Array(text.length + noise.length);
      body.set(text);
      body.set(noise, text.length);
      try {
        const fd = await new g.Response(body, { headers: { 'content-type': 'multipart/form-data; boundary=B' } }).formData();
        assert.equal(Object.prototype.toString.call(fd), '[object FormData]');
      } catch (e) {
        assert.equal((e as Error).name, 'TypeError', String(e));
      }
    }),
    fuzzParams(500),
  );
});

test('text() of arbitrary bytes agrees with Node, small and large (native) bodies', { timeout: fuzzTimeoutMs(120_000) }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.nat(40_000), async (bytes, pad) => {
      const big = new Uint8Array(pad + bytes.length);
      big.fill(0x61, 0, pad);
      big.set(bytes, pad);
      assert.equal(await new g.Response(big).text(), new TextDecoder().decode(big));
    }),
    fuzzParams(200),
  );
});
