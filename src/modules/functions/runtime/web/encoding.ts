// TextEncoder and TextDecoder (WHATWG Encoding): UTF-8 both ways with `fatal`, `stream` and BOM
// handling, UTF-16LE/BE and windows-1252 (which the labels latin1/iso-8859-1/ascii name) for
// decoding, encodeInto. An isolate has no native TextEncoder, so encoding is a tight loop over
// charCodeAt into a preallocated buffer (the JSON body path depends on it being fast).
/* eslint-disable @typescript-eslint/no-explicit-any */
import { host } from './host.js';

/** Bytes of any BufferSource, without copying. */
/** True for an ArrayBuffer of any realm (the host's copies, or another context's). */
export const isArrayBuffer = (b: unknown): b is ArrayBuffer => b instanceof ArrayBuffer || /^\[object (Shared)?ArrayBuffer\]$/.test(Object.prototype.toString.call(b));

export function viewBytes(b: any): Uint8Array {
  if (b instanceof Uint8Array) return b;
  if (isArrayBuffer(b)) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw new TypeError('The provided value is not of type (ArrayBuffer or ArrayBufferView)');
}

/** Above this many code units (or bytes) encoding and decoding go to the host's native UTF-8. */
const NATIVE_FROM = 32 * 1024;

export function utf8Encode(s: string): Uint8Array {
  const n = s.length;
  if (n > NATIVE_FROM && host) return new Uint8Array(host.utf8Encode(s));
  const ascii = new Uint8Array(n);
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    ascii[i] = c;
  }
  if (i === n) return ascii;
  const out = new Uint8Array(i + (n - i) * 3);
  out.set(ascii.subarray(0, i));
  let p = i;
  for (; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[p++] = c;
      continue;
    }
    if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 63);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[p++] = 0xf0 | (c >> 18);
        out[p++] = 0x80 | ((c >> 12) & 63);
        out[p++] = 0x80 | ((c >> 6) & 63);
        out[p++] = 0x80 | (c & 63);
        continue;
      }
      c = 0xfffd;
    }
    out[p++] = 0xe0 | (c >> 12);
    out[p++] = 0x80 | ((c >> 6) & 63);
    out[p++] = 0x80 | (c & 63);
  }
  return out.slice(0, p);
}

const CHUNK = 8192;
function codesToString(codes: number[] | Uint16Array, n: number): string {
  if (n <= CHUNK) return String.fromCharCode.apply(null, (codes.length === n ? codes : codes.slice(0, n)) as any);
  const parts: string[] = [];
  for (let i = 0; i < n; i += CHUNK) parts.push(String.fromCharCode.apply(null, codes.slice(i, Math.min(n, i + CHUNK)) as any));
  return parts.join('');
}

/** The WHATWG UTF-8 decoder, resumable across chunks (stream: true). */
class Utf8State {
  need = 0;
  seen = 0;
  cp = 0;
  lower = 0x80;
  upper = 0xbf;
  decode(b: Uint8Array, fatal: boolean, flush: boolean): string {
    const out = new Uint16Array(b.length + 2);
    let p = 0;
    const bad = () => {
      if (fatal) throw new TypeError('The encoded data was not valid for encoding utf-8');
      out[p++] = 0xfffd;
    };
    for (let i = 0; i < b.length; i++) {
      const x = b[i]!;
      if (this.need === 0) {
        if (x < 0x80) out[p++] = x;
        else if (x >= 0xc2 && x <= 0xdf) { this.need = 1; this.cp = x & 0x1f; }
        else if (x >= 0xe0 && x <= 0xef) {
          if (x === 0xe0) this.lower = 0xa0;
          if (x === 0xed) this.upper = 0x9f;
          this.need = 2;
          this.cp = x & 0xf;
        } else if (x >= 0xf0 && x <= 0xf4) {
          if (x === 0xf0) this.lower = 0x90;
          if (x === 0xf4) this.upper = 0x8f;
          this.need = 3;
          this.cp = x & 0x7;
        } else bad();
        continue;
      }
      if (x < this.lower || x > this.upper) {
        this.need = this.seen = this.cp = 0;
        this.lower = 0x80;
        this.upper = 0xbf;
        bad();
        i--; // reprocess this byte
        continue;
      }
      this.lower = 0x80;
      this.upper = 0xbf;
      this.cp = (this.cp << 6) | (x & 0x3f);
      if (++this.seen !== this.need) continue;
      const cp = this.cp;
      this.need = this.seen = this.cp = 0;
      if (cp >= 0x10000) {
        out[p++] = 0xd800 + ((cp - 0x10000) >> 10);
        out[p++] = 0xdc00 + ((cp - 0x10000) & 1023);
      } else out[p++] = cp;
    }
    let tail = '';
    if (flush && this.need) {
      this.need = this.seen = this.cp = 0;
      this.lower = 0x80;
      this.upper = 0xbf;
      if (fatal) throw new TypeError('The encoded data was not valid for encoding utf-8');
      tail = '\ufffd';
    }
    return codesToString(out as any, p) + tail;
  }
}

// windows-1252's 0x80-0x9f block (the rest of its bytes are their own code points).
const w1252 = [0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178];

