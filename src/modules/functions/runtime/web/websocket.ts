// WebSocketPair as on Workers: `const [client, server] = Object.values(new WebSocketPair())`; the
// function accept()s the server end, returns `new Response(null, { status: 101, webSocket: client })`
// and the gateway joins the client end to the caller's connection. Frames cross to the host by
// id (host.wsSend/wsClose); the host delivers the caller's frames and close with deliver().
/* eslint-disable @typescript-eslint/no-explicit-any */
import { DOMException } from './dom-exception.js';
import { viewBytes } from './encoding.js';
import { Event, EventTarget } from './events.js';
import { host } from './host.js';

export class MessageEvent extends Event<'message'> {
  readonly data: any;
  constructor(type: string, init: any = {}) {
    super(type as 'message');
    this.data = init.data;
  }
}

export class CloseEvent extends Event<'close'> {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, init: any = {}) {
    super(type as 'close');
    this.code = init.code ?? 0;
    this.reason = init.reason ?? '';
    this.wasClean = !!init.wasClean;
  }
}

type Frame = string | ArrayBuffer;
const bySid = new Map<number, WebSocket>();
let nextSid = 1;
let pairing = false;

export class WebSocket extends EventTarget<any> {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readyState = 1;
  /** The other end of the pair. */
  _peer: WebSocket | null = null;
  /** Set on the server end when the gateway took the client end (the response went out). */
  _sid = 0;
  #accepted = false;
  /** Frames the function sent before the response went out; frames from the caller before accept(). */
  #out: Array<[Frame] | [null, number, string]> = [];
  #in: Event[] = [];
  onmessage: ((e: any) => void) | null = null;
  onclose: ((e: any) => void) | null = null;
  onerror: ((e: any) => void) | null = null;

  constructor(url?: string) {
    if (!pairing) throw new DOMException(`WebSocket client connections${url ? ` to ${url}` : ''} are not supported here: use fetch() with an Upgrade header or WebSocketPair`, 'NotSupportedError');
    super();
  }
  accept(): void {
    if (this.#accepted) return;
    this.#accepted = true;
    const queued = this.#in.splice(0);
    queueMicrotask(() => queued.forEach((e) => this.#fire(e)));
  }
  send(data: any): void {
    if (!this.#accepted) throw new TypeError('You must call accept() on this WebSocket before sending messages.');
    if (this.readyState !== 1) throw new TypeError("Can't call WebSocket send() after close().");
    const frame: Frame = typeof data === 'string' ? data : copyBytes(data);
    if (this._sid) host.wsSend(this._sid, frame);
    else this.#out.push([frame]);
  }
  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) throw new DOMException(`Invalid WebSocket close code: ${code}`, 'InvalidAccessError');
    if (this.readyState >= 2) return;
    this.readyState = 2;
    if (this._sid) host.wsClose(this._sid, code ?? 1000, String(reason ?? ''));
    else this.#out.push([null, code ?? 1000, String(reason ?? '')]);
  }
  get extensions(): string { return ''; }
  get protocol(): string { return ''; }
  get url(): null { return null; }
  get binaryType(): string { return 'arraybuffer'; }

  /** Joins this server end to host socket `sid` and sends what waited. */
  _attach(sid: number): void {
    this._sid = sid;
    bySid.set(sid, this);
    for (const f of this.#out.splice(0)) {
      if (f[0] === null) host.wsClose(sid, f[1]!, f[2]!);
      else host.wsSend(sid, f[0]);
    }
  }
  _deliver(e: Event): void {
    if (e.type === 'close') {
      this.readyState = 3;
      bySid.delete(this._sid);
    }
    if (this.#accepted) this.#fire(e);
    else this.#in.push(e);
  }
  #fire(e: Event): void {
    const on = (this as any)['on' + e.type];
    if (typeof on === 'function') on.call(this, e);
    this.dispatchEvent(e);
  }
}

function copyBytes(data: any): ArrayBuffer {
  if (data && typeof data.byteLength === 'number' && (ArrayBuffer.isView(data) || Object.prototype.toString.call(data) === '[object ArrayBuffer]')) {
    const b = viewBytes(data);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }
  throw new TypeError('WebSocket.send() takes a string, an ArrayBuffer or an ArrayBufferView');
}

export class WebSocketPair {
  0: WebSocket;
  1: WebSocket;
  constructor() {
    pairing = true;
    try {
      this[0] = new WebSocket();
      this[1] = new WebSocket();
    } finally {
      pairing = false;
    }
    this[0]._peer = this[1];
    this[1]._peer = this[0];
  }
}

/** The response carried the client end: its server end gets a host socket id. */
export function attachSocket(client: WebSocket): number {
  const server = client._peer;
  if (!server || server._sid) throw new TypeError('the WebSocket in the response is not the client end of a fresh WebSocketPair');
  const sid = nextSid++;
  server._attach(sid);
  return sid;
}

/** A frame or close from the caller, for socket `sid`. */
export function deliver(sid: number, kind: string, data: string | ArrayBuffer | null, code: number, reason: string): void {
  const ws = bySid.get(sid);
  if (!ws) return;
  if (kind === 'message') ws._deliver(new MessageEvent('message', { data }));
  else if (kind === 'close') {
    if (ws.readyState < 2) ws.readyState = 2;
    ws._deliver(new CloseEvent('close', { code, reason, wasClean: code !== 1006 }));
  } else ws._deliver(new Event('error'));
}
