// Fuzz of the host wire (wire.ts): any batch of messages, cut into any chunks, arrives whole and in
// order; any bytes at all either decode to messages or break the connection (onBroken), and
// never throw into the reader's event loop (the daemon would crash on a hostile host).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { fuzzParams, fuzzTimeoutMs } from '../../../../test/functions/fuzz-budget.js';
import { encodeFast } from './fast-frames.js';
import { Wire } from './wire.js';

type Msg = { t: string; rid: number; body?: Uint8Array; text?: string };

/** A reader Wire on a stream fed by hand, and what it delivered. */
function reader() {
  const sock = new PassThrough();
  const got: Msg[] = [];
  const broken: string[] = [];
  new Wire<Msg, Msg>(sock, (m) => void got.push(m), (why) => void broken.push(why));
  return { feed: (b: Buffer) => sock.emit('data', b), got, broken, sock };
}

/** What a Wire writes for these messages (the frames, concatenated). */
async function encode(ms: Msg[]): Promise<Buffer> {
  const sock = new PassThrough();
  const w = new Wire<Msg, Msg>(sock, () => undefined);
  const out: Buffer[] = [];
  sock.on('data', (c: Buffer) => out.push(c));
  for (const m of ms) w.send(m);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  return Buffer.concat(out);
}

const msg = fc.record({
  t: fc.constantFrom('ok', 'err', 'log', 'invoke'),
  rid: fc.nat(),
  body: fc.option(fc.uint8Array({ maxLength: 3000 }), { nil: undefined }),
  text: fc.option(fc.string({ maxLength: 50 }), { nil: undefined }),
});

test('messages cut into any chunks arrive whole and in order', { timeout: fuzzTimeoutMs(60_000) }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(msg, { minLength: 1, maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 40 }), async (ms, cuts) => {
      const bytes = await encode(ms);
      const r = reader();
      let off = 0;
      for (const c of cuts) {
        if (off >= bytes.length) break;
        r.feed(bytes.subarray(off, off + c));
        off += c;
      }
      if (off < bytes.length) r.feed(bytes.subarray(off));
      assert.deepEqual(r.broken, []);
      assert.equal(r.got.length, ms.length);
      for (let i = 0; i < ms.length; i++) {
        const a = r.got[i]!;
        const b = ms[i]!;
        assert.equal(a.t, b.t);
        assert.equal(a.rid, b.rid);
        assert.equal(a.text, b.text);
        assert.deepEqual(a.body ? Buffer.from(a.body) : undefined, b.body ? Buffer.from(b.body) : undefined);
      }
    }),
    fuzzParams(300),
  );
});

test('any bytes: messages or a broken connection, never a throw', { timeout: fuzzTimeoutMs(60_000) }, async () => {
  const header = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
  };
  // Plausible frames (a length that fits) with random payloads, plus raw noise and absurd lengths.
  const chunk = fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((p) => Buffer.concat([header(p.length), Buffer.from(p)])),
    fc.uint8Array({ maxLength: 64 }).map((p) => Buffer.from(p)),
    fc.constantFrom(header(0xffffffff), header(2 ** 30 + 1), header(0)),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(chunk, { maxLength: 12 }), async (chunks) => {
      const r = reader();
      for (const c of chunks) {
        if (r.sock.destroyed) break;
        assert.doesNotThrow(() => r.feed(c));
      }
      for (const m of r.got) assert.equal(typeof m.t, 'string');
    }),
    fuzzParams(2000),
  );
});

// The two hot messages have their own frame (fast-frames.ts): any of them, and near misses of
// their shape (which must go as v8), arrive exactly as sent; bodies as bytes, null kept apart from empty.
const str = fc.string({ maxLength: 40, unit: 'binary' });
const pairs = fc.array(fc.tuple(str, str), { maxLength: 8 });
const body = fc.option(fc.uint8Array({ maxLength: 2000 }), { nil: null });
const hot = fc.oneof(
  fc.record({ t: fc.constant('invoke'), rid: fc.nat(), id: str, timeoutMs: fc.nat(), req: fc.record({ method: str, url: str, headers: pairs, body }) }),
  fc.record({ t: fc.constant('ok'), rid: fc.nat(), value: fc.record({ status: fc.integer({ min: -1, max: 1000 }), statusText: fc.option(str, { nil: undefined }), headers: pairs, body, sid: fc.option(fc.nat(), { nil: undefined }), ws: fc.option(fc.nat(), { nil: undefined }) }, { requiredKeys: ['status', 'headers', 'body'] }) }),
  fc.record({ t: fc.constant('ok'), rid: fc.nat(), value: body }),
  // Near misses: an extra key, a header that is not a string pair, a status that is not a finite number.
  fc.record({ t: fc.constant('invoke'), rid: fc.nat(), id: str, timeoutMs: fc.nat(), req: fc.record({ method: str, url: str, headers: pairs, body, extra: fc.nat() }) }),
  fc.record({ t: fc.constant('ok'), rid: fc.nat(), value: fc.record({ status: fc.constantFrom(NaN, Infinity, '200'), headers: fc.constant([['a', 1]]), body }) }),
);
const plain = (v: unknown): unknown => (v instanceof Uint8Array ? { bytes: [...v] } : Array.isArray(v) ? v.map(plain) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, plain(x)])) : v);

test('the hot messages and near misses of their shape arrive exactly as sent', { timeout: fuzzTimeoutMs(60_000) }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(hot, { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 700 }), async (ms, cut) => {
      const bytes = await encode(ms as unknown as Msg[]);
      const r = reader();
      for (let off = 0; off < bytes.length; off += cut) r.feed(bytes.subarray(off, off + cut));
      assert.deepEqual(r.broken, []);
      assert.deepEqual(plain(r.got), plain(ms));
    }),
    fuzzParams(500),
  );
});

test('the hot shapes take the compact frame; anything else goes as v8', () => {
  const req = { method: 'GET', url: 'http://h/', headers: [['a', 'b']], body: null };
  assert.ok(encodeFast({ t: 'invoke', rid: 1, id: 'i', timeoutMs: 5, req }));
  assert.ok(encodeFast({ t: 'ok', rid: 1, value: { status: 200, headers: [], body: new Uint8Array(3) } }));
  assert.ok(encodeFast({ t: 'ok', rid: 1, value: null }));
  assert.equal(encodeFast({ t: 'invoke', rid: 1, id: 'i', timeoutMs: 5, req: { ...req, onCancel: () => undefined } }), undefined);
  assert.equal(encodeFast({ t: 'ok', rid: 1, value: { status: 200, headers: [['a', new Map()]], body: null } }), undefined);
  assert.equal(encodeFast({ t: 'kvres', kid: 1, err: '', res: new ArrayBuffer(2) }), undefined);
});

test('a handler that throws breaks the connection instead of throwing', async () => {
  const sock = new PassThrough();
  const broken: string[] = [];
  new Wire<Msg, Msg>(sock, () => { throw new Error('boom'); }, (why) => void broken.push(why));
  const bytes = await encode([{ t: 'ok', rid: 1 }]);
  assert.doesNotThrow(() => sock.emit('data', bytes));
  assert.equal(broken.length, 1);
  assert.match(broken[0]!, /boom/);
});
