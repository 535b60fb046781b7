// The agent's HTTPS calls to the server. The first one (the CA) is made without trusting the
// server's certificate: what it answers is trusted only once its hash matches the join token's.
// Every later call verifies the server against that CA (and its name against the certificate).
import { errorAnswer } from '../../contracts/http-wire.js';
import { Unavailable, Unauthenticated, AlreadyExists, InvalidArgument, FailedPrecondition, NotFound } from '../../kernel/errors.js';

export interface ServerCall {
  method: string;
  path: string;
  body?: unknown;
  credential?: string;
  /** PEM of the CA to verify the server with; undefined only for the CA fetch itself. */
  ca?: string;
  timeoutMs?: number;
  /** Aborts the request (a long-poll cut short when the agent reconnects or stops). */
  signal?: AbortSignal;
}

/** One HTTPS request to the server; a non-2xx answer throws the matching LLMOS error with the server's message. */
export async function callServer<T>(server: URL, c: ServerCall): Promise<T> {
  const payload = c.body === undefined ? undefined : JSON.stringify(c.body);
  const { request } = await import('node:https'); // loaded only by an agent, not at every boot
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(new URL(c.path, server), {
      method: c.method,
      agent: false,
      ca: c.ca,
      rejectUnauthorized: c.ca !== undefined,
      timeout: c.timeoutMs ?? 10_000,
      ...(c.signal ? { signal: c.signal } : {}),
      headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...(c.credential ? { authorization: `Bearer ${c.credential}` } : {}) },
    }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e: NodeJS.ErrnoException) => {
      // A certificate that does not verify is not an outage: retrying would not help.
      const tls = e.code?.startsWith('ERR_TLS') || /certificate/i.test(e.message);
      reject(tls ? new FailedPrecondition(`cannot trust the server ${server.origin}: ${e.message}`, { cause: e }) : new Unavailable(`cannot reach the server ${server.origin}: ${e.code ?? e.message}`, { cause: e }));
    });
    req.end(payload);
  });
  if (status >= 200 && status < 300) return JSON.parse(text) as T;
  const msg = errorAnswer(text).message || `HTTP ${status}`;
  const cls = status === 401 ? Unauthenticated : status === 409 ? AlreadyExists : status === 400 ? InvalidArgument : status === 404 ? NotFound : status >= 500 ? Unavailable : FailedPrecondition;
  throw new cls(`the server refused: ${msg}`);
}
