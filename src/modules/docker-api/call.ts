// One Docker API request, the same whether it came as a plain request or as an HTTP upgrade
// (`Upgrade: tcp`, which attach and exec start use to hijack the connection for raw streams).
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import { badParameter } from './errors.js';

/** A hijacked connection: raw bytes both ways. */
export interface RawStream {
  out: Writable;
  in: Readable;
  end(): void;
}

export interface Call {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The request body as bytes, at most limit (413-worthy bodies are refused as 400). */
  body(limit?: number): Promise<Buffer>;
  /** The body as a stream (image load, archive put). */
  bodyStream(): Readable;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  json(status: number, body: unknown): void;
  /** An empty answer (204, 304, 200 for HEAD). */
  empty(status: number, headers?: Record<string, string>): void;
  /** A streamed answer (pull progress, logs, stats, events, archives). */
  stream(status: number, contentType: string, headers?: Record<string, string>): Writable;
  /** Hijacks the connection (101 when upgraded, else a 200 raw-stream body). */
  hijack(contentType?: string): RawStream;
}

export async function jsonBody<T>(c: Call, limit = 4 * 2 ** 20): Promise<T | undefined> {
  const b = await c.body(limit);
  if (!b.length) return undefined;
  try {
    return JSON.parse(b.toString('utf8')) as T;
  } catch (e) {
    throw badParameter(`invalid JSON body: ${(e as Error).message}`);
  }
}

/** Docker's boolean query values: 1/true/True, 0/false/False, absent. */
export function qbool(c: Call, name: string, dflt = false): boolean {
  const v = c.query.get(name);
  if (v === null || v === '') return dflt;
  if (/^(1|true)$/i.test(v)) return true;
  if (/^(0|false)$/i.test(v)) return false;
  throw badParameter(`invalid boolean value for ${name}: ${v}`);
}

export function qint(c: Call, name: string): number | undefined {
  const v = c.query.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badParameter(`invalid value for ${name}: ${v}`);
  return n;
}

/** Docker's `filters` query: JSON {"key": ["v", ...]} or the old {"key": {"v": true}}. */
export function qfilters(c: Call): Record<string, string[]> {
  const raw = c.query.get('filters');
  if (!raw) return {};
  let o: unknown;
  try {
    o = JSON.parse(raw);
  } catch {
    throw badParameter(`invalid filters: ${raw}`);
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw badParameter('invalid filters: expected an object');
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object') out[k] = Object.keys(v);
    else throw badParameter(`invalid filters: ${k}`);
  }
  return out;
}
