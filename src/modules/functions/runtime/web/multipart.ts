// multipart/form-data and application/x-www-form-urlencoded bodies to FormData (Body.formData()).
// Serialising a FormData body is formdata-polyfill's formDataToBlob.
import { File, FormData } from 'formdata-polyfill/esm.min.js';
import { utf8Decode, utf8Encode } from './encoding.js';
import { URLSearchParams } from './url.js';

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  outer: for (let i = hay.indexOf(first!, from); i >= 0 && i <= hay.length - needle.length; i = hay.indexOf(first!, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The boundary parameter of a multipart content type, or null. */
export function boundaryOf(contentType: string): string | null {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2])! : null;
}

const param = (header: string, name: string): string | null => {
  // Quoted values end at the next quote: senders percent-escape quotes (%22) and do not use
  // backslash escapes, so a backslash is an ordinary character (a file may be named "\\").
  const m = new RegExp(`;\\s*${name}="([^"]*)"|;\\s*${name}=([^;\\s]+)`, 'i').exec(header);
  if (!m) return null;
  // formdata-polyfill and browsers percent-escape quotes and newlines in names.
  return (m[1] ?? m[2])!.replace(/%22/g, '"').replace(/%0D/g, '\r').replace(/%0A/g, '\n');
};

export function parseMultipart(body: Uint8Array, boundary: string): FormData {
  const fd = new FormData();
  const delim = utf8Encode('--' + boundary);
  let pos = indexOf(body, delim, 0);
  if (pos < 0) throw new TypeError('Failed to parse body as FormData: no multipart boundary');
  for (;;) {
    pos += delim.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return fd; // the closing "--boundary--"
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    const headEnd = indexOf(body, utf8Encode('\r\n\r\n'), pos);
    if (headEnd < 0) throw new TypeError('Failed to parse body as FormData: truncated part headers');
    const headers: Record<string, string> = {};
    for (const line of utf8Decode(body.subarray(pos, headEnd)).split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const next = indexOf(body, utf8Encode('\r\n--' + boundary), headEnd + 4);
    if (next < 0) throw new TypeError('Failed to parse body as FormData: missing closing boundary');
    const content = body.slice(headEnd + 4, next);
    const disp = headers['content-disposition'] ?? '';
    const name = param(disp, 'name');
    if (name === null || !/^form-data/i.test(disp)) throw new TypeError('Failed to parse body as FormData: a part has no form-data name');
    const filename = param(disp, 'filename');
    if (filename !== null) fd.append(name, new File([content], filename, { type: headers['content-type'] ?? '' }));
    else fd.append(name, utf8Decode(content));
    pos = next + 2;
  }
}

export function parseUrlencoded(text: string): FormData {
  const fd = new FormData();
  for (const [k, v] of new URLSearchParams(text)) fd.append(k, v);
  return fd;
}
