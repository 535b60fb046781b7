// The function gateway's HTTP edge, on plain node:http (the hot path of every invocation, so no
// framework): /fn/NAME/PATH runs a function and returns its response; /async/fn/NAME/PATH queues
// one and answers 202. /fn is public, like OpenFaaS's gateway; /async stores what it is sent, so it
// takes the API token unless the function is deployed --async-public. The token, when sent, is
// never passed on to the function (its author is not trusted with it).
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { LlmosError } from '../../kernel/errors.js';
import { failureResponse, toHttp } from '../../kernel/http-errors.js';
import { InvocationFailed } from '../../kernel/invocation-failed.js';
import type { FunctionsApi } from '../functions/module.js';
import type { InvokeRequest } from '../functions/runtime/instance.js';
import { HOPS_HEADER, MAX_HOPS, hopsOf, requestHeaders, responseHeaders, routeByHost, validHost } from './headers.js';
import { sendStreamed } from './stream-out.js';
import { attachWebSockets } from './websocket.js';
// /function/NAME too, as OpenFaaS's gateway names it.
const ROUTE = /^\/(async\/)?(?:fn|function)\/([^/?#]+)(\/[^?#]*)?$/;

/** Per request: its id (x-request-id, and in the logs) and, once routed, the function. */
interface Ctx {
  requestId: string;
  fn?: string;
}

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

/** Failures whose message may carry what the function threw or printed: the caller gets a generic one. */
const PRIVATE_REASONS = new Set(['handler-error', 'start-failed']);

function sendError(res: ServerResponse, e: unknown, requestId: string, logError?: (fn: string, text: string) => void, fn?: string): void {
  if (e instanceof InvocationFailed) {
    if (PRIVATE_REASONS.has(e.reason) && fn) {
      // The full error goes to `llmos fn logs`, found by the request id; the caller learns no more.
      logError?.(fn, `request ${requestId}: ${e.message}`);
      const generic = new InvocationFailed(e.reason, `function ${fn} failed (request id ${requestId}; the error is in llmos fn logs ${fn})`);
      const f = failureResponse(generic);
      return send(res, f.status, { ...f.headers, 'x-request-id': requestId }, f.body);
    }
    const f = failureResponse(e);
    return send(res, f.status, { ...f.headers, 'x-request-id': requestId }, f.body);
  }
  const { status, body } = toHttp(e instanceof LlmosError ? e : e);
  send(res, status, { 'content-type': 'application/json', 'x-request-id': requestId }, JSON.stringify(body));
}

/** Reads the body up to limit bytes; rejects with body-too-large past it. */
function readBody(req: IncomingMessage, limit: number, fn: string): Promise<Uint8Array | null> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const tooLarge = () => new InvocationFailed('body-too-large', `request body exceeds the limit of ${limit} bytes of function ${fn}`);
  if (declared > limit) return Promise.reject(tooLarge());
  // No body: nothing to read (node:http discards the rest itself when the answer ends).
  if (declared === 0 && !req.headers['transfer-encoding']) return Promise.resolve(null);
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

const NOOP = (): void => undefined;
/** What to run when a client connection closes: the cancels of its requests still waiting for their answer. */
const closing = new WeakMap<Socket, Set<() => void>>();

/**
 * Runs `cancel` when the socket closes before the returned unregistration is called. One close
 * listener per connection, not a listener added and removed per request (measurable on the warm path).
 */
function onSocketClose(socket: Socket, cancel: () => void): () => void {
  if (socket.destroyed) {
    cancel();
    return NOOP;
  }
  let set = closing.get(socket);
  if (!set) {
    const s = (set = new Set());
    closing.set(socket, s);
    socket.once('close', () => {
      for (const c of [...s]) c();
      s.clear();
    });
  }
  set.add(cancel);
  return () => void set.delete(cancel);
}

/** Whether the request carries the API token (bearer scheme, case-insensitive as RFC 7235 says). */
export function hasToken(authorization: string | undefined, token: string): boolean {
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!m || !token) return false;
  const given = Buffer.from(m[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The kernel's lookup of the functions module, asked at most once a second: it builds the list of
 * loaded modules each time (a visible share of the warm path), and the module cannot go while the
 * gateway, which requires it, is loaded.
 */
function everySecond(lookup: () => FunctionsApi): () => FunctionsApi {
  let api: FunctionsApi | undefined;
  let at = 0;
  return () => {
    const now = Date.now();
    if (!api || now - at >= 1000 || now < at) {
      api = lookup();
      at = now;
    }
    return api;
  };
}

export function createGatewayServer(lookup: () => FunctionsApi, opts: { token: string; domain?: string }): Server {
  const functions = everySecond(lookup);
  const domain = opts.domain || 'fn.localhost';
  const logError = (fn: string, text: string) => {
    try {
      functions().logs.write(fn, 'gateway', 'error', text);
    } catch {
      // The functions module went away meanwhile: the caller still gets its answer.
    }
  };
  const serve = (req: IncomingMessage, res: ServerResponse, expectContinue: boolean) => {
    const ctx: Ctx = { requestId: randomUUID() };
    void handle(req, res, expectContinue, ctx).catch((e: unknown) => sendError(res, e, ctx.requestId, logError, ctx.fn));
  };
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => serve(req, res, false));
  // Expect: 100-continue: every check that needs no body (route, token, limits, quota) answers
  // before the client sends it; only then "100 Continue".
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => serve(req, res, true));

  /** Drops the rest of a body not wanted; a body larger than the limit is not worth reading: close. */
  function refuseBody(req: IncomingMessage, res: ServerResponse, limit: number): void {
    req.resume();
    if (!(Number(req.headers['content-length'] ?? 0) <= limit) || req.headers['transfer-encoding']) res.setHeader('connection', 'close');
  }

  async function handle(req: IncomingMessage, res: ServerResponse, expectContinue: boolean, ctx: Ctx): Promise<void> {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathname = q < 0 ? raw : raw.slice(0, q);
    const search = q < 0 ? '' : raw.slice(q);
    const host = validHost(req.headers.host);
    if (host === undefined) {
      res.setHeader('connection', 'close');
      return send(res, 400, { 'content-type': 'application/json' }, JSON.stringify({ error: 'the Host header is not a valid host[:port]', code: 'E_INVALID_ARGUMENT' }));
    }
    const byHost = routeByHost(host, domain);
    if (pathname === '/healthz' && !byHost) return send(res, 200, { 'content-type': 'application/json' }, '{"status":"ok"}');
    const route: ParsedRoute | undefined = byHost ? { async: false, name: byHost.name, path: pathname.startsWith('/') ? pathname : '/' } : parseRoute(pathname);
    if (!route) return send(res, 404, { 'content-type': 'application/json' }, JSON.stringify({ error: `no route ${pathname}: use /fn/NAME/PATH or /async/fn/NAME/PATH`, code: 'E_NOT_FOUND' }));
    const fns = functions();
    if (byHost?.namespace !== undefined && fns.inspect(route.name).spec.namespace !== byHost.namespace) throw new InvocationFailed('not-found', `no function named ${route.name} in namespace ${byHost.namespace}`);
    ctx.fn = route.name;
    const hops = hopsOf(req.headers[HOPS_HEADER]);
    if (hops >= MAX_HOPS) {
      refuseBody(req, res, 0);
      throw new InvocationFailed('loop-detected', `function ${route.name}: the request passed the gateway ${hops} times (limit ${MAX_HOPS}): a function calling itself?`);
    }
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
    const headers = requestHeaders(req.rawHeaders, { dropAuthorization: authorized, remoteAddress: req.socket.remoteAddress, prefix: byHost ? '' : `${/^\/(async\/)?function\//.test(pathname) ? '/function' : '/fn'}/${route.name}`, hops, requestId: ctx.requestId });
    const ir: InvokeRequest = { method: req.method ?? 'GET', url: `http://${host}${route.path}${search}`, headers, body };
    if (route.async) {
      const rec = await fns.submitAsync(route.name, ir);
      return send(res, 202, { 'content-type': 'application/json', 'x-llmos-invocation-id': rec.id, 'x-request-id': ctx.requestId }, JSON.stringify({ id: rec.id, function: rec.function, status: rec.status }));
    }
    // A client that goes before its answer cancels the invocation (the host stops its work).
    ir.onCancel = (cancel) => onSocketClose(req.socket, cancel);
    const out = await fns.invoke(route.name, ir);
    const b = out.body ?? new Uint8Array(0);
    const flat = responseHeaders(out.headers, ctx.requestId, b.byteLength);
    if (out.stream || out.webSocket) return sendStreamed(res, out, flat, route.name, (n) => fns.countChannel(route.name, 'stream', n));
    try {
      res.writeHead(out.status, out.statusText || undefined, flat);
    } catch (e) {
      // The function's author chose the status and headers; node refuses ones HTTP cannot carry.
      throw new InvocationFailed('bad-response', `function ${route.name} answered what HTTP cannot carry: ${(e as Error).message}`);
    }
    res.end(b);
  }

  attachWebSockets(server, functions, opts);
  return server;
}
