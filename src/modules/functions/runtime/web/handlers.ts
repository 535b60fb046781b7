// The entry points the host calls: bind (module and env, once per instance), dispatch (one
// request), and the handler forms a Workers module can take: `export default { fetch, scheduled }`,
// a bare function, or a service worker's addEventListener('fetch'). ctx.waitUntil promises are
// tracked so the host can await (and meter, and cut off) the work left after the response.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { takeReady } from './stream-out.js';
import { attachSocket, WebSocket } from './websocket.js';
import { DOMException } from './dom-exception.js';
import { Event } from './events.js';
import { console, inspect } from './globals.js';
import { Headers, Request, Response, packHeaders, unpackHeaders } from './http.js';
import { runQueue } from './queue.js';
import type { Out } from '../answer-wire.js';

/**
 * The method a cron trigger's invocation carries. Node's HTTP parser only accepts the methods it
 * knows, so no request through the gateway can have it: a caller cannot run `scheduled()`.
 */
export const SCHEDULED_METHOD = 'LLMOS-SCHEDULED';
/** The method of a queue consumer's batch delivery (same reasoning: no caller can send it). */
export const QUEUE_METHOD = 'LLMOS-QUEUE';

let handler: any = null;
let env: Record<string, string> = {};
const pending = new Set<Promise<unknown>>();
const swListeners: Array<(e: any) => void> = [];

const ctx = {
  waitUntil(p: unknown): void {
    const tracked = Promise.resolve(p).then(
      () => undefined,
      (e) => console.error('waitUntil: ' + inspect(e)),
    );
    pending.add(tracked);
    void tracked.finally(() => pending.delete(tracked));
  },
  passThroughOnException(): void {},
};

/** The FetchEvent of the service-worker syntax. */
class FetchEvent extends Event<'fetch'> {
  readonly request: Request;
  response: Promise<Response> | undefined;
  constructor(request: Request) {
    super('fetch');
    this.request = request;
  }
  respondWith(r: Response | Promise<Response>): void {
    if (this.response) throw new DOMException('respondWith() was already called', 'InvalidStateError');
    this.response = Promise.resolve(r);
  }
  waitUntil(p: unknown): void {
    ctx.waitUntil(p);
  }
  passThroughOnException(): void {}
}

export function addEventListener(type: string, fn: (e: any) => void): void {
  if (type === 'fetch' || type === 'scheduled') swListeners.push(Object.assign((e: any) => (e.type === type ? fn(e) : undefined), { type }));
}

export function bind(mod: any, e: Record<string, string>): string {
  handler = mod && mod.default !== undefined ? mod.default : mod;
  env = Object.freeze({ ...e });
  const ok = handler && (typeof handler.fetch === 'function' || typeof handler.scheduled === 'function' || typeof handler.queue === 'function' || typeof handler === 'function');
  if (!ok && swListeners.length) handler = null;
  return ok || swListeners.length ? '' : 'the module has no default export with a fetch(request, env) method';
}

async function runFetch(req: Request): Promise<any> {
  if (handler && typeof handler.fetch === 'function') return handler.fetch(req, env, ctx);
  if (typeof handler === 'function') return handler(req, env, ctx);
  const ev = new FetchEvent(req);
  for (const l of swListeners) l(ev);
  if (ev.response) return ev.response;
  throw new TypeError('the module has no default export with a fetch(request, env) method');
}

async function runScheduled(url: string, headers: string | [string, string][]): Promise<Response> {
  const h = typeof headers === 'string' ? unpackHeaders(headers) : new Headers(headers);
  const event = { type: 'scheduled', cron: h.get('x-llmos-schedule') ?? '', scheduledTime: Number(h.get('x-llmos-scheduled-time')) || Date.now(), noRetry() {} };
  if (handler && typeof handler.scheduled === 'function') {
    await handler.scheduled(event, env, ctx);
    return new Response(null, { status: 204 });
  }
  // No scheduled(): the cron posts to fetch, as before scheduled handlers existed.
  return runFetch(new Request(url, { method: 'POST', headers: h, trusted: true }));
}

/**
 * A whole answer with a text body or none, as one string (a string leaves the isolate without a
 * structured clone; the host encodes the text natively): `status\nstatusText\n` + the lines of
 * packHeaders + an empty line (no header name is empty) + `-` (no body) or `=` and the text.
 * Undefined when the answer has another shape.
 */
