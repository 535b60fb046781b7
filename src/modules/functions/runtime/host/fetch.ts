// The host half of fetch(): every hop (the first request and each redirect) passes the egress
// check; redirects follow the fetch standard's rules (303, and 301/302 after POST, become GET
// without a body; at most 20 hops) or, with redirect 'manual', come back as they are; the
// response body is read up to a cap so one function cannot make the daemon buffer without bound.
import type { HostFetchRequest, HostFetchResponse } from '../web/host.js';
import { checkEgress } from '../egress.js';

/** Largest response body a function's fetch may read (the whole body is copied into the isolate). */
export const MAX_FETCH_BODY_BYTES = 32 * 2 ** 20;
const MAX_REDIRECTS = 20;
const FETCH_TIMEOUT_MS = 30_000;

async function readCapped(res: Response, cap: number): Promise<ArrayBuffer> {
  const len = Number(res.headers.get('content-length') ?? NaN);
  if (len > cap) {
    await res.body?.cancel();
    throw new RangeError(`fetch: response body of ${len} bytes is over the limit of ${cap} bytes`);
  }
  if (!res.body) return new ArrayBuffer(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel();
      throw new RangeError(`fetch: response body is over the limit of ${cap} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.byteLength;
  }
  return out.buffer;
}

export async function hostFetch([url, method, headers, body, redirect]: HostFetchRequest, cap = MAX_FETCH_BODY_BYTES): Promise<HostFetchResponse> {
  let u = new URL(url);
  let m = method;
  let b = body && m !== 'GET' && m !== 'HEAD' ? body : null;
  let h = headers;
  const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS);
  for (let hop = 0; ; hop++) {
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`fetch: unsupported scheme ${u.protocol}`);
    checkEgress(u);
    const res = await fetch(u, { method: m, headers: h, body: b, redirect: 'manual', signal });
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && res.status !== 304 && location !== null && redirect !== 'manual') {
      await res.body?.cancel();
      if (redirect === 'error') throw new TypeError(`fetch: redirect to ${location} refused (redirect: 'error')`);
      if (hop >= MAX_REDIRECTS) throw new TypeError(`fetch: more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, u);
      if (res.status === 303 ? m !== 'HEAD' : (res.status === 301 || res.status === 302) && m === 'POST') {
        m = 'GET';
        b = null;
        h = h.filter(([k]) => !/^(content-type|content-length|content-encoding|content-language|content-location)$/i.test(k));
      }
      // Credentials do not follow a redirect to another origin.
      if (next.origin !== u.origin) h = h.filter(([k]) => !/^(authorization|cookie|proxy-authorization)$/i.test(k));
      u = next;
      continue;
    }
    const buf = await readCapped(res, cap);
    return [res.status, res.statusText, [...res.headers], buf, u.href, hop > 0];
  }
}
