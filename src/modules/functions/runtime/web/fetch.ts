// fetch() through the host: the request body is read in the isolate and copied out once; the host
// applies the egress policy, follows redirects as `redirect` says and caps the response body.
// An AbortSignal rejects the call in the isolate at once.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { readAll } from './body.js';
import { host } from './host.js';
import { Request, Response } from './http.js';

const nullBody = new Set([101, 204, 205, 304]);

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
    const [status, statusText, headers, resBody, url, redirected] = await Promise.race([call, aborted]);
    return new Response(nullBody.has(status) || req.method === 'HEAD' ? null : resBody, { status, statusText, headers, _url: url, _redirected: redirected });
  } finally {
    signal.removeEventListener('abort', onAbort!);
    // After an abort the host's answer (or failure) has no one waiting for it.
    call.catch(() => undefined);
  }
}
