// In-isolate web globals, part 2: UTF-8 (TextEncoder, TextDecoder) and bodies as bytes.
// This function is never called in the daemon as it is: its compiled source text is put into
// preludeSource (prelude.ts) and run inside the isolate, so it must not refer to anything outside
// its own body. It takes what it needs from the earlier parts in `s` and adds what it defines.
/* eslint-disable */
import type { PreludeHost } from './prelude-host.js';

export function encodingPart(s: any, _host: PreludeHost): void {
  const { URLSearchParams } = s;
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
  Object.assign(s, { enc, dec, toBytes, TextEncoder, TextDecoder });
}
