// The CLI's API client: finds the daemon and its token, turns HTTP errors into one-line reasons.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultDataDir } from '../paths.js';
import { SseReader, errorAnswer, parseAnswer } from '../contracts/http-wire.js';

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export interface ClientOptions {
  host?: string;
  dataDir?: string;
  token?: string;
}

export class ApiClient {
  readonly base: string;
  private cachedToken?: string;

  constructor(private readonly opts: ClientOptions = {}) {
    this.base = (opts.host ?? process.env.LLMOS_HOST ?? 'http://127.0.0.1:7070').replace(/\/$/, '');
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

  async fetch(method: string, p: string, body?: unknown, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...init.headers };
    let payload: RequestInit['body'];
    if (body instanceof Uint8Array || typeof body === 'string' || (body && typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')) payload = body as RequestInit['body'];
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(this.base + p, { method, headers, body: payload, signal: init.signal, ...(payload && typeof payload === 'object' && !(payload instanceof Uint8Array) ? { duplex: 'half' } : {}) } as RequestInit);
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      throw new CliError(`cannot reach the LLMOS daemon at ${this.base}${cause ? ` (${cause})` : ''}: is \`llmos up\` running?`);
    }
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
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (const e of sse.push(decoder.decode(chunk, { stream: true }))) onEvent(e.event ?? 'message', JSON.parse(e.data));
      }
    } catch (e) {
      if (!signal?.aborted) throw e;
    }
  }
}
