// The function gateway's HTTP edge, on plain node:http (the hot path of every invocation, so no
// framework): /fn/NAME/PATH runs a function and returns its response; /async/fn/NAME/PATH queues
// one and answers 202. /fn is public, like OpenFaaS's gateway; /async stores what it is sent, so it
// takes the API token unless the function is deployed --async-public. The token, when sent, is
// never passed on to the function (its author is not trusted with it).
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { LlmosError } from '../../kernel/errors.js';
import { failureResponse, toHttp } from '../../kernel/http-errors.js';
import { InvocationFailed } from '../../kernel/invocation-failed.js';
import type { FunctionsApi } from '../functions/module.js';
import type { InvokeRequest } from '../functions/runtime/instance.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'proxy-authorization', 'content-length']);
const ROUTE = /^\/(async\/)?fn\/([^/?#]+)(\/[^?#]*)?$/;

export interface ParsedRoute {
  async: boolean;
  name: string;
  /** The path the function sees, always starting with "/". */
  path: string;
}

/** Splits a gateway path; undefined when it is not a function route. Pure. */
export function parseRoute(pathname: string): ParsedRoute | undefined {
  const m = ROUTE.exec(pathname);
  if (!m) return undefined;
  let name: string;
  try {
    name = decodeURIComponent(m[2]!);
  } catch {
    return undefined;
  }
  return { async: !!m[1], name, path: m[3] || '/' };
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Uint8Array): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, e: unknown): void {
  if (e instanceof InvocationFailed) {
    const f = failureResponse(e);
    return send(res, f.status, f.headers, f.body);
  }
  const { status, body } = toHttp(e instanceof LlmosError ? e : e);
  send(res, status, { 'content-type': 'application/json' }, JSON.stringify(body));
}

/** Reads the body up to limit bytes; rejects with body-too-large past it. */
function readBody(req: IncomingMessage, limit: number, fn: string): Promise<Uint8Array | null> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const tooLarge = () => new InvocationFailed('body-too-large', `request body exceeds the limit of ${limit} bytes of function ${fn}`);
  if (declared > limit) return Promise.reject(tooLarge());
  if (declared === 0 && !req.headers['transfer-encoding']) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
      } else chunks.push(c);
    });
    req.on('end', () => resolve(size ? (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)) : null));
    req.on('error', reject);
  });
}

/** Whether the request carries the API token (bearer scheme, case-insensitive as RFC 7235 says). */
export function hasToken(authorization: string | undefined, token: string): boolean {
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!m || !token) return false;
  const given = Buffer.from(m[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function createGatewayServer(functions: () => FunctionsApi, opts: { token: string }): Server {
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    void handle(req, res, false).catch((e: unknown) => sendError(res, e));
  });
  // Expect: 100-continue: every check that needs no body (route, token, limits, quota) answers
  // before the client sends it; only then "100 Continue".
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res, true).catch((e: unknown) => sendError(res, e));
  });

  /** Drops the rest of a body not wanted; a body larger than the limit is not worth reading: close. */
  function refuseBody(req: IncomingMessage, res: ServerResponse, limit: number): void {
    req.resume();
    if (!(Number(req.headers['content-length'] ?? 0) <= limit) || req.headers['transfer-encoding']) res.setHeader('connection', 'close');
  }

  async function handle(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): Promise<void> {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathname = q < 0 ? raw : raw.slice(0, q);
    const search = q < 0 ? '' : raw.slice(q);
    if (pathname === '/healthz') return send(res, 200, { 'content-type': 'application/json' }, '{"status":"ok"}');
    const route = parseRoute(pathname);
    if (!route) return send(res, 404, { 'content-type': 'application/json' }, JSON.stringify({ error: `no route ${pathname}: use /fn/NAME/PATH or /async/fn/NAME/PATH`, code: 'E_NOT_FOUND' }));
    const fns = functions();
    const authorized = hasToken(req.headers.authorization, opts.token);
    let limit: number;
    if (route.async) {
      const policy = fns.asyncPolicy(route.name);
      if (!policy.public && !authorized) {
        refuseBody(req, res, policy.bodyLimit);
        throw new InvocationFailed('unauthenticated', `function ${route.name} does not take public async invocations: send Authorization: Bearer <API token>, or deploy it with --async-public`);
      }
      limit = policy.bodyLimit;
      const declared = Number(req.headers['content-length']) || 0;
      try {
        if (declared <= limit) fns.checkAsyncRoom(route.name, declared); // larger: 413 below, it can never fit
      } catch (e) {
        refuseBody(req, res, limit);
        throw e;
      }
    } else limit = fns.bodyLimit(route.name);
    if (expectContinue && !(Number(req.headers['content-length'] ?? 0) > limit)) res.writeContinue();
    let body: Uint8Array | null;
    try {
      body = await readBody(req, limit, route.name);
    } catch (e) {
      res.setHeader('connection', 'close');
      throw e;
    }
    const headers: [string, string][] = [];
    const rh = req.rawHeaders;
    for (let i = 0; i < rh.length; i += 2) {
      const k = rh[i]!.toLowerCase();
      if (!HOP_BY_HOP.has(k) && !(authorized && k === 'authorization')) headers.push([k, rh[i + 1]!]);
    }
    headers.push(['x-forwarded-prefix', `/fn/${route.name}`]);
    if (req.socket.remoteAddress) headers.push(['x-forwarded-for', req.socket.remoteAddress]);
    const ir: InvokeRequest = { method: req.method ?? 'GET', url: `http://${req.headers.host ?? 'localhost'}${route.path}${search}`, headers, body };
    if (route.async) {
      const rec = await fns.submitAsync(route.name, ir);
      return send(res, 202, { 'content-type': 'application/json', 'x-llmos-invocation-id': rec.id }, JSON.stringify({ id: rec.id, function: rec.function, status: rec.status }));
    }
    const out = await fns.invoke(route.name, ir);
    const flat: string[] = [];
    for (const [k, v] of out.headers) if (!HOP_BY_HOP.has(k)) flat.push(k, v);
    const b = out.body ?? new Uint8Array(0);
    flat.push('content-length', String(b.byteLength));
    try {
      res.writeHead(out.status, out.statusText || undefined, flat);
    } catch (e) {
      // The function's author chose the status and headers; node refuses ones HTTP cannot carry.
      throw new InvocationFailed('bad-response', `function ${route.name} answered what HTTP cannot carry: ${(e as Error).message}`);
    }
    res.end(b);
  }

  return server;
}
