// In-isolate web globals, part 3: Headers, Request and Response (the fetch API's types).
// This function is never called in the daemon as it is: its compiled source text is put into
// preludeSource (prelude.ts) and run inside the isolate, so it must not refer to anything outside
// its own body. It takes what it needs from the earlier parts in `s` and adds what it defines.
/* eslint-disable */
import type { PreludeHost } from './prelude-host.js';

export function httpPart(s: any, _host: PreludeHost): void {
  const { URL, URLSearchParams, toBytes, dec } = s;
  class Headers {
    #m = new Map<string, string>();
    constructor(init?: any) {
      if (!init) return;
      if (init instanceof Headers) init.forEach((v: string, k: string) => this.append(k, v));
      else if (typeof init[Symbol.iterator] === 'function') for (const [k, v] of init) this.append(k, v);
      else for (const k of Object.keys(init)) this.append(k, init[k]);
    }
    #name(k: string) {
      const n = String(k).toLowerCase();
      if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(n)) throw new TypeError('Invalid header name: ' + k);
      return n;
    }
    append(k: string, v: string) {
      const n = this.#name(k);
      const val = String(v).trim();
      const old = this.#m.get(n);
      this.#m.set(n, old === undefined ? val : n === 'set-cookie' ? old + '\n' + val : old + ', ' + val);
    }
    set(k: string, v: string) { this.#m.set(this.#name(k), String(v).trim()); }
    get(k: string) {
      const v = this.#m.get(String(k).toLowerCase());
      return v === undefined ? null : v.replace(/\n/g, ', ');
    }
    getSetCookie() {
      const v = this.#m.get('set-cookie');
      return v === undefined ? [] : v.split('\n');
    }
    has(k: string) { return this.#m.has(String(k).toLowerCase()); }
    delete(k: string) { this.#m.delete(String(k).toLowerCase()); }
    forEach(fn: (v: string, k: string, h: Headers) => void) {
      for (const [k, v] of this.entries()) fn(v, k, this);
    }
    *entries(): IterableIterator<[string, string]> {
      for (const k of [...this.#m.keys()].sort()) {
        if (k === 'set-cookie') for (const c of this.getSetCookie()) yield [k, c];
        else yield [k, this.#m.get(k)!];
      }
    }
    *keys() { for (const [k] of this.entries()) yield k; }
    *values() { for (const [, v] of this.entries()) yield v; }
    [Symbol.iterator]() { return this.entries(); }
  }

  class Body {
    _body: Uint8Array | null;
    #used = false;
    constructor(body: any) {
      this._body = toBytes(body);
    }
    get bodyUsed() { return this.#used; }
    get body() { return this._body; }
    #take(): Uint8Array {
      if (this.#used) throw new TypeError('Body has already been consumed');
      this.#used = true;
      return this._body ?? new Uint8Array(0);
    }
    async arrayBuffer() {
      const b = this.#take();
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    }
    async bytes() { return new Uint8Array(await this.arrayBuffer()); }
    async text() { return dec(this.#take()); }
    async json() { return JSON.parse(await this.text()); }
    async formData() { throw new TypeError('formData() is not supported in LLMOS functions'); }
    async blob() { throw new TypeError('blob() is not supported in LLMOS functions'); }
  }

  class Request extends Body {
    readonly url: string;
    readonly method: string;
    readonly headers: Headers;
    readonly redirect: string;
    readonly signal: any;
    constructor(input: any, init: any = {}) {
      const from = input instanceof Request ? input : null;
      const body = init.body !== undefined ? init.body : from ? from._body : null;
      super(body);
      // The host passes already-normalized URLs (init.trusted), which saves a parse per request.
      this.url = from ? from.url : init.trusted ? String(input) : new URL(String(input)).href;
      this.method = String(init.method ?? from?.method ?? 'GET').toUpperCase();
      this.headers = new Headers(init.headers ?? from?.headers);
      this.redirect = init.redirect ?? 'follow';
      this.signal = init.signal ?? null;
      if ((this.method === 'GET' || this.method === 'HEAD') && this._body && this._body.length) throw new TypeError('Request with GET/HEAD method cannot have body');
      if (typeof init.body === 'string' && !this.headers.has('content-type')) this.headers.set('content-type', 'text/plain;charset=UTF-8');
    }
    clone() { return new Request(this); }
  }

  const statusTexts: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };
  class Response extends Body {
    readonly status: number;
    readonly statusText: string;
    readonly headers: Headers;
    readonly type = 'default';
    readonly url: string = '';
    readonly redirected = false;
    constructor(body: any = null, init: any = {}) {
      super(body);
      this.status = init.status ?? 200;
      if (!Number.isInteger(this.status) || this.status < 200 || this.status > 599) throw new RangeError('Invalid response status ' + init.status);
      this.statusText = init.statusText ?? statusTexts[this.status] ?? '';
      this.headers = new Headers(init.headers);
      if (typeof body === 'string' && !this.headers.has('content-type')) this.headers.set('content-type', 'text/plain;charset=UTF-8');
      if (body instanceof URLSearchParams && !this.headers.has('content-type')) this.headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    }
    get ok() { return this.status >= 200 && this.status < 300; }
    clone() { return new Response(this._body, this); }
    static json(data: unknown, init: any = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      return new Response(JSON.stringify(data), { ...init, headers });
    }
    static redirect(url: string, status = 302) {
      return new Response(null, { status, headers: { location: new URL(url).href } });
    }
    static error() { return new Response(null, { status: 500 }); }
  }
  Object.assign(s, { Headers, Request, Response });
}
