// The web-platform globals a function sees inside its V8 isolate. A bare isolate has only the
// ECMAScript built-ins, so Request, Response, Headers, URL, TextEncoder, console, fetch and
// timers are defined here, in plain JS, and run once per isolate. Anything that needs the host
// (URL parsing, randomness, logging, network, timers) goes through the callbacks in `host`.
//
// This function is never called in Node: its compiled source text (`preludeSource`) is run
// inside the isolate. It must therefore not refer to anything outside its own body.
/* eslint-disable */

export interface PreludeHost {
  /** Parses a URL: returns [href, protocol, username, password, host, hostname, port, pathname, search, hash, origin] or null. */
  url(input: string, base?: string): string[] | null;
  log(level: string, text: string): void;
  uuid(): string;
  random(n: number): ArrayBuffer;
  fetch(req: [string, string, [string, string][], ArrayBuffer | null]): Promise<[number, string, [string, string][], ArrayBuffer]>;
  sleep(ms: number): Promise<void>;
  b64(op: 'enc' | 'dec', s: string): string;
}

export function prelude(g: any, host: PreludeHost): void {
  const enc = (s: string): Uint8Array => {
    const out: number[] = [];
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        } else c = 0xfffd;
      } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(out);
  };
  const dec = (b: Uint8Array): string => {
    let s = '';
    let i = 0;
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3;
    const parts: string[] = [];
    const codes: number[] = [];
    const flush = () => {
      parts.push(String.fromCharCode.apply(null, codes));
      codes.length = 0;
    };
    while (i < b.length) {
      const c = b[i]!;
      let cp = 0xfffd;
      let n = 1;
      if (c < 0x80) cp = c;
      else if (c >= 0xc2 && c < 0xe0 && i + 1 < b.length && (b[i + 1]! & 0xc0) === 0x80) {
        cp = ((c & 31) << 6) | (b[i + 1]! & 63);
        n = 2;
      } else if (c >= 0xe0 && c < 0xf0 && i + 2 < b.length && (b[i + 1]! & 0xc0) === 0x80 && (b[i + 2]! & 0xc0) === 0x80) {
        cp = ((c & 15) << 12) | ((b[i + 1]! & 63) << 6) | (b[i + 2]! & 63);
        n = 3;
        if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
      } else if (c >= 0xf0 && c < 0xf5 && i + 3 < b.length && (b[i + 1]! & 0xc0) === 0x80 && (b[i + 2]! & 0xc0) === 0x80 && (b[i + 3]! & 0xc0) === 0x80) {
        cp = ((c & 7) << 18) | ((b[i + 1]! & 63) << 12) | ((b[i + 2]! & 63) << 6) | (b[i + 3]! & 63);
        n = 4;
        if (cp < 0x10000 || cp > 0x10ffff) cp = 0xfffd;
      }
      if (cp >= 0x10000) {
        cp -= 0x10000;
        codes.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 1023));
      } else codes.push(cp);
      if (codes.length > 8000) flush();
      i += n;
    }
    flush();
    s = parts.join('');
    return s;
  };
  const toBytes = (v: any): Uint8Array | null => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'string') return enc(v);
    if (v instanceof Uint8Array) return v;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    if (v instanceof URLSearchParams) return enc(v.toString());
    return enc(String(v));
  };

  class TextEncoder {
    get encoding() {
      return 'utf-8';
    }
    encode(s = ''): Uint8Array {
      return enc(String(s));
    }
  }
  class TextDecoder {
    get encoding() {
      return 'utf-8';
    }
    decode(b?: ArrayBuffer | ArrayBufferView): string {
      return b ? dec(toBytes(b)!) : '';
    }
  }

  const formEncode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  const formDecode = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  class URLSearchParams {
    #list: [string, string][] = [];
    #onChange: (() => void) | undefined;
    constructor(init?: any, onChange?: () => void) {
      if (typeof init === 'string') this._parse(init);
      else if (init && typeof init[Symbol.iterator] === 'function') for (const [k, v] of init) this.#list.push([String(k), String(v)]);
      else if (init && typeof init === 'object') for (const k of Object.keys(init)) this.#list.push([k, String(init[k])]);
      this.#onChange = onChange;
    }
    _parse(s: string) {
      this.#list = [];
      for (const part of s.replace(/^\?/, '').split('&')) {
        if (!part) continue;
        const i = part.indexOf('=');
        this.#list.push(i < 0 ? [formDecode(part), ''] : [formDecode(part.slice(0, i)), formDecode(part.slice(i + 1))]);
      }
    }
    #changed() {
      this.#onChange?.();
    }
    get size() {
      return this.#list.length;
    }
    append(k: string, v: string) {
      this.#list.push([String(k), String(v)]);
      this.#changed();
    }
    delete(k: string) {
      this.#list = this.#list.filter((e) => e[0] !== k);
      this.#changed();
    }
    get(k: string) {
      const e = this.#list.find((x) => x[0] === k);
      return e ? e[1] : null;
    }
    getAll(k: string) {
      return this.#list.filter((x) => x[0] === k).map((x) => x[1]);
    }
    has(k: string) {
      return this.#list.some((x) => x[0] === k);
    }
    set(k: string, v: string) {
      const i = this.#list.findIndex((x) => x[0] === k);
      if (i < 0) this.#list.push([String(k), String(v)]);
      else {
        this.#list[i] = [String(k), String(v)];
        this.#list = this.#list.filter((x, j) => j <= i || x[0] !== k);
      }
      this.#changed();
    }
    sort() {
      this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      this.#changed();
    }
    forEach(fn: (v: string, k: string, p: URLSearchParams) => void) {
      for (const [k, v] of this.#list) fn(v, k, this);
    }
    keys() {
      return this.#list.map((x) => x[0])[Symbol.iterator]();
    }
    values() {
      return this.#list.map((x) => x[1])[Symbol.iterator]();
    }
    entries() {
      return this.#list.map((x) => [x[0], x[1]] as [string, string])[Symbol.iterator]();
    }
    [Symbol.iterator]() {
      return this.entries();
    }
    toString() {
      return this.#list.map(([k, v]) => formEncode(k) + '=' + formEncode(v)).join('&');
    }
  }

  const urlFields = ['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash', 'origin'] as const;
  class URL {
    #p: string[];
    #sp: URLSearchParams | undefined;
    constructor(input: any, base?: any) {
      const p = host.url(String(input), base === undefined ? undefined : String(base));
      if (!p) throw new TypeError('Invalid URL: ' + String(input));
      this.#p = p;
    }
    static canParse(input: any, base?: any) {
      return host.url(String(input), base === undefined ? undefined : String(base)) !== null;
    }
    #get(i: number) {
      return this.#p[i]!;
    }
    #set(i: number, v: string) {
      // Rebuild through the host parser so the other fields stay consistent.
      const p = this.#p.slice();
      p[i] = v;
      const [, protocol, username, password, , hostname, port, pathname, search, hash] = p;
      const auth = username || password ? username + (password ? ':' + password : '') + '@' : '';
      const s = search && !search.startsWith('?') ? '?' + search : search;
      const h = hash && !hash.startsWith('#') ? '#' + hash : hash;
      const href = protocol + '//' + auth + hostname + (port ? ':' + port : '') + pathname + s + h;
      const np = host.url(i === 0 ? v : href);
      if (np) this.#p = np;
      if (this.#sp && i !== 8) this.#sp._parse(this.#p[8]!);
    }
    get href() { return this.#get(0); }
    set href(v) { this.#set(0, v); }
    get protocol() { return this.#get(1); }
    set protocol(v) { this.#set(1, v.endsWith(':') ? v : v + ':'); }
    get username() { return this.#get(2); }
    set username(v) { this.#set(2, v); }
    get password() { return this.#get(3); }
    set password(v) { this.#set(3, v); }
    get host() { return this.#get(4); }
    set host(v) {
      const [hn, port] = v.split(':');
      const p = this.#p.slice();
      p[5] = hn!;
      p[6] = port ?? '';
      this.#p = p;
      this.#set(5, hn!);
    }
    get hostname() { return this.#get(5); }
    set hostname(v) { this.#set(5, v); }
    get port() { return this.#get(6); }
    set port(v) { this.#set(6, String(v)); }
    get pathname() { return this.#get(7); }
    set pathname(v) { this.#set(7, v.startsWith('/') ? v : '/' + v); }
    get search() { return this.#get(8); }
    set search(v) {
      this.#set(8, v);
      this.#sp?._parse(this.#p[8]!);
    }
    get hash() { return this.#get(9); }
    set hash(v) { this.#set(9, v); }
    get origin() { return this.#get(10); }
    get searchParams() {
      return (this.#sp ??= new URLSearchParams(this.#p[8], () => {
        const q = this.#sp!.toString();
        this.#set(8, q ? '?' + q : '');
      }));
    }
    toString() { return this.href; }
    toJSON() { return this.href; }
  }
  void urlFields;

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

  const inspect = (v: any, depth = 0): string => {
    if (typeof v === 'string') return depth ? JSON.stringify(v) : v;
    if (v instanceof Error) return v.stack || String(v);
    if (typeof v === 'function') return '[Function ' + (v.name || 'anonymous') + ']';
    if (typeof v === 'bigint') return v + 'n';
    if (typeof v === 'symbol' || v === undefined) return String(v);
    if (v instanceof Headers || v instanceof URLSearchParams) return v.constructor.name + ' ' + inspect(Object.fromEntries(v as any), depth + 1);
    if (v instanceof URL) return 'URL ' + v.href;
    try {
      return JSON.stringify(v) ?? String(v);
    } catch {
      return String(v);
    }
  };
  const console: Record<string, (...a: unknown[]) => void> = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) console[level] = (...a: unknown[]) => host.log(level === 'trace' ? 'debug' : level, a.map((x) => inspect(x)).join(' '));

  const fetch = async (input: any, init?: any): Promise<Response> => {
    const req = new Request(input, init);
    const b = req._body;
    const [status, statusText, headers, body] = await host.fetch([req.url, req.method, [...req.headers], b ? (b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer) : null]);
    const res = new Response(status === 204 || status === 304 || status < 200 ? null : body, { status: status < 200 ? 200 : status, statusText, headers });
    Object.defineProperty(res, 'url', { value: req.url });
    return res;
  };

  let timerSeq = 0;
  const timers = new Map<number, boolean>();
  const setTimeout = (fn: (...a: unknown[]) => void, ms = 0, ...args: unknown[]) => {
    const id = ++timerSeq;
    timers.set(id, true);
    void host.sleep(Math.max(0, Number(ms) || 0)).then(() => {
      if (timers.delete(id)) fn(...args);
    });
    return id;
  };
  const clearTimeout = (id: number) => void timers.delete(id);
  const setInterval = (fn: (...a: unknown[]) => void, ms = 0, ...args: unknown[]) => {
    const id = ++timerSeq;
    timers.set(id, true);
    const tick = () =>
      void host.sleep(Math.max(1, Number(ms) || 0)).then(() => {
        if (!timers.has(id)) return;
        fn(...args);
        tick();
      });
    tick();
    return id;
  };

  const crypto = {
    randomUUID: () => host.uuid(),
    getRandomValues<T extends ArrayBufferView>(a: T): T {
      const src = new Uint8Array(host.random(a.byteLength));
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(src);
      return a;
    },
  };

  const defs: Record<string, unknown> = {
    TextEncoder, TextDecoder, URL, URLSearchParams, Headers, Request, Response, console, fetch, crypto,
    setTimeout, clearTimeout, setInterval, clearInterval: clearTimeout,
    queueMicrotask: (fn: () => void) => void Promise.resolve().then(fn),
    structuredClone: (v: unknown) => (v === undefined ? v : JSON.parse(JSON.stringify(v))),
    atob: (s: string) => host.b64('dec', String(s)),
    btoa: (s: string) => host.b64('enc', String(s)),
    self: g,
  };
  for (const k of Object.keys(defs)) Object.defineProperty(g, k, { value: defs[k], writable: true, configurable: true, enumerable: false });

  // The host binds the module and env once per instance, then calls dispatch for each request
  // with plain arrays in and out (cheap to copy across the isolate boundary).
  let handler: any = null;
  let env: Record<string, string> = {};
  const hidden = (name: string, value: unknown) => Object.defineProperty(g, name, { value, configurable: true });
  hidden('__llmos_bind', (mod: any, e: Record<string, string>) => {
    handler = mod && mod.default !== undefined ? mod.default : mod;
    env = Object.freeze({ ...e });
    delete g.__llmos_mod;
    delete g.__llmos_bind;
    const ok = handler && (typeof handler.fetch === 'function' || typeof handler === 'function');
    return ok ? '' : 'the module has no default export with a fetch(request, env) method';
  });
  // Spare isolates run one request through a stand-in handler ahead of time, so V8 has compiled
  // the request path (its functions are compiled lazily) before a real cold start needs it.
  hidden('__llmos_warmup', () => {
    handler = { fetch: async (r: Request) => Response.json({ u: new URL(r.url).pathname, t: await r.text(), h: r.headers.get('x') }, { headers: { 'x-w': '1' } }) };
    // bind() replaces the stand-in before any real request arrives.
    void g.__llmos_dispatch('POST', 'http://warm/up?x=1', [['x', 'y']], enc('body'));
    new TextDecoder().decode(enc('warm ✓'));
    delete g.__llmos_warmup;
  });
  hidden('__llmos_dispatch', async (method: string, url: string, headers: [string, string][], body: ArrayBuffer | Uint8Array | null) => {
    const req = new Request(url, { method, headers, body: method === 'GET' || method === 'HEAD' ? null : body, trusted: true });
    const fetchFn = handler && (typeof handler.fetch === 'function' ? handler.fetch.bind(handler) : typeof handler === 'function' ? handler : null);
    if (!fetchFn) throw new TypeError('the module has no default export with a fetch(request, env) method');
    const ctx = { waitUntil: (p: Promise<unknown>) => void Promise.resolve(p).catch(() => undefined), passThroughOnException() {} };
    let res = await fetchFn(req, env, ctx);
    if (typeof res === 'string') res = new Response(res);
    if (!(res instanceof Response)) throw new TypeError('fetch() must return a Response, got ' + inspect(res));
    const b = res._body;
    return [res.status, res.statusText, [...res.headers], b ? b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) : null];
  });
}

/** The prelude as source text to run in an isolate; tsc compiled it from the function above. */
export const preludeSource = `(${prelude.toString()})`;
