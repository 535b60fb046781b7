// Fuzz of the gateway's request paths against a real daemon over raw TCP: random methods, paths
// (percent-encodings, unicode, dot segments), headers (tokens, bogus lengths, chunked), bodies over
// and under the limits, sync and async. Property: every answer is below 500 (or the connection is
// closed by the HTTP parser), and the daemon stays up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { fuzzParams, fuzzTimeoutMs } from './fuzz-budget.js';

let d: TestDaemon;
let dir: string;
let port: number;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-gw-fuzz-'));
  d = await startDaemon();
  port = Number(new URL(d.gateway!).port);
  const f = path.join(dir, 'echo.js');
  await writeFile(f, `export default { async fetch(req) { const b = await req.arrayBuffer(); return new Response(b, { headers: { 'x-path': new URL(req.url).pathname.slice(0, 100) } }); } };`);
  for (const [name, extra] of [['echo', []], ['pub', ['--async-public', '--async-max', '20', '--async-max-bytes', '8k', '--async-ttl', '1s']]] as const) {
    const r = await d.cli(['fn', 'deploy', name, '--code', f, '--body-limit', '2k', ...extra]);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await d?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Sends raw bytes, half-closes, and returns the status of the first response (undefined: none). */
function raw(bytes: Buffer): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer and no close within 10 s for ${JSON.stringify(bytes.subarray(0, 300).toString('latin1'))}`));
    }, 10_000);
    const done = () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      resolve(m ? Number(m[1]) : undefined);
    };
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (/^HTTP\/1\.[01] \d{3}/.test(got)) {
        s.destroy();
        done();
      }
    });
    s.on('error', () => undefined); // a reset after the answer (or instead of one) is fine
    s.on('close', done);
    s.end(bytes);
  });
}

const segment = fc.oneof(
  fc.constantFrom('echo', 'pub', 'nope', '', '.', '..', '%2e%2e', '%', '%E0%A4%A', '%00', '%2F', 'a b', '😀', 'x'.repeat(300)),
  fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)),
  fc.stringMatching(/^[a-z0-9-]{1,20}$/),
);
const target = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('/fn/echo', '/fn/pub', '/async/fn/pub', '/async/fn/echo'), fc.array(fc.string({ maxLength: 8 }).map(encodeURIComponent), { maxLength: 3 })).map(([p, segs]) => [p, ...segs].join('/')) },
  fc.tuple(fc.constantFrom('/fn/', '/async/fn/', '/fn', '/async/', '//fn/', '/FN/', '/'), fc.array(segment, { maxLength: 4 })).map(([p, segs]) => p + segs.join('/')),
  fc.constantFrom('/healthz', '*', 'http://evil/fn/echo/', '/fn/echo/?a=%zz&b', '/fn/echo/#frag', '/fn/echo/' + '?q='.repeat(100)),
  fc.string({ maxLength: 30 }).filter((s) => !/[\r\n ]/.test(s)),
).map((p) => (p.length ? p : '/'));
const method = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('TRACE', 'CONNECT', 'BREW'), fc.stringMatching(/^[A-Z]{1,10}$/)) });
const headerValue: fc.Arbitrary<string> = fc.oneof(fc.stringMatching(/^[ -~]{0,40}$/), fc.constantFrom('', '-1', '1e3', '99999999999999999999', ' 5', 'chunked', 'gzip, chunked'));
const header = fc.oneof(
  fc.tuple(fc.constantFrom('content-type', 'x-thing', 'expect', 'connection', 'upgrade', 'x-forwarded-for', 'x-forwarded-prefix', 'accept-encoding'), headerValue),
  fc.tuple(fc.constant('authorization'), fc.oneof(fc.constantFrom('Bearer', 'Bearer ', 'bearer x', 'Basic YTpi', ''), headerValue)),
  fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/), headerValue),
);
const framing = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('exact', 'none', 'chunked') }, { weight: 1, arbitrary: fc.constantFrom('short', 'long', 'bad-chunked', 'both') });

const request = fc.record({ method, target, headers: fc.array(header, { maxLength: 3 }), body: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 12_000 }).map((n) => new Uint8Array(n).fill(120))), framing, token: fc.boolean() });

type Req = typeof request extends fc.Arbitrary<infer T> ? T : never;

function encode(r: Req): Buffer {
  const body = Buffer.from(r.body);
  const lines = [`${r.method} ${r.target} HTTP/1.1`, 'host: 127.0.0.1'];
  for (const [k, v] of r.headers) lines.push(`${k}: ${v}`);
  if (r.token) lines.push(`authorization: Bearer ${d.token}`);
  let payload = body;
  switch (r.framing) {
    case 'exact': lines.push(`content-length: ${body.length}`); break;
    case 'short': lines.push(`content-length: ${Math.max(0, body.length - 7)}`); break;
    case 'long': lines.push(`content-length: ${body.length + 7}`); break;
    case 'chunked': lines.push('transfer-encoding: chunked'); payload = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from(`\r\n0\r\n\r\n`)]); break;
    case 'bad-chunked': lines.push('transfer-encoding: chunked'); payload = Buffer.concat([Buffer.from('zz\r\n'), body]); break;
    case 'both': lines.push(`content-length: ${body.length}`, 'transfer-encoding: chunked'); break;
    case 'none': payload = Buffer.alloc(0); break;
  }
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), payload]);
}

test('fuzz: gateway requests never get a 5xx and never take the daemon down', { timeout: fuzzTimeoutMs(240_000) }, async () => {
  const statuses = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const status = await raw(encode(r));
      const k = String(status ?? 'closed');
      statuses.set(k, (statuses.get(k) ?? 0) + 1);
      assert.ok(status === undefined || status < 500, `status ${status} for ${JSON.stringify({ ...r, body: `${r.body.length} bytes` })}`);
    }),
    fuzzParams(800),
  );
  console.log(`gateway fuzz statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  assert.equal((await fetch(`${d.gateway}/healthz`)).status, 200);
  assert.equal((await d.api('GET', '/v1/functions/echo')).status, 200);
  const ok = await fetch(`${d.gateway}/fn/echo/still`, { method: 'POST', body: 'alive' });
  assert.equal(await ok.text(), 'alive');
});
