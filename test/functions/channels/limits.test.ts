// Stream and WebSocket limits as deploy options (--stream-max, --stream-idle, --ws-max-sockets,
// --ws-max-message): defaults as Workers, ranges validated, each enforced at the value given; the
// bytes and messages through the gateway are counted in the function's metrics.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startDaemon, type TestDaemon } from '../../support/daemon.js';

let d: TestDaemon;
let dir: string;

const APP = `export default { async fetch(req) {
  const u = new URL(req.url);
  if (req.headers.get('upgrade') === 'websocket') {
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    server.addEventListener('message', (e) => server.send(e.data));
    return new Response(null, { status: 101, webSocket: client });
  }
  const n = Number(u.searchParams.get('n'));
  // One KiB per pull, each after a timer: a stream the gateway pulls chunk by chunk.
  let i = 0;
  return new Response(new ReadableStream({ async pull(c) { await new Promise((r) => setTimeout(r, 1)); if (i++ < n) c.enqueue(new Uint8Array(1024)); else c.close(); } }));
} };`;

async function deploy(name: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return d.cli(['fn', 'deploy', name, '--code', path.join(dir, 'app.js'), ...args]);
}

/** Opens a socket, sends one message of `bytes`, and resolves with the echo's size or the close code. */
function roundTrip(url: string, bytes: number): Promise<{ echo?: number; close?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('open', () => ws.send('x'.repeat(bytes)));
    ws.on('message', (m: Buffer) => (resolve({ echo: m.length }), ws.close()));
    ws.on('close', (code) => resolve({ close: code }));
    ws.on('error', reject);
  });
}

/** Reads a streamed answer to its end (or its cut): the bytes that came. */
async function streamed(url: string): Promise<number> {
  const r = await fetch(url);
  let n = 0;
  try {
    for await (const c of r.body!) n += (c as Uint8Array).byteLength;
  } catch {
    // cut short: what came is the answer
  }
  return n;
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-limits-'));
  await writeFile(path.join(dir, 'app.js'), APP);
  d = await startDaemon();
  const r = await deploy('lim', ['--ws-max-message', '2k', '--ws-max-sockets', '4', '--stream-max', '4k', '--stream-idle', '2s']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await deploy('dflt', [])).code, 0);
});

after(async () => {
  await d?.finish();
  await rm(dir, { recursive: true, force: true });
});

describe('stream and WebSocket limits are deploy options', () => {
  test('the spec carries the defaults (256 MiB, 30 s, 32 sockets, 1 MiB) and the values given', async () => {
    const spec = (name: string) => d.api<{ spec: Record<string, number> }>('GET', `/v1/functions/${name}`).then((r) => r.body.spec);
    const s = await spec('dflt');
    assert.deepEqual([s.streamMaxBytes, s.streamIdleMs, s.wsMaxSockets, s.wsMaxMessageBytes], [256 * 2 ** 20, 30_000, 32, 2 ** 20]);
    const l = await spec('lim');
    assert.deepEqual([l.streamMaxBytes, l.streamIdleMs, l.wsMaxSockets, l.wsMaxMessageBytes], [4096, 2000, 4, 2048]);
  });

  test('--ws-max-message: a message under it is echoed, one over it closes the socket with 1009 (the default takes it)', async () => {
    const ws = (fn: string) => `${d.gateway!.replace('http', 'ws')}/fn/${fn}/`;
    assert.deepEqual(await roundTrip(ws('lim'), 1000), { echo: 1000 });
    assert.deepEqual(await roundTrip(ws('lim'), 3000), { close: 1009 });
    assert.deepEqual(await roundTrip(ws('dflt'), 3000), { echo: 3000 });
  });

  test('--stream-max: a stream past it is cut short; under it, whole', async () => {
    assert.equal(await streamed(`${d.gateway}/fn/lim/?n=2`), 2048);
    assert.ok((await streamed(`${d.gateway}/fn/lim/?n=16`)) < 16 * 1024);
    assert.equal(await streamed(`${d.gateway}/fn/dflt/?n=16`), 16 * 1024);
  });

  test('ranges are validated: exit 1 with one line, nothing deployed', async () => {
    for (const [flag, value, msg] of [['--ws-max-message', '10', /WebSocket message max must be from/], ['--stream-max', '8g', /stream max must be from/], ['--ws-max-sockets', '0', /WebSockets per instance must be an integer from 1 to 1024/], ['--stream-idle', '1ms', /stream idle timeout must be from/]] as const) {
      const r = await deploy('badlim', [flag, value]);
      assert.equal(r.code, 1, `${flag} ${value}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, msg);
    }
    assert.equal((await d.api('GET', '/v1/functions/badlim')).status, 404);
  });

  test('streamed bytes and WebSocket messages are counted in the metrics', async () => {
    const text = await (await fetch(`${d.host}/metrics`, { headers: { authorization: `Bearer ${d.token}` } })).text();
    const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
    assert.ok(value(/llmos_function_stream_bytes_total\{function="dflt"\} (\d+)/) >= 16 * 1024, text.split('\n').filter((l) => l.includes('stream_bytes')).join('\n'));
    assert.ok(value(/llmos_function_websocket_messages_total\{function="lim",direction="in"\} (\d+)/) >= 1, "the 1000-byte message (the 3000-byte one was refused)");
    assert.ok(value(/llmos_function_websocket_bytes_total\{function="lim",direction="out"\} (\d+)/) >= 1000);
  });
});
