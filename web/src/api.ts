// The dashboard's only way to data: the public /v1 API with the bearer token. The token is pasted
// once and kept in sessionStorage, so it lasts for the tab and is gone when the tab closes.

import type { paths } from './api-schema.gen.js';
import { SseReader, errorAnswer, parseAnswer } from '../../src/contracts/http-wire.js';

const TOKEN_KEY = 'llmos.token';

// Routes and answers come from the API's OpenAPI document (web/src/api-schema.gen.ts, generated at build time
// from /v1/openapi.json by scripts/openapi.mjs): a path the API does not serve, or a method it does
// not serve on that path, does not compile. `{name}` parameters match any segment; a query string
// may follow.
type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';
type Concrete<T extends string> = T extends `${infer A}{${string}}${infer B}` ? `${A}${string}${Concrete<B>}` : T;
type Served<P extends keyof paths, M extends Method> = [NonNullable<paths[P] extends Record<M, unknown> ? paths[P][M] : never>] extends [never] ? never : Concrete<P & string>;
/** A concrete path the API serves for method M, e.g. `/v1/services/web/scale`. */
export type ApiPath<M extends Method> = { [P in keyof paths]: Served<P, M> }[keyof paths] extends infer R extends string ? R | `${R}?${string}` : never;
type JsonBody<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
/** The JSON request body the document declares for the route with template path P, method M. */
export type ApiBody<P extends keyof paths, M extends Method> = JsonBody<NonNullable<paths[P] extends Record<M, unknown> ? paths[P][M] : never>>;
type JsonContent<R> = R extends { content: { 'application/json': infer B } } ? B : never;
/** The JSON success answer (200 or 201) the document declares for the route with template path P, method M. */
export type ApiAnswer<P extends keyof paths, M extends Method = 'get'> =
  NonNullable<paths[P] extends Record<M, unknown> ? paths[P][M] : never> extends { responses: infer R } ? { [C in keyof R]: C extends 200 | 201 ? JsonContent<R[C]> : never }[keyof R] : never;

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code?: string) {
    super(message);
  }
  /** 503: the module behind this route is not loaded; 404 on a /v1 route: this daemon has no such API. */
  get unavailable(): boolean {
    return this.status === 503 || (this.status === 404 && this.code === 'E_NOT_FOUND' && this.message.startsWith('no route'));
  }
}

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (t: string): void => sessionStorage.setItem(TOKEN_KEY, t),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

/** Called when the API answers 401: the page goes back to the login form. */
let onUnauthorized: () => void = () => undefined;
export const setUnauthorizedHandler = (fn: () => void): void => void (onUnauthorized = fn);

async function send(method: string, path: string, body?: unknown, signal?: AbortSignal, extra: Record<string, string> = {}): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token.get() ?? ''}`, ...extra };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'cannot reach the LLMOS daemon: is `llmos up` running?');
  }
  if (res.ok) return res;
  const { message, code } = errorAnswer(await res.text());
  if (res.status === 401) onUnauthorized();
  throw new ApiError(res.status, message ?? `HTTP ${res.status}`, code);
}

export async function api<T = unknown, M extends Uppercase<Method> = Uppercase<Method>>(method: M, path: ApiPath<Lowercase<M>>, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await send(method, path, body, signal);
  return parseAnswer<T>(await res.text());
}

export const get = <T>(path: ApiPath<'get'>, signal?: AbortSignal): Promise<T> => api<T, 'GET'>('GET', path, undefined, signal);
export const post = <T>(path: ApiPath<'post'>, body?: unknown): Promise<T> => api<T, 'POST'>('POST', path, body ?? {});

/**
 * Reads a streamed answer (server-sent events, NDJSON or plain text lines) through fetch, which,
 * unlike EventSource, can send the Authorization header. Calls onItem per event or line until the
 * stream ends or the signal aborts.
 */
export async function stream<M extends 'GET' | 'POST'>(method: M, path: ApiPath<Lowercase<M>>, onItem: (data: unknown, event?: string) => void, opts: { body?: unknown; signal?: AbortSignal; accept?: string } = {}): Promise<void> {
  const res = await send(method, path, opts.body, opts.signal, opts.accept ? { accept: opts.accept } : {});
  const sse = (res.headers.get('content-type') ?? '').includes('text/event-stream');
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  const parse = (s: string): unknown => parseAnswer(s) ?? s;
  const events = new SseReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (sse) {
      for (const e of events.push(value)) onItem(parse(e.data), e.event);
    } else {
      buf += value;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) onItem(parse(line));
      }
    }
  }
  if (!sse && buf.trim()) onItem(parse(buf));
}

/** EventSource cannot send headers, so the event stream takes the token as a query parameter. */
export const eventSourceUrl = (path: ApiPath<'get'>): string => `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token.get() ?? '')}`;