const labels: Record<string, string> = {};
const addLabels = (name: string, list: string) => list.split(' ').forEach((l) => (labels[l] = name));
addLabels('utf-8', 'unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8');
addLabels('utf-16le', 'csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le');
addLabels('utf-16be', 'unicodefffe utf-16be');
addLabels('windows-1252', 'ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252');

export class TextDecoder {
  readonly #enc: string;
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  #utf8 = new Utf8State();
  #pending: number[] = [];
  #bomSeen = false;
  constructor(label: any = 'utf-8', options: any = {}) {
    const enc = labels[String(label).trim().toLowerCase()];
    if (!enc) throw new RangeError(`The "${label}" encoding is not supported`);
    this.#enc = enc;
    this.#fatal = !!options?.fatal;
    this.#ignoreBOM = !!options?.ignoreBOM;
  }
  get encoding(): string { return this.#enc; }
  get fatal(): boolean { return this.#fatal; }
  get ignoreBOM(): boolean { return this.#ignoreBOM; }
  decode(input?: any, options: any = {}): string {
    const stream = !!options?.stream;
    let b = input === undefined || input === null ? new Uint8Array(0) : viewBytes(input);
    let s: string;
    if (this.#enc === 'utf-8' && !stream && !this.#fatal && this.#utf8.need === 0 && b.byteLength > NATIVE_FROM && host) s = host.utf8Decode(b);
    else if (this.#enc === 'utf-8') s = this.#utf8.decode(b, this.#fatal, !stream);
    else if (this.#enc === 'windows-1252') {
      const codes = new Uint16Array(b.length);
      for (let i = 0; i < b.length; i++) {
        const x = b[i]!;
        codes[i] = x >= 0x80 && x < 0xa0 ? w1252[x - 0x80]! : x;
      }
      s = codesToString(codes, b.length);
    } else {
      if (this.#pending.length) {
        const j = new Uint8Array(this.#pending.length + b.length);
        j.set(this.#pending);
        j.set(b, this.#pending.length);
        b = j;
        this.#pending = [];
      }
      s = this.#utf16(b, stream);
    }
    if (!this.#bomSeen && s.length) {
      this.#bomSeen = true;
      if (!this.#ignoreBOM && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    if (!stream) {
      this.#bomSeen = false;
      this.#utf8 = new Utf8State();
    }
    return s;
  }
  #utf16(b: Uint8Array, stream: boolean): string {
    const le = this.#enc === 'utf-16le';
    const n = b.length >> 1;
    const codes = new Uint16Array(n);
    for (let i = 0; i < n; i++) codes[i] = le ? b[2 * i]! | (b[2 * i + 1]! << 8) : (b[2 * i]! << 8) | b[2 * i + 1]!;
    let end = n;
    const rest = b.length & 1 ? [b[b.length - 1]!] : [];
    // A lead surrogate at the end of a streamed chunk waits for its pair.
    if (stream && end > 0 && codes[end - 1]! >= 0xd800 && codes[end - 1]! <= 0xdbff) {
      end--;
      rest.unshift(b[2 * end]!, b[2 * end + 1]!);
    }
    let out: string;
    const arr: number[] = [];
    for (let i = 0; i < end; i++) {
      const c = codes[i]!;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < end && codes[i + 1]! >= 0xdc00 && codes[i + 1]! <= 0xdfff) {
        arr.push(c, codes[++i]!);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        if (this.#fatal) throw new TypeError('The encoded data was not valid for encoding ' + this.#enc);
        arr.push(0xfffd);
      } else arr.push(c);
    }
    out = codesToString(arr, arr.length);
    if (stream) this.#pending = rest;
    else if (rest.length) {
      if (this.#fatal) throw new TypeError('The encoded data was not valid for encoding ' + this.#enc);
      out += '\ufffd';
    }
    return out;
  }
}

export class TextEncoder {
  get encoding(): string { return 'utf-8'; }
  encode(input: any = ''): Uint8Array {
    return utf8Encode(String(input));
  }
  encodeInto(input: any, dest: Uint8Array): { read: number; written: number } {
    const s = String(input);
    let read = 0;
    let written = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      let units = 1;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          units = 2;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      const len = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      if (written + len > dest.length) break;
      if (len === 1) dest[written++] = c;
      else if (len === 2) { dest[written++] = 0xc0 | (c >> 6); dest[written++] = 0x80 | (c & 63); }
      else if (len === 3) { dest[written++] = 0xe0 | (c >> 12); dest[written++] = 0x80 | ((c >> 6) & 63); dest[written++] = 0x80 | (c & 63); }
      else { dest[written++] = 0xf0 | (c >> 18); dest[written++] = 0x80 | ((c >> 12) & 63); dest[written++] = 0x80 | ((c >> 6) & 63); dest[written++] = 0x80 | (c & 63); }
      read += units;
      i += units - 1;
    }
    return { read, written };
  }
}

const utf8Decoder = new Utf8State();
/** UTF-8 to string, replacing bad sequences (the body text() path). */
export const utf8Decode = (b: Uint8Array): string => {
  let s = b.byteLength > NATIVE_FROM && host ? host.utf8Decode(b) : utf8Decoder.decode(b, false, true);
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  return s;
};
