// URL (parsed by the host's WHATWG parser, so it agrees with Node and browsers) and
// URLSearchParams (application/x-www-form-urlencoded, in the isolate), with has/delete(name, value).
/* eslint-disable @typescript-eslint/no-explicit-any */
import { utf8Decode, utf8Encode } from './encoding.js';
import { host } from './host.js';

const usv = (v: unknown): string => {
  const s = String(v);
  return (s as any).toWellFormed ? (s as any).toWellFormed() : s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
};

const safe = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._') safe[c.charCodeAt(0)] = 1;
const hex = '0123456789ABCDEF';
function formEncode(s: string): string {
  const b = utf8Encode(s);
  let out = '';
  for (let i = 0; i < b.length; i++) {
    const x = b[i]!;
    if (x < 128 && safe[x]) out += String.fromCharCode(x);
    else if (x === 0x20) out += '+';
    else out += '%' + hex[x >> 4] + hex[x & 15];
  }
  return out;
}
const hexVal = (c: number) => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);
function formDecode(s: string): string {
  // Nothing to decode (the usual query): the bytes would come back as they went (s is well formed here).
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  const b = utf8Encode(s.replace(/\+/g, ' '));
  const out = new Uint8Array(b.length);
  let p = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x25 && i + 2 < b.length + 0 && hexVal(b[i + 1]!) >= 0 && hexVal(b[i + 2]!) >= 0) {
      out[p++] = (hexVal(b[i + 1]!) << 4) | hexVal(b[i + 2]!);
      i += 2;
    } else out[p++] = b[i]!;
  }
  return utf8Decode(out.subarray(0, p));
}

