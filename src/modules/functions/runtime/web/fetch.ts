// fetch() through the host: the request body is read in the isolate and copied out once; the host
// applies the egress policy, follows redirects as `redirect` says and caps the response body,
// which comes back whole when short and as a stream pulled from the host when long.
// An AbortSignal rejects the call in the isolate at once and cancels a body being read.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { ReadableStream } from 'web-streams-polyfill';
import { readAll } from './body.js';
import type { AbortSignal } from './events.js';
import { host } from './host.js';
import { Request, Response } from './http.js';

const nullBody = new Set([101, 204, 205, 304]);

/** The rest of a long body, pulled from the host a chunk at a time after the first bytes. */
function bodyStream(first: ArrayBuffer | null, id: number, signal: AbortSignal): ReadableStream<Uint8Array> {
  let head: ArrayBuffer | null = first;
  return new ReadableStream<Uint8Array>({
    async pull(c: any) {
      if (head) {
        c.enqueue(new Uint8Array(head));
        head = null;
        return;
      }
      if (signal.aborted) {
        host.fetchCancel(id);
        return c.error(signal.reason);
      }
      const [err, chunk] = await host.fetchRead(id);
      if (err) c.error(new TypeError(err));
      else if (chunk === null) c.close();
      else c.enqueue(new Uint8Array(chunk));
    },
    cancel() {
      host.fetchCancel(id);
    },
  } as any);
}

export async function fetch(input: any, init?: any): Promise<Response> {
  const req = input instanceof Request && init === undefined ? input : new Request(input, init);
  const signal = req.signal;
  signal.throwIfAborted();
  const peek = req._peekBytes();
  const stream = req._stream();
  const b = peek === undefined && stream ? await readAll(stream) : peek ?? null;
  const body = b && b.byteLength ? (b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer) : null;
  const call = host.fetch([req.url, req.method, [...req.headers], req.method === 'GET' || req.method === 'HEAD' ? null : body, req.redirect]);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const [status, statusText, headers, resBody, url, redirected, id] = await Promise.race([call, aborted]);
    const noBody = nullBody.has(status) || req.method === 'HEAD';
    if (id < 0 || noBody) {
      if (id >= 0) host.fetchCancel(id);
      return new Response(noBody ? null : resBody, { status, statusText, headers, _url: url, _redirected: redirected });
    }
    return new Response(bodyStream(resBody, id, signal), { status, statusText, headers, _url: url, _redirected: redirected });
  } finally {
    signal.removeEventListener('abort', onAbort!);
    // After an abort the host's answer (or failure) has no one waiting for it.
    call.catch(() => undefined);
  }
}
