// The prelude: the web platform a function sees in its isolate, bundled by esbuild into one
// script (scripts/bundle-prelude.mjs) from well-kept implementations (web-streams-polyfill,
// urlpattern-polyfill, @ungap/structured-clone, fetch-blob, formdata-polyfill, event-target-shim)
// and this folder's own parts. install() puts the globals on the isolate's global object and
// adds the hidden entry points the host calls (__llmos_bind, __llmos_dispatch, __llmos_settled,
// __llmos_warmup).
/* eslint-disable @typescript-eslint/no-explicit-any */
import { Blob } from 'fetch-blob';
import { File, FormData } from 'formdata-polyfill/esm.min.js';
import { URLPattern } from 'urlpattern-polyfill/urlpattern';
import {
  ByteLengthQueuingStrategy, CountQueuingStrategy, ReadableByteStreamController, ReadableStream, ReadableStreamBYOBReader, ReadableStreamBYOBRequest,
  ReadableStreamDefaultController, ReadableStreamDefaultReader, TransformStream, TransformStreamDefaultController, WritableStream,
  WritableStreamDefaultController, WritableStreamDefaultWriter,
} from 'web-streams-polyfill';
import { atob, btoa } from './base64.js';
import { Crypto, CryptoKey, SubtleCrypto, crypto } from './crypto.js';
import { DOMException } from './dom-exception.js';
import { TextDecoder, TextEncoder, utf8Encode } from './encoding.js';
import { AbortController, AbortSignal, Event, EventTarget } from './events.js';
import { fetch } from './fetch.js';
import { clearTimeout, console, navigator, performance, queueMicrotask, reportError, setInterval, setTimeout, structuredClone } from './globals.js';
import { addEventListener, bind, dispatch, dispatchNow, outcome, pendingRun, settled, take, unbind } from './handlers.js';
import { setHost, type PreludeHost } from './host.js';
import { Headers, Request, Response } from './http.js';
import { CompressionStream, DecompressionStream, TextDecoderStream, TextEncoderStream } from './streams.js';
import { URL, URLSearchParams } from './url.js';
import { producer } from './queue.js';
import { cancelChunks, readChunk } from './stream-out.js';
import { CloseEvent, MessageEvent, WebSocket, WebSocketPair, deliver } from './websocket.js';

export function install(g: any, host: PreludeHost): void {
  setHost(host);
  const defs: Record<string, unknown> = {
    TextEncoder, TextDecoder, TextEncoderStream, TextDecoderStream, URL, URLSearchParams, URLPattern,
    Headers, Request, Response, fetch, FormData, Blob, File,
    ReadableStream, WritableStream, TransformStream, ReadableStreamDefaultReader, ReadableStreamBYOBReader, ReadableStreamBYOBRequest,
    ReadableStreamDefaultController, ReadableByteStreamController, WritableStreamDefaultWriter, WritableStreamDefaultController,
    TransformStreamDefaultController, ByteLengthQueuingStrategy, CountQueuingStrategy, CompressionStream, DecompressionStream,
    WebSocket, WebSocketPair, MessageEvent, CloseEvent,
    Event, EventTarget, AbortController, AbortSignal, DOMException, Crypto, CryptoKey, SubtleCrypto,
    console, crypto, performance, navigator, structuredClone, queueMicrotask, reportError, atob, btoa,
    setTimeout, clearTimeout, setInterval, clearInterval: clearTimeout, addEventListener,
    self: g,
  };
  for (const k of Object.keys(defs)) Object.defineProperty(g, k, { value: defs[k], writable: true, configurable: true, enumerable: false });
  Object.defineProperty(g, 'caches', { get: () => undefined, configurable: true });

  const hidden = (name: string, value: unknown) => Object.defineProperty(g, name, { value, configurable: true });
  hidden('__llmos_bind', (mod: any, e: Record<string, string>) => {
    // The module's script declared it with `var` (not deletable in strict code): Reflect says no instead of throwing.
    Reflect.deleteProperty(g, '__llmos_mod');
    Reflect.deleteProperty(g, '__llmos_bind');
    return bind(mod, e);
  });
  hidden('__llmos_dispatch', dispatch);
  hidden('__llmos_take', take);
  hidden('__llmos_dispatch_now', dispatchNow);
  hidden('__llmos_outcome', outcome);
  hidden('__llmos_pending', pendingRun);
  hidden('__llmos_settled', settled);
  hidden('__llmos_read', readChunk);
  hidden('__llmos_cancel', cancelChunks);
  hidden('__llmos_ws', deliver);
  hidden('__llmos_queue_producer', producer);
  // Spare isolates run requests through a stand-in handler ahead of time, so V8 has compiled the
  // request path (its functions are compiled lazily) before a real cold start needs it: the URL
  // and its query, headers read and written, JSON and text bodies in and out (measured: a first
  // request reading searchParams spent 0.5 ms more of the isolate's CPU when the warm-up had not).
  hidden('__llmos_warmup', () => {
    bind({
      fetch: async (r: Request) => {
        const u = new URL(r.url);
        const q = u.searchParams;
        const h = new Headers({ 'x-w': '1' });
        h.set('x-v', String(q.has('x') && r.headers.has('x')));
        if (r.method === 'POST') return Response.json({ u: u.pathname, q: q.get('x'), all: q.getAll('x'), b: await r.json(), h: r.headers.get('x') }, { headers: { 'x-w': '1' } });
        return new Response(`${u.host}${u.search}${[...r.headers].length}${[...q].length}`, { status: 201, headers: h });
      },
    }, {});
    // Both start now: dispatch calls the handler before its first await, so the stand-in is
    // unbound before this returns and a real bind later can never meet the warm-up's requests.
    const runs = [dispatch('POST', 'http://warm/up?x=1&x=2', 'x\ny\ncontent-type\napplication/json', utf8Encode('{"a":[1]}')), dispatch('GET', 'http://warm/up?x=%C3%A9', 'x\ny', null)];
    unbind();
    void Promise.all(runs).catch(() => undefined);
    new TextDecoder().decode(utf8Encode('warm ✓'));
    Reflect.deleteProperty(g, '__llmos_warmup');
  });
}