export class URLSearchParams {
  #list: [string, string][] = [];
  #onChange: (() => void) | undefined;
  constructor(init: any = undefined, onChange?: () => void) {
    if (init instanceof URLSearchParams) this.#list = init.#list.map(([k, v]) => [k, v]);
    else if (init !== null && typeof init === 'object' || typeof init === 'function') {
      if (typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const p = [...pair];
          if (p.length !== 2) throw new TypeError("Failed to construct 'URLSearchParams': a sequence item does not have exactly two elements");
          this.#list.push([usv(p[0]), usv(p[1])]);
        }
      } else for (const k of Object.keys(init)) this.#list.push([usv(k), usv(init[k])]);
    } else if (init !== undefined) this._parse(usv(init));
    this.#onChange = onChange;
  }
  /** Replaces the list from a query string (URL.search updates its searchParams through this). */
  _parse(s: string): void {
    this.#list = [];
    for (const part of (s.startsWith('?') ? s.slice(1) : s).split('&')) {
      if (!part) continue;
      const i = part.indexOf('=');
      this.#list.push(i < 0 ? [formDecode(part), ''] : [formDecode(part.slice(0, i)), formDecode(part.slice(i + 1))]);
    }
  }
  #changed(): void {
    this.#onChange?.();
  }
  get size(): number { return this.#list.length; }
  append(k: string, v: string): void {
    this.#list.push([usv(k), usv(v)]);
    this.#changed();
  }
  delete(k: string, v?: string): void {
    const name = usv(k);
    const value = v === undefined ? undefined : usv(v);
    this.#list = this.#list.filter((e) => !(e[0] === name && (value === undefined || e[1] === value)));
    this.#changed();
  }
  get(k: string): string | null {
    const name = usv(k);
    const e = this.#list.find((x) => x[0] === name);
    return e ? e[1] : null;
  }
  getAll(k: string): string[] {
    const name = usv(k);
    return this.#list.filter((x) => x[0] === name).map((x) => x[1]);
  }
  has(k: string, v?: string): boolean {
    const name = usv(k);
    const value = v === undefined ? undefined : usv(v);
    return this.#list.some((x) => x[0] === name && (value === undefined || x[1] === value));
  }
  set(k: string, v: string): void {
    const name = usv(k);
    const value = usv(v);
    const i = this.#list.findIndex((x) => x[0] === name);
    if (i < 0) this.#list.push([name, value]);
    else {
      this.#list[i] = [name, value];
      this.#list = this.#list.filter((x, j) => j <= i || x[0] !== name);
    }
    this.#changed();
  }
  sort(): void {
    // Stable, by UTF-16 code units, as the standard says.
    this.#list = this.#list.map((e, i) => [e, i] as const).sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1])).map((x) => x[0]);
    this.#changed();
  }
  forEach(fn: (v: string, k: string, p: URLSearchParams) => void, thisArg?: unknown): void {
    for (const [k, v] of this.#list) fn.call(thisArg, v, k, this);
  }
  keys(): IterableIterator<string> { return this.#list.map((x) => x[0])[Symbol.iterator](); }
  values(): IterableIterator<string> { return this.#list.map((x) => x[1])[Symbol.iterator](); }
  entries(): IterableIterator<[string, string]> { return this.#list.map((x) => [x[0], x[1]] as [string, string])[Symbol.iterator](); }
  [Symbol.iterator](): IterableIterator<[string, string]> { return this.entries(); }
  toString(): string {
    return this.#list.map(([k, v]) => formEncode(k) + '=' + formEncode(v)).join('&');
  }
}
Object.defineProperty(URLSearchParams.prototype, Symbol.toStringTag, { value: 'URLSearchParams' });

// Parses without a base, by input: each is a call out to the host, and a function parses the
// same few URLs (its request's) again and again. The parts are frozen (URL setters copy them).
const parsed = new Map<string, readonly string[] | null>();
const parse = (input: unknown, base?: unknown): string[] | null => {
  const i = usv(input);
  if (base !== undefined) return host.url(i, usv(base));
  let p = parsed.get(i);
  if (p === undefined) {
    if (parsed.size >= 256) parsed.clear();
    const got = host.url(i);
    parsed.set(i, (p = got && Object.freeze(got)));
  }
  return p as string[] | null;
};

export class URL {
  #p: string[];
  #sp: URLSearchParams | undefined;
  constructor(input: any, base?: any) {
    const p = parse(input, base);
    if (!p) throw new TypeError('Invalid URL: ' + String(input));
    this.#p = p;
  }
  static canParse(input: any, base?: any): boolean {
    return parse(input, base) !== null;
  }
  static parse(input: any, base?: any): URL | null {
    return parse(input, base) ? new URL(input, base) : null;
  }
  #set(i: number, v: string): void {
    // Rebuild the href and parse it again, so the other fields stay consistent.
    const p = this.#p.slice();
    p[i] = v;
    const [, protocol, username, password, , hostname, port, pathname, search, hash] = p;
    const auth = username || password ? username + (password ? ':' + password : '') + '@' : '';
    const s = search && !search.startsWith('?') ? '?' + search : search;
    const h = hash && !hash.startsWith('#') ? '#' + hash : hash;
    const special = /^(https?|wss?|ftp|file):$/.test(protocol!);
    const href = protocol + (special || hostname ? '//' : '') + auth + hostname + (port ? ':' + port : '') + pathname + s + h;
    const np = host.url(i === 0 ? v : href);
    if (!np) {
      if (i === 0) throw new TypeError('Invalid URL: ' + v);
      return;
    }
    this.#p = np;
    if (this.#sp && i !== 8) this.#sp._parse(this.#p[8]!);
  }
  get href(): string { return this.#p[0]!; }
  set href(v) { this.#set(0, usv(v)); }
  get protocol(): string { return this.#p[1]!; }
  set protocol(v) { const s = usv(v); this.#set(1, s.endsWith(':') ? s : s + ':'); }
  get username(): string { return this.#p[2]!; }
  set username(v) { this.#set(2, usv(v)); }
  get password(): string { return this.#p[3]!; }
  set password(v) { this.#set(3, usv(v)); }
  get host(): string { return this.#p[4]!; }
  set host(v) {
    const [hn, port] = usv(v).split(':');
    const p = this.#p.slice();
    p[6] = port ?? p[6]!;
    this.#p = p;
    this.#set(5, hn!);
  }
  get hostname(): string { return this.#p[5]!; }
  set hostname(v) { this.#set(5, usv(v)); }
  get port(): string { return this.#p[6]!; }
  set port(v) { this.#set(6, usv(v)); }
  get pathname(): string { return this.#p[7]!; }
  set pathname(v) { const s = usv(v); this.#set(7, s.startsWith('/') ? s : '/' + s); }
  get search(): string { return this.#p[8]!; }
  set search(v) {
    this.#set(8, usv(v));
    this.#sp?._parse(this.#p[8]!);
  }
  get hash(): string { return this.#p[9]!; }
  set hash(v) { this.#set(9, usv(v)); }
  get origin(): string { return this.#p[10]!; }
  get searchParams(): URLSearchParams {
    return (this.#sp ??= new URLSearchParams(this.#p[8], () => {
      const q = this.#sp!.toString();
      this.#set(8, q ? '?' + q : '');
    }));
  }
  toString(): string { return this.href; }
  toJSON(): string { return this.href; }
}
Object.defineProperty(URL.prototype, Symbol.toStringTag, { value: 'URL' });
