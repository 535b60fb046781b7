// The CLI's API client: finds the daemon and its token, turns HTTP errors into one-line reasons.
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { defaultDataDir } from '../paths.js';
import { SseReader, errorAnswer, parseAnswer } from '../contracts/http-wire.js';
import { NodeResponse, send, type ApiResponse } from './http.js';

export type { ApiResponse } from './http.js';

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export interface ClientOptions {
  host?: string;
  dataDir?: string;
  token?: string;
  /** CA certificate file to trust for an https:// daemon (default: the data dir's cluster CA). */
  ca?: string;
}

export class ApiClient {
  readonly base: string;
  private cachedToken?: string;

  constructor(private readonly opts: ClientOptions = {}) {
    this.base = (opts.host ?? process.env.LLMOS_HOST ?? 'http://127.0.0.1:7070').replace(/\/$/, '');
  }

  /** For https://: the CA to verify the daemon with (--ca, LLMOS_CA, else the data dir's cluster CA when there is one). */
  trust(): { ca?: string } {
    if (!this.base.startsWith('https:')) return {};
    const given = this.opts.ca ?? process.env.LLMOS_CA;
    const file = given ?? path.join(this.opts.dataDir ?? process.env.LLMOS_DATA_DIR ?? defaultDataDir(), 'ca', 'ca.crt');
    try {
      return { ca: readFileSync(file, 'utf8') };
    } catch {
      if (given) throw new CliError(`cannot read the CA certificate ${given} (--ca / LLMOS_CA)`);
      return {}; // no cluster CA here: the system's trust store decides
    }
  }

  get token(): string {
    if (this.cachedToken) return this.cachedToken;
    const t = this.opts.token ?? process.env.LLMOS_TOKEN;
    if (t) return (this.cachedToken = t);
    const dir = this.opts.dataDir ?? process.env.LLMOS_DATA_DIR ?? defaultDataDir();
    try {
      return (this.cachedToken = readFileSync(path.join(dir, 'token'), 'utf8').trim());
    } catch {
      throw new CliError(`no API token: cannot read ${path.join(dir, 'token')} (set --data-dir, LLMOS_DATA_DIR or LLMOS_TOKEN)`);
    }
  }

  /** Sends a request; JSON bodies are encoded; non-2xx answers throw CliError with the server's message. */
  async request<T = unknown>(method: string, p: string, body?: unknown, init: { headers?: Record<string, string>; raw?: boolean; signal?: AbortSignal } = {}): Promise<T> {
    const res = await this.fetch(method, p, body, init);
    if (init.raw) return res as unknown as T;
    return parseAnswer<T>(await res.text());
  }

  /**
   * Sends a request and returns the answer for the caller to read; non-2xx answers throw CliError
   * with the server's message. node:http, not the global fetch: fetch's first call compiles undici
   * (~35 ms of a ~100 ms command) and its kept-alive socket holds the process open after the
   * command is done; here each request has its own connection, closed after the answer.
   */
  async fetch(method: string, p: string, body?: unknown, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...init.headers };
    let payload: string | Uint8Array | AsyncIterable<Uint8Array> | undefined;
    if (body instanceof Uint8Array || typeof body === 'string' || (body && typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')) payload = body as typeof payload;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    if (typeof payload === 'string' || payload instanceof Uint8Array) headers['content-length'] = String(Buffer.byteLength(payload));
    let msg: IncomingMessage;
    try {
      msg = await send(new URL(this.base + p), method, headers, payload, init.signal, this.trust());
    } catch (e) {
      if (init.signal?.aborted) throw e;
      const code = (e as { code?: string }).code;
      if (e instanceof CliError) throw e;
      if (typeof code === 'string' && /CERT|TLS|SELF_SIGNED/.test(code)) throw new CliError(`cannot verify the daemon at ${this.base} (${code}): pass its cluster CA with --ca FILE or LLMOS_CA`);
      throw new CliError(`cannot reach the LLMOS daemon at ${this.base}${code ? ` (${code})` : ''}: is \`llmos up\` running?`);
    }
    const res = new NodeResponse(msg);
    if (!res.ok) {
      throw new CliError(errorAnswer(await res.text()).message || `${method} ${p}: HTTP ${res.status}`);
    }
    return res;
  }

  /** Reads a server-sent event stream, calling onEvent for each `data:` payload until aborted or closed. */
  async stream(p: string, onEvent: (event: string, data: unknown) => void, signal?: AbortSignal): Promise<void> {
    const res = await this.fetch('GET', p, undefined, { signal, headers: { accept: 'text/event-stream' } });
    const decoder = new TextDecoder();
    const sse = new SseReader();
    try {
      for await (const chunk of res.body) {
        for (const e of sse.push(decoder.decode(chunk, { stream: true }))) onEvent(e.event ?? 'message', JSON.parse(e.data));
      }
    } catch (e) {
      if (!signal?.aborted) throw e;
    }
  }
}
