// The server's client of one node: HTTP/2 requests on the reverse tunnel its agent opened. The
// agent serves each stream by forwarding it to its own local API (with its own token), CONNECT
// by dialling host:port from the node, and a request marked llmos-upgrade by an HTTP upgrade.
import { text } from 'node:stream/consumers';
import type { ClientHttp2Session, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { NodeClient, NodeRequest, NodeResponse } from '../../contracts/cluster.js';
import { Unavailable } from '../../kernel/errors.js';
import { fromHttp } from '../../kernel/http-errors.js';

/** HTTP/1-only headers HTTP/2 refuses (RFC 9113 8.2.2), and the API token the agent sets itself. */
const dropped = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'authorization', 'te']);

function outgoing(req: NodeRequest): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = { ':method': req.method.toUpperCase(), ':path': req.path };
  for (const [k, v] of Object.entries(req.headers ?? {})) if (v !== undefined && !dropped.has(k.toLowerCase()) && !k.startsWith(':')) h[k.toLowerCase()] = v;
  return h;
}

function plain(h: IncomingHttpHeaders): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(h)) if (!k.startsWith(':')) out[k] = v;
  return out;
}

export class TunnelClient implements NodeClient {
  constructor(readonly name: string, private readonly session: ClientHttp2Session) {}

  private gone(): Unavailable {
    return new Unavailable(`node ${this.name} is not connected (its agent's tunnel closed)`);
  }

  request(req: NodeRequest): Promise<NodeResponse> {
    if (this.session.closed || this.session.destroyed) return Promise.reject(this.gone());
    return new Promise((resolve, reject) => {
      const s = this.session.request(outgoing(req));
      s.once('response', (h) => resolve({ status: Number(h[':status']), headers: plain(h), body: s }));
      s.once('error', (e) => reject(new Unavailable(`node ${this.name}: ${e.message}`, { cause: e })));
      s.once('close', () => reject(this.gone()));
      const b = req.body;
      if (b === undefined) s.end();
      else if (typeof b === 'string' || Buffer.isBuffer(b)) s.end(b);
      else b.pipe(s);
    });
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const r = await this.request({ method, path, body: payload, headers: payload ? { 'content-type': 'application/json' } : {} });
    const answer = await text(r.body);
    if (r.status < 200 || r.status >= 300) throw fromHttp(r.status, answer, `node ${this.name}: `);
    return (answer ? JSON.parse(answer) : undefined) as T;
  }

  async upgrade(req: NodeRequest): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; stream: NodeJS.ReadWriteStream }> {
    if (this.session.closed || this.session.destroyed) throw this.gone();
    const up = String(req.headers?.upgrade ?? 'tcp');
    // The stream stays open for writing: after the upgrade it carries the client's bytes. An
    // upgrade request has no body of its own: its content-length (0, from an HTTP/1 client)
    // must not cross, or nghttp2 resets the stream at the first byte of stdin.
    const headers = outgoing({ ...req, headers: { ...req.headers, 'llmos-upgrade': up } });
    delete headers['content-length'];
    const s = this.session.request(headers, { endStream: false });
    const h = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
      s.once('response', resolve);
      s.once('error', (e) => reject(new Unavailable(`node ${this.name}: ${e.message}`, { cause: e })));
      s.once('close', () => reject(this.gone()));
    });
    const upgraded = Number(h['llmos-upgraded'] ?? 0);
    if (!upgraded) s.end();
    return { status: upgraded || Number(h[':status']), headers: plain(h), stream: s };
  }

  dial(host: string, port: number): Promise<NodeJS.ReadWriteStream> {
    if (this.session.closed || this.session.destroyed) return Promise.reject(this.gone());
    return new Promise((resolve, reject) => {
      const s = this.session.request({ ':method': 'CONNECT', ':authority': `${host.includes(':') ? `[${host}]` : host}:${port}` });
      s.once('response', (h) => {
        if (Number(h[':status']) === 200) resolve(s);
        else {
          s.destroy();
          reject(new Unavailable(`node ${this.name}: cannot connect to ${host}:${port} (${String(h['llmos-error'] ?? h[':status'])})`));
        }
      });
      s.once('error', (e) => reject(new Unavailable(`node ${this.name}: ${e.message}`, { cause: e })));
    });
  }
}
