// WebSocket upgrades through the gateway, as Workers does them: the Upgrade request runs the
// function's fetch like any other request; only when it answers 101 with the client end of a
// WebSocketPair does the gateway accept the upgrade (ws) and join the two; any other answer goes
// back as an ordinary HTTP response. Frames go both ways until either side closes; a message over
// the function's --ws-max-message (default 1 MiB) closes the socket (1009); the gateway's close ends every socket.
// Messages and their bytes are counted in the function's metrics, each way.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { failureResponse } from '../../kernel/http-errors.js';
import { InvocationFailed } from '../../kernel/invocation-failed.js';
import type { FunctionsApi } from '../functions/module.js';
import type { FunctionSocket, InvokeResponse } from '../functions/runtime/instance.js';
import { HOPS_HEADER, MAX_HOPS, hopsOf, requestHeaders, responseHeaders, routeByHost, validHost } from './headers.js';
import { hasToken, parseRoute } from './server.js';

/** Largest answer to an upgrade request that is not an upgrade (read whole before it is sent). */
const MAX_PLAIN_ANSWER = 16 * 2 ** 20;

/** Close codes a server may send (RFC 6455 7.4); others become 1011. */
const sendable = (code: number): number => (code === 1000 || (code >= 1001 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999) ? code : 1011);

