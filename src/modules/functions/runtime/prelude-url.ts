// In-isolate web globals, part 1: URL and URLSearchParams (parsing goes through the host).
// This function is never called in the daemon as it is: its compiled source text is put into
// preludeSource (prelude.ts) and run inside the isolate, so it must not refer to anything outside
// its own body. It takes what it needs from the earlier parts in `s` and adds what it defines.
/* eslint-disable */
import type { PreludeHost } from './prelude-host.js';

export function urlPart(s: any, host: PreludeHost): void {
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
  Object.assign(s, { URLSearchParams, URL });
}
