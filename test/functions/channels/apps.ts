// The apps the channels suite runs on LLMOS and on workerd: WebSocket echo/chat, streamed
// bodies (ordered by a second request, not by time), a stream that records its cancel, an
// endless stream for backpressure, and a Hono app using upgradeWebSocket.

export const CHANNELS_APP = `
let cancelled = 'no'; let pulled = 0;
const room = new Set();
const enc = new TextEncoder();
export default { async fetch(req) {
  const u = new URL(req.url); const p = u.pathname.replace(/^\\/fn\\/[^/]+/, '');
  if (p === '/echo') {
    if (req.headers.get('upgrade') !== 'websocket') return new Response('expected an upgrade', { status: 426 });
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    server.addEventListener('message', (e) => {
      if (e.data === 'close') return server.close(4000, 'asked to');
      server.send(typeof e.data === 'string' ? 'echo:' + e.data : new Uint8Array(e.data).reverse());
    });
    server.send('welcome');
    return new Response(null, { status: 101, webSocket: client });
  }
  if (p === '/chat') {
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    room.add(server);
    server.addEventListener('message', (e) => { for (const s of room) s.send(u.searchParams.get('name') + ': ' + e.data); });
    server.addEventListener('close', () => room.delete(server));
    return new Response(null, { status: 101, webSocket: client });
  }
  // Chunk 2 waits for the test's peer to answer /wait, which it does only once the client read chunk 1
  // (workerd cancels a request whose promise another request resolves, so the gate is outside).
  const wait = () => fetch(u.searchParams.get('origin') + '/wait').then((r) => r.text());
  if (p === '/stream') {
    return new Response(new ReadableStream({ async start(c) { c.enqueue(enc.encode('chunk 1\\n')); await wait(); c.enqueue(enc.encode('chunk 2\\n')); c.close(); } }), { headers: { 'content-type': 'text/plain' } });
  }
  if (p === '/sse') {
    const { readable, writable } = new TransformStream();
    const w = writable.getWriter();
    (async () => { await w.write(enc.encode('data: one\\n\\n')); await wait(); await w.write(enc.encode('data: two\\n\\n')); await w.close(); })();
    return new Response(readable, { headers: { 'content-type': 'text/event-stream' } });
  }
  if (p === '/forever') {
    cancelled = 'no';
    return new Response(new ReadableStream({
      pull(c) { return new Promise((r) => setTimeout(() => { try { c.enqueue(enc.encode('tick\\n')); } catch {} r(); }, 5)); },
      cancel() { cancelled = 'cancelled'; },
    }));
  }
  if (p === '/cancelled') return new Response(cancelled);
  if (p === '/big') {
    pulled = 0;
    const chunk = new Uint8Array(64 * 1024);
    return new Response(new ReadableStream({ pull(c) { pulled++; c.enqueue(chunk.slice()); } }, { highWaterMark: 0 }));
  }
  if (p === '/pulled') return new Response(String(pulled));
  if (p === '/plain') return new Response('no upgrade here', { status: 403 });
  return new Response('not found', { status: 404 });
} };`;

export const HONO_WS_APP = `
import { Hono } from 'hono';
import { upgradeWebSocket } from 'hono/cloudflare-workers';
const app = new Hono();
app.get('/ws', upgradeWebSocket(() => ({
  onMessage(evt, ws) { ws.send('hono:' + evt.data); },
})));
app.get('/', (c) => c.text('hono here'));
export default app;
`;
