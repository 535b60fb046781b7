// A service's host port: an HTTP reverse proxy (least outstanding requests) or a TCP proxy
// (round robin) in front of its ready replicas. Which backend to pick is decided in balancer.ts.
import http from 'node:http';
import net from 'node:net';
import { errorMessage } from '../../kernel/errors.js';
import { LoadMeter, pickLeastOutstanding, pickRoundRobin } from './balancer.js';
import type { PortProtocol } from './types.js';

export interface Backend {
  id: string;
  name: string;
  host: string;
  port: number;
}

interface Live extends Backend {
  inflight: number;
}

// Hop-by-hop headers are for one connection only (RFC 9110 section 7.6.1).
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);
const retryable = new Set(['GET', 'HEAD', 'OPTIONS']);
const retryErrors = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'EPIPE']);

export class ServiceProxy {
  readonly meter = new LoadMeter(Date.now());
  private backends: Live[] = [];
  private cursor = 0;
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 512, keepAliveMsecs: 1000 });

  constructor(
    readonly hostPort: number,
    readonly protocol: PortProtocol,
    readonly addresses: readonly string[],
  ) {}

  /** Binds every address; on any failure closes what was bound and throws. */
  async listen(): Promise<void> {
    try {
      for (const host of this.addresses) {
        const server = this.protocol === 'http' ? this.httpServer() : net.createServer((s) => this.tcpConnection(s));
        server.on('connection', (s: net.Socket) => {
          this.sockets.add(s);
          s.once('close', () => this.sockets.delete(s));
        });
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host, port: this.hostPort, exclusive: true }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        this.servers.push(server);
      }
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /** Replaces the backend set, keeping in-flight counts of the backends that stay. */
  setBackends(next: readonly Backend[]): void {
    const old = new Map(this.backends.map((b) => [b.id, b]));
    this.backends = next.map((b) => {
      const o = old.get(b.id);
      return o && o.host === b.host && o.port === b.port ? o : { ...b, inflight: 0 };
    });
  }

  backendNames(): string[] {
    return this.backends.map((b) => b.name);
  }

  async close(): Promise<void> {
    const servers = this.servers.splice(0);
    for (const s of this.sockets) s.destroy();
    this.agent.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private pick(exclude: ReadonlySet<string>): Live | undefined {
    const cands = this.backends.filter((b) => !exclude.has(b.id));
    if (this.protocol === 'http') {
      const p = pickLeastOutstanding(cands, this.cursor % Math.max(1, cands.length));
      this.cursor = p.cursor;
      return cands[p.index];
    }
    const p = pickRoundRobin(cands.length, this.cursor);
    this.cursor = p.cursor;
    return cands[p.index];
  }

  private httpServer(): http.Server {
    const server = http.createServer((req, res) => this.forward(req, res, new Set()));
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.upgrade(req, socket, head));
    server.keepAliveTimeout = 5000;
    return server;
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse, tried: Set<string>): void {
    const b = this.pick(tried);
    if (!b) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end(`no ready replica behind port ${this.hostPort}\n`);
      return;
    }
    tried.add(b.id);
    const now = Date.now;
    b.inflight++;
    if (tried.size === 1) this.meter.begin(now());
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      b.inflight = Math.max(0, b.inflight - 1);
    };
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!hopByHop.has(k) && v !== undefined) headers[k] = v;
    const peer = req.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${String(req.headers['x-forwarded-for'])}, ${peer}` : peer;
    headers['x-forwarded-host'] ??= req.headers.host ?? '';
    const up = http.request({ host: b.host, port: b.port, method: req.method, path: req.url, headers, agent: this.agent });
    up.on('response', (ures) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(ures.headers)) if (!hopByHop.has(k) && v !== undefined) out[k] = v;
      out['x-llmos-replica'] = b.name;
      res.writeHead(ures.statusCode ?? 502, ures.statusMessage, out);
      ures.pipe(res);
      ures.on('error', () => res.destroy());
    });
    up.on('error', (e) => {
      finish();
      // A replica that went away before answering (refused, or closed a kept-alive connection):
      // requests without side effects go to another one.
      if (!res.headersSent && retryable.has(req.method ?? '') && tried.size < this.backends.length && retryErrors.has((e as NodeJS.ErrnoException).code ?? '')) return this.forward(req, res, tried);
      this.meter.end(now());
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`replica ${b.name}: ${errorMessage(e)}\n`);
      else res.destroy();
    });
    res.once('close', () => {
      if (!done) {
        finish();
        this.meter.end(now());
      }
      if (!up.writableEnded) up.destroy();
    });
    if (tried.size === 1) req.pipe(up);
    else up.end();
  }

  /** WebSocket and other upgrades: pick a replica and splice the two sockets. */
  private upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const b = this.pick(new Set());
    if (!b) return void socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
    const up = net.connect(b.port, b.host, () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) up.write(head);
      this.splice(b, up, socket);
    });
    up.once('error', () => socket.destroy());
  }

  private tcpConnection(client: net.Socket, tried = new Set<string>()): void {
    const b = this.pick(tried);
    if (!b) return void client.destroy();
    tried.add(b.id);
    client.pause();
    const up = net.connect(b.port, b.host);
    const failed = () => {
      // Not connected yet: another replica may take it.
      if (tried.size < this.backends.length && !client.destroyed) this.tcpConnection(client, tried);
      else client.destroy();
    };
    up.once('error', failed);
    up.once('connect', () => {
      up.off('error', failed);
      this.splice(b, up, client);
      client.resume();
    });
  }

  /** Pipes both ways and counts the connection as one in-flight request while it is open. */
  private splice(b: Live, up: net.Socket, client: net.Socket): void {
    b.inflight++;
    this.meter.begin(Date.now());
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      b.inflight = Math.max(0, b.inflight - 1);
      this.meter.end(Date.now());
      up.destroy();
    };
    client.once('close', close);
    client.on('error', () => client.destroy());
    up.on('error', () => client.destroy());
    up.once('close', () => client.end());
    client.pipe(up).pipe(client);
  }
}