function textAnswer(res: Response): string | undefined {
  const text = res._peekText();
  if ((text === undefined && (res._stream() || res._peekBytes() !== null)) || res.statusText.includes('\n')) return undefined;
  const packed = packHeaders(res.headers);
  return `${res.status}\n${res.statusText}\n${packed}${packed ? '\n' : ''}\n${text === undefined ? '-' : '=' + text}`;
}

/** Answers of other shapes, kept until the host takes them (take()): they leave by a copy. */
const held = new Map<number, Out>();
let lastHeld = 0;

/** The answer dispatch() left under `id`, once. */
export function take(id: number): Out | undefined {
  const out = held.get(id);
  held.delete(id);
  return out;
}

/**
 * One request: headers come packed (unpackHeaders) from the gateway, or as pairs from other
 * callers. Resolves to the answer as a string (textAnswer), or to the number take() gives it by.
 */
export async function dispatch(method: string, url: string, headers: string | [string, string][], body: ArrayBuffer | Uint8Array | null): Promise<string | number> {
  const out = await answer(method, url, headers, body);
  if (typeof out === 'string') return out;
  held.set(++lastHeld, out);
  return lastHeld;
}

/** Dispatches run by dispatchNow, until the host reads their outcome. */
const runs = new Map<number, { done: boolean; ok: boolean; value: unknown; p: Promise<string | number> }>();
let lastRun = 0;

/**
 * dispatch() for the host's same-thread path: returns an id at once. The isolate's microtasks run
 * before the host's call returns, so a handler that awaited nothing real has settled by then, and
 * outcome() reads the answer with one more synchronous call: no promise crosses, no wait for the
 * host's event loop to hear of the resolution. pendingRun() gives the promise of one that has not.
 */
export function dispatchNow(method: string, url: string, headers: string | [string, string][], body: ArrayBuffer | Uint8Array | null): number {
  const run = { done: false, ok: false, value: undefined as unknown, p: dispatch(method, url, headers, body) };
  run.p.then(
    (v) => Object.assign(run, { done: true, ok: true, value: v }),
    (e: unknown) => Object.assign(run, { done: true, value: e }),
  );
  runs.set(++lastRun, run);
  return lastRun;
}

/** The answer of dispatchNow's run `id` (throws what it threw), or null while it is still running. */
export function outcome(id: number): string | number | null {
  const run = runs.get(id);
  if (!run) throw new Error(`no dispatch ${id}`);
  if (!run.done) return null;
  runs.delete(id);
  if (!run.ok) throw run.value;
  return run.value as string | number;
}

/** The promise of dispatchNow's run `id`, which outcome() found still running. */
export function pendingRun(id: number): Promise<string | number> {
  const run = runs.get(id);
  if (!run) throw new Error(`no dispatch ${id}`);
  runs.delete(id);
  return run.p;
}

async function answer(method: string, url: string, headers: string | [string, string][], body: ArrayBuffer | Uint8Array | null): Promise<Out | string> {
  let res: any;
  if (method === SCHEDULED_METHOD) res = await runScheduled(url, headers);
  else if (method === QUEUE_METHOD) res = await runQueue(handler, env, ctx, body);
  else {
    const req = new Request(url, { method, headers, body: method === 'GET' || method === 'HEAD' ? null : body, trusted: true });
    res = await runFetch(req);
  }
  if (typeof res === 'string') res = new Response(res);
  if (!(res instanceof Response)) throw new TypeError('fetch() must return a Response, got ' + inspect(res));
  if (res.status === 101) {
    if (!(res.webSocket instanceof WebSocket)) throw new TypeError('a 101 response must carry the client end of a WebSocketPair');
    return [101, res.statusText, [...res.headers], null, 0, attachSocket(res.webSocket)];
  }
  const text = textAnswer(res);
  if (text !== undefined) return text;
  const peek = res._peekBytes();
  const stream = res._stream();
  // A stream body goes out as it comes: what is ready now, then the host pulls the rest.
  const [b, sid] = peek === undefined && stream ? await takeReady(stream) : [peek ?? null, 0];
  // The result is copied out of the isolate anyway: a view of a whole buffer needs no copy of its own first.
  const whole = b && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
  return [res.status, res.statusText, [...res.headers], b ? ((whole ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) as ArrayBuffer) : null, sid, 0];
}

/** Resolves when every ctx.waitUntil promise so far (and those they add) has settled; returns how many ran. */
export async function settled(): Promise<number> {
  let n = 0;
  while (pending.size) {
    const list = [...pending];
    n += list.length;
    await Promise.all(list);
  }
  return n;
}

/** Forgets the stand-in handler the warm-up used. */
export function unbind(): void {
  handler = null;
}
