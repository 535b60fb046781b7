// The host half of fetch(): every hop (the first request and each redirect) passes the egress
// check; redirects follow the fetch standard's rules (303, and 301/302 after POST, become GET
// without a body; at most 20 hops) or, with redirect 'manual', come back as they are. A short
// body comes back with the head; a longer one streams: the isolate pulls it chunk by chunk
// (fetchRead), up to a cap, so the daemon never buffers a whole large body.
import type { HostFetchRequest, HostFetchResponse } from '../web/host.js';
import { egressHeaders, egressRequest, type EgressPolicy } from '../egress.js';

/** Largest response body a function's fetch may read (each chunk is copied into the isolate). */
export const MAX_FETCH_BODY_BYTES = 32 * 2 ** 20;
/** A body up to this size comes back with the head, in one copy; past it the rest streams. */
const INLINE_BODY_BYTES = 64 * 1024;
/** Response bodies one isolate may have open at a time. */
const MAX_OPEN_STREAMS = 64;
const MAX_REDIRECTS = 20;
const FETCH_TIMEOUT_MS = 30_000;

type Reader = ReadableStreamDefaultReader<Uint8Array>;
const concat = (chunks: Uint8Array[], total: number): ArrayBuffer => {
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.byteLength;
  }
  return out.buffer;
};

/** Until a function claims the isolate: nothing is reachable. */
const NO_EGRESS: EgressPolicy = { allow: [], maxResponseBytes: 0, ownPorts: [] };

/** One isolate's fetches, under the egress policy of the function that claimed it (`sink.egress`): the open response bodies it reads through fetchRead. */
export function fetchHost(sink: { egress?: EgressPolicy } = {}) {
  const open = new Map<number, { reader: Reader; read: number; done: boolean; close: () => void }>();
  let seq = 0;
  let cap = MAX_FETCH_BODY_BYTES;
  const tooBig = (n: number) => new RangeError(`fetch: response body is over the limit of ${cap} bytes (read ${n})`);
  const drop = (id: number) => {
    open.get(id)?.close();
    open.delete(id);
  };
  /** The head and the first chunks of a body; a longer body stays open for fetchRead. */
  const start = async (res: Response, finalUrl: string, redirected: boolean, close: () => void): Promise<HostFetchResponse> => {
    const head = (body: ArrayBuffer | null, stream: number): HostFetchResponse => [res.status, res.statusText, [...res.headers], body, finalUrl, redirected, stream];
    const len = Number(res.headers.get('content-length') ?? NaN);
    if (len > cap) {
      await res.body?.cancel();
      throw tooBig(len);
    }
    if (!res.body) {
      close();
      return head(null, -1);
    }
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    while (total <= INLINE_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) {
        close();
        return head(concat(chunks, total), -1);
      }
      chunks.push(value);
      total += value.byteLength;
    }
    if (total > cap) {
      await reader.cancel();
      throw tooBig(total);
    }
    open.set(++seq, { reader, read: total, done: false, close });
    return head(concat(chunks, total), seq);
  };
  return {
    async fetch(req: HostFetchRequest): Promise<HostFetchResponse> {
      if (open.size >= MAX_OPEN_STREAMS) throw new RangeError(`fetch: ${MAX_OPEN_STREAMS} response bodies are open already; read or cancel them first`);
      const policy = sink.egress ?? NO_EGRESS;
      cap = Math.min(MAX_FETCH_BODY_BYTES, policy.maxResponseBytes);
      const [res, finalUrl, redirected, close] = await request(req, policy);
      try {
        return await start(res, finalUrl, redirected, close);
      } catch (e) {
        close();
        throw e;
      }
    },
    async read(id: number): Promise<[string, ArrayBuffer | null]> {
      const s = open.get(id);
      if (!s) return ['fetch: the response body is closed', null];
      // Chunks are gathered up to INLINE_BODY_BYTES per pull: each pull is a round trip into the isolate.
      const chunks: Uint8Array[] = [];
      let total = 0;
      try {
        while (!s.done && total < INLINE_BODY_BYTES) {
          const { done, value } = await s.reader.read();
          if (done) s.done = true;
          else {
            chunks.push(value);
            total += value.byteLength;
          }
        }
      } catch (e) {
        drop(id);
        return [`fetch: reading the response body failed: ${(e as Error).message}`, null];
      }
      s.read += total;
      if (s.read > cap) {
        drop(id);
        await s.reader.cancel();
        return [tooBig(s.read).message, null];
      }
      if (total === 0) {
        drop(id);
        return ['', null];
      }
      return ['', concat(chunks, total)];
    },
    cancel(id: number): void {
      const s = open.get(id);
      drop(id);
      s?.reader.cancel().catch(() => undefined); // the peer may be gone already; nothing to report to
    },
    /** Closes every open body (the isolate is going away). */
    close(): void {
      for (const id of [...open.keys()]) this.cancel(id);
    },
  };
}

async function request([url, method, headers, body, redirect]: HostFetchRequest, policy: EgressPolicy): Promise<[Response, string, boolean, () => void]> {
  let u = new URL(url);
  let m = method;
  let b = body && m !== 'GET' && m !== 'HEAD' ? body : null;
  let h = egressHeaders(headers, policy);
  const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS);
  for (let hop = 0; ; hop++) {
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`fetch: unsupported scheme ${u.protocol}`);
    const { res, close } = await egressRequest(u, { method: m, headers: h, body: b, signal }, policy);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && res.status !== 304 && location !== null && redirect !== 'manual') {
      await res.body?.cancel();
      close();
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
    return [res, u.href, hop > 0, close];
  }
}
