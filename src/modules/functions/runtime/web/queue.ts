// Workers Queues inside the isolate: producer bindings (env.Q.send / sendBatch) and the queue()
// handler's batch (messages with ack/retry, batch.ackAll/retryAll). Bodies travel as text by
// contentType: "v8" (the default, any structured-cloneable value, through @ungap/structured-clone's
// serialization), "json", "text", or "bytes" (base64).
/* eslint-disable @typescript-eslint/no-explicit-any */
import { deserialize, serialize } from '@ungap/structured-clone';
import { atob, btoa } from './base64.js';
import { DOMException } from './dom-exception.js';
import { utf8Decode, viewBytes } from './encoding.js';
import { console, inspect } from './globals.js';
import { Response } from './http.js';

interface WireMessage {
  body: string;
  contentType: string;
  delaySeconds?: number;
}

const bytesToB64 = (u8: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(s);
};

function encode(body: unknown, contentType: unknown = 'v8'): WireMessage {
  switch (contentType) {
    case 'json':
      return { body: JSON.stringify(body) ?? 'null', contentType };
    case 'text':
      if (typeof body !== 'string') throw new TypeError('Queue send: a "text" message body must be a string');
      return { body, contentType };
    case 'bytes':
      if (!(body instanceof ArrayBuffer || ArrayBuffer.isView(body))) throw new TypeError('Queue send: a "bytes" message body must be an ArrayBuffer or a view of one');
      return { body: bytesToB64(viewBytes(body)), contentType };
    case 'v8':
      try {
        return { body: JSON.stringify(serialize(body)), contentType };
      } catch (e) {
        throw new DOMException((e as Error)?.message ?? 'could not be cloned', 'DataCloneError');
      }
    default:
      throw new TypeError(`Queue send: unknown contentType ${String(contentType)} (v8, json, text or bytes)`);
  }
}

function decode(body: string, contentType: string): unknown {
  if (contentType === 'json') return JSON.parse(body);
  if (contentType === 'text') return body;
  if (contentType === 'bytes') return Uint8Array.from(atob(body), (c) => c.charCodeAt(0)).buffer;
  return deserialize(JSON.parse(body));
}

const delay = (o: any): number | undefined => (o && o.delaySeconds !== undefined ? Number(o.delaySeconds) : undefined);

/** env.NAME of a producer binding; `call` reaches the daemon's queue. */
export function producer(call: (op: string, args: Record<string, unknown>) => Promise<unknown>): object {
  return Object.freeze({
    async send(body: unknown, o?: any): Promise<void> {
      await call('send', { messages: [{ ...encode(body, o?.contentType), delaySeconds: delay(o) }] });
    },
    async sendBatch(msgs: Iterable<any>, o?: any): Promise<void> {
      const list = [...msgs].map((m) => ({ ...encode(m?.body, m?.contentType), delaySeconds: delay(m) ?? delay(o) }));
      await call('send', { messages: list });
    },
  });
}

type Decision = { ack: true } | { retry: number | null };

/** Runs handler.queue on the batch the daemon sent; answers the decisions (and a thrown error) as JSON. */
export async function runQueue(handler: any, env: unknown, ctx: unknown, body: ArrayBuffer | Uint8Array | null): Promise<Response> {
  if (!handler || typeof handler.queue !== 'function') throw new TypeError('the module has no queue(batch, env, ctx) handler');
  const input = JSON.parse(body ? utf8Decode(viewBytes(body)) : '{}') as { queue: string; messages: Array<{ id: string; timestamp: number; body: string; contentType: string; attempts: number }> };
  const decisions: Record<string, Decision> = {};
  let all: Decision | null = null;
  const retry = (o: any): Decision => ({ retry: delay(o) ?? null });
  const messages = input.messages.map((m) => {
    let value: unknown;
    let decoded = false;
    return Object.freeze({
      id: m.id,
      timestamp: new Date(m.timestamp),
      attempts: m.attempts,
      get body() {
        if (!decoded) {
          value = decode(m.body, m.contentType);
          decoded = true;
        }
        return value;
      },
      // The first call for a message wins; a message's own call wins over ackAll/retryAll.
      ack: () => void (decisions[m.id] ??= { ack: true }),
      retry: (o?: any) => void (decisions[m.id] ??= retry(o)),
    });
  });
  const batch = Object.freeze({
    queue: input.queue,
    messages: Object.freeze(messages),
    ackAll: () => void (all ??= { ack: true }),
    retryAll: (o?: any) => void (all ??= retry(o)),
  });
  let error = '';
  try {
    await handler.queue(batch, env, ctx);
  } catch (e) {
    error = inspect(e);
    console.error('queue handler threw: ' + error);
  }
  return Response.json({ decisions, all, error });
}