function writeRaw(socket: Duplex, status: number, headers: string[], body: Uint8Array | string): void {
  if (socket.destroyed) return;
  const b = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}`];
  for (let i = 0; i < headers.length; i += 2) if (headers[i] !== 'content-length') lines.push(`${headers[i]}: ${String(headers[i + 1]).replace(/[\r\n]/g, '')}`);
  lines.push(`content-length: ${b.length}`, 'connection: close', '', '');
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n')), b]));
}

function fail(socket: Duplex, e: unknown, requestId: string, fn: string | undefined, logError: (fn: string, text: string) => void): void {
  let f = e instanceof InvocationFailed ? e : new InvocationFailed('handler-error', (e as Error)?.message ?? String(e));
  if ((f.reason === 'handler-error' || f.reason === 'start-failed') && fn) {
    logError(fn, `request ${requestId}: ${f.message}`);
    f = new InvocationFailed(f.reason, `function ${fn} failed (request id ${requestId}; the error is in llmos fn logs ${fn})`);
  }
  const r = failureResponse(f);
  writeRaw(socket, r.status, [...Object.entries(r.headers).flat(), 'x-request-id', requestId], r.body);
}

/** Joins a caller's connection to the function's socket. */
function join(ws: WebSocket, fs: FunctionSocket, count: (dir: 'ws-in' | 'ws-out', bytes: number) => void): void {
  fs.attach({
    send: (d) => ws.readyState === ws.OPEN && (count('ws-out', typeof d === 'string' ? Buffer.byteLength(d) : d.byteLength), ws.send(d)),
    close: (code, reason) => ws.readyState <= ws.OPEN && ws.close(sendable(code), reason.slice(0, 123)),
  });
  let waiting = 0;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    // The isolate takes frames one after the other; a flooding client is paused, not buffered.
    if (++waiting > 8) ws.pause();
    count('ws-in', data.byteLength);
    const msg = isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString('utf8');
    fs.message(msg).then(
      () => {
        if (--waiting <= 8) ws.resume();
      },
      () => ws.readyState <= ws.OPEN && ws.close(1011, 'the function failed'),
    );
  });
  ws.on('close', (code: number, reason: Buffer) => fs.close(code, reason.toString('utf8')));
  ws.on('error', () => ws.terminate());
}

/** Serves WebSocket upgrades on the gateway's server. */
export function attachWebSockets(server: Server, functions: () => FunctionsApi, opts: { token: string; domain?: string }): void {
  const domain = opts.domain || 'fn.localhost';
  // One server per message limit in use (ws checks maxPayload while it reads a frame, before buffering it whole).
  const servers = new Map<number, WebSocketServer>();
  const wssFor = (maxPayload: number): WebSocketServer => {
    let w = servers.get(maxPayload);
    if (!w) servers.set(maxPayload, (w = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false })));
    return w;
  };
  const logError = (fn: string, text: string) => {
    try {
      functions().logs.write(fn, 'gateway', 'error', text);
    } catch {
      // The functions module is gone: the caller still gets its answer.
    }
  };
  server.on('close', () => {
    for (const wss of servers.values()) {
      for (const c of wss.clients) c.terminate();
      wss.close();
    }
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const requestId = randomUUID();
    const ctx: { fn?: string } = {};
    socket.on('error', () => socket.destroy());
    void upgrade(req, socket, head, requestId, ctx).catch((e: unknown) => fail(socket, e, requestId, ctx.fn, logError));
  });

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, requestId: string, ctx: { fn?: string }): Promise<void> {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathname = q < 0 ? raw : raw.slice(0, q);
    const host = validHost(req.headers.host);
    if (host === undefined) throw new InvocationFailed('not-found', 'the Host header is not a valid host[:port]');
    const byHost = routeByHost(host, domain);
    const route = byHost ? { async: false, name: byHost.name, path: pathname.startsWith('/') ? pathname : '/' } : parseRoute(pathname);
    if (!route || route.async) throw new InvocationFailed('not-found', `no WebSocket route ${pathname}: use /fn/NAME/PATH`);
    const fns = functions();
    if (byHost?.namespace !== undefined && fns.inspect(route.name).spec.namespace !== byHost.namespace) throw new InvocationFailed('not-found', `no function named ${route.name} in namespace ${byHost.namespace}`);
    ctx.fn = route.name;
    const hops = hopsOf(req.headers[HOPS_HEADER]);
    if (hops >= MAX_HOPS) throw new InvocationFailed('loop-detected', `function ${route.name}: the request passed the gateway ${hops} times (limit ${MAX_HOPS})`);
    const authorized = hasToken(req.headers.authorization, opts.token);
    const headers = requestHeaders(req.rawHeaders, { dropAuthorization: authorized, remoteAddress: req.socket.remoteAddress, prefix: byHost ? '' : `/fn/${route.name}`, hops, requestId });
    // The function sees the upgrade it is asked for, as on Workers (hop-by-hop headers are dropped otherwise).
    headers.push(['upgrade', String(req.headers.upgrade ?? 'websocket')], ['connection', 'Upgrade']);
    const out: InvokeResponse = await fns.invoke(route.name, { method: req.method ?? 'GET', url: `http://${host}${route.path}${raw.slice(pathname.length)}`, headers, body: null });
    if (out.status === 101 && out.webSocket) {
      const fs = out.webSocket;
      if (socket.destroyed) return fs.close(1006, 'the client went away');
      let limit: number;
      try {
        limit = fns.inspect(route.name).spec.wsMaxMessageBytes;
      } catch {
        return fs.close(1011, 'the function was removed');
      }
      return wssFor(limit).handleUpgrade(req, socket, head, (ws) => join(ws, fs, (dir, n) => fns.countChannel(route.name, dir, n)));
    }
    // Not an upgrade: the function's own answer, whole (a streamed body is read to its end).
    const parts: Uint8Array[] = out.body?.byteLength ? [out.body] : [];
    let total = parts[0]?.byteLength ?? 0;
    if (out.stream) {
      for (let c = await out.stream.read(); c; c = await out.stream.read()) {
        parts.push(c);
        total += c.byteLength;
        if (total > MAX_PLAIN_ANSWER) {
          out.stream.cancel('too large');
          throw new InvocationFailed('bad-response', `function ${route.name}: the answer to an upgrade request is too large`);
        }
      }
    }
    const body = Buffer.concat(parts);
    writeRaw(socket, out.status, responseHeaders(out.headers, requestId, body.length), body);
  }
}
