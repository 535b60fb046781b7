// Headers, Request and Response (the fetch standard's classes), on the Body mixin (body.ts).
/* eslint-disable @typescript-eslint/no-explicit-any */
import { Body, extractBody } from './body.js';
import { AbortController, AbortSignal } from './events.js';
import { URL } from './url.js';

const tokenRe = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const badValueRe = /[\0\r\n]/;
const trimHttp = (v: string) => v.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
// reason-phrase = *( HTAB / SP / VCHAR / obs-text ): the fetch standard's check of statusText.
const reasonPhraseRe = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Headers as one string, `name\nvalue\nname\nvalue...`: the form they cross the isolate boundary
 * in (one string is passed without a structured clone, which for a request's headers cost more than
 * the handler). Safe because no valid name or value holds a newline.
 */
export let unpackHeaders: (packed: string) => Headers;
/** The packed form of h, in iteration order (sorted, set-cookie values apart). */
export let packHeaders: (h: Headers) => string;

/** Header names already checked, as given → lowercased. */
const checkedNames = new Map<string, string>();

export class Headers {
  #m = new Map<string, string[]>();
  constructor(init?: any) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      for (const [k, v] of init.#m) this.#m.set(k, v.slice());
      return;
    }
    if (typeof init !== 'object' && typeof init !== 'function') throw new TypeError("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'");
    if (typeof init[Symbol.iterator] === 'function') {
      for (const pair of init) {
        const p = typeof pair === 'string' ? [pair] : [...pair];
        if (p.length !== 2) throw new TypeError("Failed to construct 'Headers': a header pair must have exactly two items");
        this.append(p[0], p[1]);
      }
    } else for (const k of Object.keys(init)) this.append(k, init[k]);
  }
  #name(k: unknown): string {
    const n = String(k);
    const known = checkedNames.get(n);
    if (known !== undefined) return known;
    if (!tokenRe.test(n)) throw new TypeError(`Invalid header name: "${n}"`);
    const lower = n.toLowerCase();
    if (checkedNames.size < 256) checkedNames.set(n, lower); // handlers use a few names over and over
    return lower;
  }
  #value(v: unknown): string {
    const s = trimHttp(String(v));
    if (badValueRe.test(s)) throw new TypeError(`Invalid header value: "${s}"`);
    return s;
  }
  append(k: string, v: string): void {
    const n = this.#name(k);
    const val = this.#value(v);
    const list = this.#m.get(n);
    if (list) list.push(val);
    else this.#m.set(n, [val]);
  }
  set(k: string, v: string): void {
    this.#m.set(this.#name(k), [this.#value(v)]);
  }
  get(k: string): string | null {
    const v = this.#m.get(this.#name(k));
    return v === undefined ? null : v.join(', ');
  }
  getSetCookie(): string[] {
    return (this.#m.get('set-cookie') ?? []).slice();
  }
  /** workerd's older spelling, kept for code written against it. */
  getAll(k: string): string[] {
    if (this.#name(k) !== 'set-cookie') throw new TypeError('getAll() can only be used with the header name "Set-Cookie"');
    return this.getSetCookie();
  }
  has(k: string): boolean {
    return this.#m.has(this.#name(k));
  }
  delete(k: string): void {
    this.#m.delete(this.#name(k));
  }
  forEach(fn: (v: string, k: string, h: Headers) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }
  *entries(): IterableIterator<[string, string]> {
    for (const k of [...this.#m.keys()].sort()) {
      if (k === 'set-cookie') for (const c of this.#m.get(k)!) yield [k, c];
      else yield [k, this.#m.get(k)!.join(', ')];
    }
  }
  *keys(): IterableIterator<string> { for (const [k] of this.entries()) yield k; }
  *values(): IterableIterator<string> { for (const [, v] of this.entries()) yield v; }
  [Symbol.iterator](): IterableIterator<[string, string]> { return this.entries(); }
  static {
    // The gateway's headers were checked by its HTTP parser and lowercased: filled without checks.
    unpackHeaders = (packed) => {
      const h = new Headers();
      if (!packed) return h;
      const parts = packed.split('\n');
      for (let i = 0; i + 1 < parts.length; i += 2) {
        const list = h.#m.get(parts[i]!);
        if (list) list.push(parts[i + 1]!);
        else h.#m.set(parts[i]!, [parts[i + 1]!]);
      }
      return h;
    };
    packHeaders = (h) => {
      const m = h.#m;
      const keys = m.size > 1 ? [...m.keys()].sort() : [...m.keys()];
      let out = '';
      for (const k of keys) {
        const v = m.get(k)!;
        if (k === 'set-cookie') for (const c of v) out += (out ? '\n' : '') + k + '\n' + c;
        else out += (out ? '\n' : '') + k + '\n' + (v.length === 1 ? v[0] : v.join(', '));
      }
      return out;
    };
  }
}
Object.defineProperty(Headers.prototype, Symbol.toStringTag, { value: 'Headers' });

const normalMethods = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const forbiddenMethods = new Set(['CONNECT', 'TRACE', 'TRACK']);
const redirectModes = new Set(['follow', 'error', 'manual']);

export class Request extends Body {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly redirect: string;
  private _signal: AbortSignal | undefined;
  readonly cf: unknown;
  constructor(input: any, init: any = {}) {
    super();
    const from = input instanceof Request ? input : null;
    init = init ?? {};
    // The host passes already-normalized URLs (init.trusted), which saves a parse per request.
    this.url = from ? from.url : init.trusted ? String(input) : new URL(String(input)).href;
    if (!from && !init.trusted) {
      const u = new URL(this.url);
      if (u.username || u.password) throw new TypeError('Request cannot be constructed from a URL that includes credentials: ' + this.url);
    }
    let method = init.method !== undefined ? String(init.method) : from ? from.method : 'GET';
    if (!tokenRe.test(method)) throw new TypeError(`'${method}' is not a valid HTTP method.`);
    // A request the gateway received (trusted) keeps its method: the caller, not the function, chose it.
    if (!init.trusted && forbiddenMethods.has(method.toUpperCase())) throw new TypeError(`'${method}' HTTP method is unsupported.`);
    if (normalMethods.has(method.toUpperCase())) method = method.toUpperCase();
    this.method = method;
    this.headers = init.trusted && typeof init.headers === 'string' ? unpackHeaders(init.headers) : new Headers(init.headers !== undefined ? init.headers : from?.headers);
    const redirect = init.redirect ?? from?.redirect ?? 'follow';
    if (!redirectModes.has(redirect)) throw new TypeError(`Invalid redirect mode: ${redirect}`);
    this.redirect = redirect;
    // Made when first asked for: most handlers never read it, and one per request was measurable.
    this._signal = init.signal instanceof AbortSignal ? init.signal : from?.signal;
    this.cf = init.cf ?? from?.cf;
    const hasBody = init.body !== undefined && init.body !== null;
    if ((method === 'GET' || method === 'HEAD') && (hasBody || (init.body === undefined && from && from._peekBytes() !== null && from._peekBytes()?.length))) throw new TypeError('Request with GET/HEAD method cannot have body.');
    if (init.body !== undefined) {
      const b = extractBody(init.body);
      if (b.type && !this.headers.has('content-type')) this.headers.set('content-type', b.type);
      this._initBody(b);
    } else if (from) {
      if (from.bodyUsed) throw new TypeError('Cannot construct a Request with a Request object that has already been used.');
      this._initBody(from._cloneBody());
    } else this._initBody({ bytes: null, stream: null, type: null });
  }
  get signal(): AbortSignal {
    return (this._signal ??= new AbortController().signal);
  }
  clone(): Request {
    return new Request(this, { signal: this.signal });
  }
}
Object.defineProperty(Request.prototype, Symbol.toStringTag, { value: 'Request' });

const statusTexts: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
const nullBodyStatus = new Set([101, 204, 205, 304]);
const redirectStatus = new Set([301, 302, 303, 307, 308]);

export class Response extends Body {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly type: string;
  readonly url: string;
  readonly redirected: boolean;
  /** The client end of a WebSocketPair, for a 101 answer (workerd's field). */
  readonly webSocket: any;
  constructor(body: any = null, init: any = {}) {
    super();
    init = init ?? {};
    const status = init.status === undefined ? 200 : Number(init.status);
    // 0 only for Response.error(), which passes it through the internal init.
    // 101 only with a WebSocket to hand over, as on workerd.
    const upgrade = status === 101 && init.webSocket != null;
    if (!(init._error && status === 0) && !upgrade && (!Number.isInteger(status) || status < 200 || status > 599)) throw new RangeError(`Failed to construct 'Response': The status provided (${init.status}) is outside the range [200, 599].`);
    this.status = status;
    this.statusText = init.statusText !== undefined ? String(init.statusText) : statusTexts[status] ?? '';
    if (init.statusText !== undefined && init._url === undefined && !reasonPhraseRe.test(this.statusText)) throw new TypeError(`Failed to construct 'Response': Invalid statusText`);
    this.headers = init._headers instanceof Headers ? init._headers : new Headers(init.headers);
    this.type = init._error ? 'error' : init._type ?? 'default';
    this.url = init._url ?? '';
    this.redirected = !!init._redirected;
    this.webSocket = upgrade ? init.webSocket : null;
    if (body !== null && body !== undefined && nullBodyStatus.has(status)) throw new TypeError(`Response with null body status ${status} cannot have body`);
    if (init._body) this._initBody(init._body);
    else {
      const b = extractBody(body);
      if (b.type && !this.headers.has('content-type')) this.headers.set('content-type', b.type);
      this._initBody(b);
    }
  }
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
  clone(): Response {
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    return new Response(null, { status: this.status, statusText: this.statusText, headers: this.headers, _error: this.type === 'error', _type: this.type, _url: this.url, _redirected: this.redirected, _body: this._cloneBody() });
  }
  static json(data: unknown, init: any = {}): Response {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Value is not JSON serializable');
    const headers = new Headers(init?.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new Response(text, { ...init, headers: undefined, _headers: headers });
  }
  static redirect(url: string, status = 302): Response {
    if (!redirectStatus.has(status)) throw new RangeError(`Failed to execute 'redirect' on 'Response': Invalid status code ${status}`);
    return new Response(null, { status, headers: { location: new URL(url).href } });
  }
  static error(): Response {
    return new Response(null, { status: 0, statusText: '', _error: true });
  }
}
Object.defineProperty(Response.prototype, Symbol.toStringTag, { value: 'Response' });
