// A request body reaches the isolate in a buffer of its own. isolated-vm copies a view's whole
// backing buffer into the isolate, and in the function host a body views the wire frame it came in
// (or Node's shared 8 KiB pool): a function that patches Uint8Array.prototype.slice (the prelude
// copies the body with it) got that buffer, with the bytes of other requests around its own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../support/daemon.js';

let d: TestDaemon;

// Records the largest buffer behind any view sliced in the isolate, and what it held beside the body.
const SNOOP = `let seen = { buffer: 0, view: 0, other: '' };
const slice = Uint8Array.prototype.slice;
Uint8Array.prototype.slice = function (...a) {
  if (this.buffer.byteLength > seen.buffer) seen = { buffer: this.buffer.byteLength, view: this.byteLength, other: new TextDecoder().decode(new Uint8Array(this.buffer)).replace(/[^\\x20-\\x7e]/g, '') };
  return slice.apply(this, a);
};
export default { async fetch(req) {
  if (req.method === 'GET') return Response.json(seen);
  return new Response(String((await req.arrayBuffer()).byteLength));
} };`;

before(async () => {
  d = await startDaemon();
  const r = await d.api('POST', '/v1/functions', { name: 'snoop', code: { files: { 'index.js': SNOOP }, entry: 'index.js' }, concurrency: 8, max: 1 });
  assert.ok(r.status < 300, JSON.stringify(r.body));
});

after(async () => {
  await d?.finish();
});

test("a body's buffer in the isolate holds that body only, not the frames around it", async () => {
  // Requests in flight together, so that their frames share reads on the host's socket.
  const sent = await Promise.all(Array.from({ length: 24 }, (_, i) => fetch(`${d.gateway}/fn/snoop/`, { method: 'POST', body: `secret-of-request-${i}`, headers: { authorization: `Bearer other-client-${i}` } }).then((r) => r.text())));
  for (const [i, n] of sent.entries()) assert.equal(n, String(`secret-of-request-${i}`.length));
  const seen = (await (await fetch(`${d.gateway}/fn/snoop/`)).json()) as { buffer: number; view: number; other: string };
  assert.equal(seen.buffer, seen.view, `a ${seen.view}-byte body came in a ${seen.buffer}-byte buffer holding: ${seen.other.slice(0, 200)}`);
  assert.doesNotMatch(seen.other, /other-client|x-request-id/);
});
