// The CLI's HTTP transport: one request on its own connection (node:http, no keep-alive), and
// the part of the fetch Response the commands read.
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';

/** What a command reads of an answer (a subset of fetch's Response). */
export interface ApiResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  /** The body as a web stream (async-iterable); read it, or text()/json(), once. */
  readonly body: ReadableStream<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export class NodeResponse implements ApiResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  private web?: ReadableStream<Uint8Array>;

  constructor(private readonly msg: IncomingMessage) {
    this.status = msg.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = { get: (n) => {
      const v = msg.headers[n.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    } };
  }

  get body(): ReadableStream<Uint8Array> {
    return (this.web ??= Readable.toWeb(this.msg) as ReadableStream<Uint8Array>);
  }

  async text(): Promise<string> {
    const parts: Buffer[] = [];
    for await (const c of this.msg) parts.push(c as Buffer);
    return Buffer.concat(parts).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}

/** Sends one request; resolves with the answer's head once it arrives (its body is still to read). */
export async function send(url: URL, method: string, headers: OutgoingHttpHeaders, payload: string | Uint8Array | AsyncIterable<Uint8Array> | undefined, signal?: AbortSignal, tls: { ca?: string } = {}): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  return new Promise((resolve, reject) => {
    // agent: false: a connection of its own, closed after the answer, so nothing holds the process open.
    const req = request(url, { method, headers, agent: false, signal, ...tls }, resolve);
    req.on('error', reject);
    if (payload === undefined || typeof payload === 'string' || payload instanceof Uint8Array) req.end(payload);
    else pipeline(Readable.from(payload), req).catch(reject);
  });
}
