// The agent's end of the reverse tunnel: it dials the server (an edge node behind NAT cannot be
// dialled), upgrades an HTTPS request authenticated with its node credential, and serves HTTP/2
// on that connection. Each stream is forwarded to the agent's own local API with its own token;
// CONNECT dials host:port from this node (probes of its replicas); a stream marked llmos-upgrade
// is an HTTP upgrade (exec -it, attach) whose raw bytes the stream then carries. Redials with
// back-off whenever the tunnel closes.
import http from 'node:http';
import http2, { type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import net from 'node:net';
import type { Logger } from 'pino';
import { tunnelPath, tunnelProtocol } from '../../contracts/cluster.js';
import { errorMessage } from '../../kernel/errors.js';
import { jsDuplex } from '../../kernel/js-duplex.js';

export interface LocalApi {
  /** host:port of this daemon's API. */
  address: string;
  token: string;
}

export interface TunnelOptions {
  server: URL;
  credential: string;
  ca: string;
  local: () => LocalApi | undefined;
  log: Logger;
}

/** Hop-by-hop headers (RFC 9110 7.6.1) do not cross from HTTP/1 to HTTP/2 or back. */
const hop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'te', 'llmos-upgrade']);

function h1Headers(h: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !k.startsWith(':') && !hop.has(k)) out[k] = v;
  return out;
}

function h2Headers(status: number, h: http.IncomingHttpHeaders, extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':status': status, ...extra };
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !hop.has(k)) out[k] = v;
  return out;
}

export class AgentTunnel {
  private stopped = false;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private current?: { destroy(): void };
  private readonly h2 = http2.createServer();
  private loggedDown = false;

  constructor(private readonly o: TunnelOptions) {
    this.h2.on('stream', (s, h) => this.serve(s, h));
    this.h2.on('sessionError', (e) => o.log.debug({ err: e }, 'agent: tunnel session'));
  }

  start(): void {
    this.dial();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.current?.destroy();
    this.h2.close();
  }

  private retry(why: string): void {
    this.current = undefined;
    if (this.stopped) return;
    this.failures++;
    if (!this.loggedDown) this.o.log.warn(`agent: tunnel to ${this.o.server.origin} down (${why}); redialling`);
    this.loggedDown = true;
    // 0.5 s, 1 s, 2 s ... capped at 15 s.
    const ms = Math.min(15_000, 500 * 2 ** Math.min(5, this.failures - 1));
    this.timer = setTimeout(() => this.dial(), ms);
    this.timer.unref();
  }

  private async dial(): Promise<void> {
    if (this.stopped) return;
    const { request } = await import('node:https');
    const req = request(new URL(tunnelPath, this.o.server), {
      method: 'GET',
      agent: false,
      ca: this.o.ca,
      headers: { connection: 'Upgrade', upgrade: tunnelProtocol, authorization: `Bearer ${this.o.credential}` },
      timeout: 10_000,
    });
    let done = false;
    const fail = (why: string) => {
      if (done) return;
      done = true;
      this.retry(why);
    };
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => fail(errorMessage(e)));
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => fail(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
    });
    req.on('upgrade', (_res, socket, head) => {
      done = true;
      req.setTimeout(0);
      socket.setTimeout(0);
      socket.setKeepAlive(true, 5000);
      this.current = socket;
      const opened = Date.now();
      if (this.loggedDown) this.o.log.info(`agent: tunnel to ${this.o.server.origin} open again`);
      this.loggedDown = false;
      socket.on('error', () => undefined);
      socket.on('close', () => {
        if (Date.now() - opened > 10_000) this.failures = 0;
        if (this.current === socket) this.retry('closed');
      });
      this.h2.emit('connection', jsDuplex(socket, head));
    });
    req.end();
  }

  private serve(s: ServerHttp2Stream, h: IncomingHttpHeaders): void {
    s.on('error', () => undefined);
    if (h[':method'] === 'CONNECT') return this.connect(s, String(h[':authority'] ?? ''));
    const local = this.o.local();
    if (!local) {
      s.respond({ ':status': 503, 'content-type': 'application/json' });
      s.end(JSON.stringify({ error: 'the agent\'s API is not up yet', code: 'E_UNAVAILABLE' }));
      return;
    }
    const [host, port] = [local.address.slice(0, local.address.lastIndexOf(':')), Number(local.address.slice(local.address.lastIndexOf(':') + 1))];
    const upgrade = h['llmos-upgrade'] ? String(h['llmos-upgrade']) : undefined;
    const req = http.request({
      host: host.replace(/^\[|\]$/g, ''),
      port,
      method: String(h[':method']),
      path: String(h[':path']),
      agent: false,
      headers: { ...h1Headers(h), authorization: `Bearer ${local.token}`, ...(upgrade ? { connection: 'Upgrade', upgrade } : {}) },
    });
    // The tunnel may close while the local API works on a request (respond() on a destroyed
    // stream throws, and would take the whole agent down): drop the answer then.
    const gone = () => s.destroyed || s.closed;
    s.on('close', () => req.destroy());
    req.on('error', (e) => {
      if (gone()) return;
      if (s.headersSent) return s.destroy();
      s.respond({ ':status': 502, 'content-type': 'application/json' });
      s.end(JSON.stringify({ error: `the node's API: ${errorMessage(e)}`, code: 'E_UNAVAILABLE' }));
    });
    req.on('response', (res) => {
      if (gone()) return res.destroy();
      s.respond(h2Headers(res.statusCode ?? 502, res.headers));
      res.pipe(s);
      s.on('close', () => res.destroy());
    });
    req.on('upgrade', (res, sock, head) => {
      if (gone()) return sock.destroy();
      s.respond(h2Headers(200, res.headers, { 'llmos-upgraded': String(res.statusCode ?? 101) }));
      if (head.length) s.write(head);
      sock.pipe(s);
      s.pipe(sock);
      sock.on('error', () => s.destroy());
      s.on('close', () => sock.destroy());
    });
    if (upgrade) req.end();
    else s.pipe(req);
  }

  private connect(s: ServerHttp2Stream, authority: string): void {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(authority);
    if (!m) {
      s.respond({ ':status': 400, 'llmos-error': 'bad authority' });
      s.end();
      return;
    }
    const sock = net.connect(Number(m[2]), m[1]!);
    sock.once('connect', () => {
      if (s.destroyed || s.closed) return sock.destroy();
      s.respond({ ':status': 200 });
      sock.pipe(s);
      s.pipe(sock);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      if (s.destroyed || s.closed) return;
      if (!s.headersSent) {
        s.respond({ ':status': 502, 'llmos-error': e.code ?? e.message });
        s.end();
      } else s.destroy();
    });
    s.on('close', () => sock.destroy());
  }
}
