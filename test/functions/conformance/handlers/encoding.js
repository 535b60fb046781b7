/* global ReadableStream, TextDecoder, TextDecoderStream, TextEncoder, TextEncoderStream, atob, btoa -- the web platform of the runtime under test */
// From web-platform-tests encoding/: textdecoder-fatal, textdecoder-streaming, textdecoder-labels,
// textdecoder-byte-order-marks, textencoder-utf16-surrogates, encodeInto; html/webappapis/atob.
import { harness } from './harness.js';

export default {
  async fetch() {
    const { t, eq, bytes, throws, result } = harness();
    await t('textencoder-constructor encoding', () => eq(new TextEncoder().encoding, 'utf-8'));
    await t('textencoder-utf16-surrogates lone lead', () => bytes(new TextEncoder().encode('\uD800'), [0xef, 0xbf, 0xbd]));
    await t('textencoder-utf16-surrogates pair', () => bytes(new TextEncoder().encode('\uD83D\uDCA9'), [0xf0, 0x9f, 0x92, 0xa9]));
    await t('textencoder-utf16-surrogates swapped', () => bytes(new TextEncoder().encode('\uDC00\uD800'), [0xef, 0xbf, 0xbd, 0xef, 0xbf, 0xbd]));
    await t('encodeInto fits whole characters only', () => {
      const d = new Uint8Array(4);
      const r = new TextEncoder().encodeInto('a\u00e9\u2713', d);
      eq(r.read, 2);
      eq(r.written, 3);
    });
    await t('encodeInto surrogate pair counts two read', () => {
      const r = new TextEncoder().encodeInto('\uD83D\uDCA9', new Uint8Array(4));
      eq(r.read, 2);
      eq(r.written, 4);
    });
    const fatal = [[0xff], [0xc0], [0xe0], [0xf0], [0xf0, 0x80], [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x80, 0x80, 0x80, 0x80]];
    for (const seq of fatal) await t(`textdecoder-fatal ${seq.map((b) => b.toString(16)).join(' ')}`, () => throws(() => new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(seq)), 'TypeError'));
    await t('textdecoder-fatal attribute', () => eq(new TextDecoder('utf-8', { fatal: true }).fatal, true));
    await t('textdecoder replacement per maximal subpart', () => eq(new TextDecoder().decode(new Uint8Array([0x61, 0xf0, 0x9f, 0x92, 0x62])), 'a\uFFFDb'));
    await t('textdecoder-streaming split multibyte', () => {
      const d = new TextDecoder();
      const b = new TextEncoder().encode('\u00e9\u2713\uD83D\uDCA9');
      let s = '';
      for (let i = 0; i < b.length; i++) s += d.decode(b.subarray(i, i + 1), { stream: true });
      s += d.decode();
      eq(s, '\u00e9\u2713\uD83D\uDCA9');
    });
    await t('textdecoder-streaming utf-16le split', () => {
      const d = new TextDecoder('utf-16le');
      const b = new Uint8Array([0x3d, 0xd8, 0xa9, 0xdc, 0x41, 0x00]);
      let s = '';
      for (let i = 0; i < b.length; i++) s += d.decode(b.subarray(i, i + 1), { stream: true });
      eq(s + d.decode(), '\uD83D\uDCA9A');
    });
    await t('textdecoder-streaming flush of an incomplete sequence', () => {
      const d = new TextDecoder();
      eq(d.decode(new Uint8Array([0xe2, 0x9c]), { stream: true }), '');
      eq(d.decode(), '\uFFFD');
    });
    const labels = [['utf8', 'utf-8'], ['unicode-1-1-utf-8', 'utf-8'], [' UTF-8 ', 'utf-8'], ['utf-16', 'utf-16le'], ['utf-16le', 'utf-16le'], ['latin1', 'windows-1252'], ['iso-8859-1', 'windows-1252'], ['ascii', 'windows-1252'], ['windows-1252', 'windows-1252']];
    for (const [label, name] of labels) await t(`textdecoder-labels ${JSON.stringify(label)}`, () => eq(new TextDecoder(label).encoding, name));
    await t('textdecoder-labels unknown is a RangeError', () => throws(() => new TextDecoder('x-no-such'), 'RangeError'));
    await t('textdecoder utf-16le decodes', () => eq(new TextDecoder('utf-16le').decode(new Uint8Array([0x68, 0, 0xe9, 0])), 'h\u00e9'));
    await t('textdecoder windows-1252 0x80-0x9f', () => eq(new TextDecoder('windows-1252').decode(new Uint8Array([0x80, 0x93, 0x9f, 0xe9])), '\u20AC\u201C\u0178\u00e9'));
    await t('textdecoder-byte-order-marks utf-8 stripped', () => eq(new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), 'A'));
    await t('textdecoder-byte-order-marks ignoreBOM keeps it', () => eq(new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), '\uFEFFA'));
    await t('textdecoder-byte-order-marks utf-16le', () => eq(new TextDecoder('utf-16le').decode(new Uint8Array([0xff, 0xfe, 0x41, 0])), 'A'));
    await t('textdecoder accepts ArrayBuffer and DataView', () => {
      eq(new TextDecoder().decode(new Uint8Array([0x61]).buffer), 'a');
      eq(new TextDecoder().decode(new DataView(new Uint8Array([0x62]).buffer)), 'b');
    });
    await t('textencoderstream and textdecoderstream round trip', async () => {
      const s = new ReadableStream({ start(c) { c.enqueue('h\u00e9'); c.enqueue('\uD83D'); c.enqueue('\uDCA9'); c.close(); } });
      const out = s.pipeThrough(new TextEncoderStream()).pipeThrough(new TextDecoderStream());
      let text = '';
      for (const r = out.getReader(); ; ) {
        const { done, value } = await r.read();
        if (done) break;
        text += value;
      }
      eq(text, 'h\u00e9\uD83D\uDCA9');
    });
    await t('atob-btoa round trip of latin1', () => eq(atob(btoa('\u00ff\u0000ab')), '\u00ff\u0000ab'));
    await t('btoa refuses code points above U+00FF', () => throws(() => btoa('\u2713'), 'InvalidCharacterError'));
    await t('atob forgiving whitespace and padding', () => {
      eq(atob(' YW Jj '), 'abc');
      eq(atob('YQ'), 'a');
      eq(atob('YQ=='), 'a');
    });
    for (const bad of ['a', 'YQ=', 'Y===', 'YQ==a', '**']) await t(`atob refuses ${JSON.stringify(bad)}`, () => throws(() => atob(bad), 'InvalidCharacterError'));
    return result();
  },
};
