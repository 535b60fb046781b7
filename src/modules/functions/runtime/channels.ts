// What stays open between an isolate and its callers after a response: streamed bodies (pulled
// chunk by chunk) and WebSockets (frames both ways). Each call into the isolate for them is
// metered like a request (CPU budget, the instance is killed past it); the counts are bounded
// per instance; kill() closes them all (callers see the stream fail, sockets close with 1011).
import type ivm from 'isolated-vm';
import { InvocationFailed } from '../failures.js';
import type { BodyStream, FunctionSocket, SocketPeer } from './instance.js';

/** Bytes one streamed response may carry (the stream fails past it). */
export const MAX_STREAM_BYTES = 256 * 2 ** 20;
/** WebSockets one instance may hold open. */
export const MAX_SOCKETS = 32;
/** Largest WebSocket message either way. */
export const MAX_MESSAGE_BYTES = 2 ** 20;
/** Frames from callers waiting for the isolate, per socket, before the socket is closed (1008). */
const MAX_QUEUED_IN = 64;

export interface ChannelHost {
  isolate: ivm.Isolate;
  context: ivm.Context;
  name: string;
  cpuMs: number;
  /** How long a stream may wait for its next chunk, ms. */
  idleMs: number;
  streamMaxBytes?: number;
  /** WebSockets open at once (default MAX_SOCKETS) and the largest message (default MAX_MESSAGE_BYTES): deploy options. */
  maxSockets?: number;
  maxMessageBytes?: number;
  kill(reason: string): void;
  /** Work for a channel ran: background metering starts over from now. */
  touch(): void;
  log(level: string, text: string): void;
}

type Frame = [op: 'send' | 'close', data: string | ArrayBuffer | null, code: number, reason: string];
type Ref = ivm.Reference<(...a: unknown[]) => unknown>;
const copyAll = { arguments: { copy: true }, result: { promise: true, copy: true } } as const;
const bytesOf = (d: string | Uint8Array | ArrayBuffer): number => (typeof d === 'string' ? Buffer.byteLength(d) : d.byteLength);

export class Channels {
  private readonly streams = new Set<number>();
  private readonly sockets = new Map<number, LocalSocket>();
  private readonly idle: Array<() => void> = [];
  /** Frames the function sent before its response reached the host (socket() takes them). */
  private readonly unclaimed = new Map<number, Frame[]>();
  private refs?: { read: Ref; cancel: Ref; ws: Ref };
  private dead?: string;

  constructor(private readonly h: ChannelHost) {}

  private ref(): { read: Ref; cancel: Ref; ws: Ref } {
    const g = this.h.context.global;
    return (this.refs ??= { read: g.getSync('__llmos_read', { reference: true }), cancel: g.getSync('__llmos_cancel', { reference: true }), ws: g.getSync('__llmos_ws', { reference: true }) });
  }

  get open(): number {
    return this.streams.size + this.sockets.size;
  }

  /** Resolves once nothing is open (at once when nothing is). */
  whenIdle(): Promise<void> {
    return this.open ? new Promise((r) => this.idle.push(r)) : Promise.resolve();
  }

  private settle(): void {
    if (!this.open) for (const r of this.idle.splice(0)) r();
  }

  /** Runs a call into the isolate under the CPU budget of a request; past it the instance is killed. */
  private async metered<T>(run: () => Promise<T>, wallMs?: number, onWall?: () => void): Promise<T> {
    if (this.dead) throw new InvocationFailed('start-failed', `function ${this.h.name}: the instance ended: ${this.dead}`);
    const { isolate } = this.h;
    const cpu0 = isolate.cpuTime;
    const budget = BigInt(Math.round(this.h.cpuMs * 1e6));
    let watchdog: NodeJS.Timeout | undefined;
    let wall: NodeJS.Timeout | undefined;
    const limits = new Promise<never>((_, reject) => {
      const check = () => {
        if (isolate.isDisposed) return;
        const used = isolate.cpuTime - cpu0;
        if (used >= budget) {
          this.h.kill('cpu time limit exceeded');
          return reject(new InvocationFailed('cpu-limit', `function ${this.h.name} exceeded its CPU time limit of ${this.h.cpuMs} ms; the instance was replaced`));
        }
        watchdog = setTimeout(check, Math.max(2, Number(budget - used) / 1e6));
      };
      watchdog = setTimeout(check, Math.max(2, this.h.cpuMs));
      if (wallMs) wall = setTimeout(() => (onWall?.(), reject(new InvocationFailed('timeout', `function ${this.h.name}: no stream data within ${wallMs} ms`))), wallMs);
    });
    const p = run();
    try {
      return await Promise.race([p, limits]);
    } finally {
      clearTimeout(watchdog);
      clearTimeout(wall);
      p.catch(() => undefined);
      limits.catch(() => undefined);
      this.h.touch();
    }
  }

  /** The rest of streamed body `sid` (see web/stream-out.ts). */
  stream(sid: number): BodyStream {
    this.streams.add(sid);
    let sent = 0;
    const max = this.h.streamMaxBytes ?? MAX_STREAM_BYTES;
    const done = () => {
      this.streams.delete(sid);
      this.settle();
    };
    const cancel = (reason: string) => {
      if (!this.streams.has(sid)) return;
      done();
      if (!this.dead) void this.ref().cancel.apply(undefined, [sid, reason], copyAll).catch(() => undefined);
    };
    return {
      read: async () => {
        if (!this.streams.has(sid)) return null;
        let chunk: ArrayBuffer | null;
        try {
          chunk = await this.metered(() => this.ref().read.apply(undefined, [sid], copyAll) as Promise<ArrayBuffer | null>, this.h.idleMs, () => cancel('timed out'));
        } catch (e) {
          done();
          throw e instanceof InvocationFailed ? e : new InvocationFailed('handler-error', `function ${this.h.name}: its response stream failed: ${(e as Error)?.message ?? e}`);
        }
        if (!chunk) {
          done();
          return null;
        }
        sent += chunk.byteLength;
        if (sent > max) {
          cancel('too large');
          throw new InvocationFailed('bad-response', `function ${this.h.name}: its streamed response passed the limit of ${max} bytes`);
        }
        return new Uint8Array(chunk);
      },
      cancel,
    };
  }

  /** The host end of the function's WebSocket `sid`; refused past MAX_SOCKETS. */
  socket(sid: number): FunctionSocket {
    const maxSockets = this.h.maxSockets ?? MAX_SOCKETS;
    if (this.sockets.size >= maxSockets) {
      void this.ref().ws.apply(undefined, [sid, 'close', null, 1013, 'too many WebSockets'], copyAll).catch(() => undefined);
      throw new InvocationFailed('bad-response', `function ${this.h.name}: more than ${maxSockets} WebSockets open in one instance`);
    }
    // A frame's bytes in a buffer of their own (see isolate.ts ownBytes: a view's whole buffer is copied in).
    const own = (d: unknown) => (d instanceof Uint8Array && (d.byteOffset !== 0 || d.byteLength !== d.buffer.byteLength) ? new Uint8Array(d) : d);
    const s = new LocalSocket(sid, (kind, data, code, reason) => this.metered(() => this.ref().ws.apply(undefined, [sid, kind, own(data), code, reason], copyAll) as Promise<void>), () => {
      this.sockets.delete(sid);
      this.settle();
    });
    this.sockets.set(sid, s);
    for (const f of this.unclaimed.get(sid) ?? []) this.fromIsolate(sid, ...f);
    this.unclaimed.delete(sid);
    return s;
  }

  /** A frame or close the function sent (sink.ws). */
  fromIsolate(sid: number, op: 'send' | 'close', data: string | ArrayBuffer | null, code: number, reason: string): void {
    const s = this.sockets.get(sid);
    if (!s) {
      const list = this.unclaimed.get(sid) ?? [];
      if (list.length < MAX_QUEUED_IN && (list.length || this.unclaimed.size < MAX_SOCKETS)) this.unclaimed.set(sid, [...list, [op, data, code, reason]]);
      return;
    }
    const maxMessage = this.h.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    if (op === 'send' && data !== null && bytesOf(data) > maxMessage) {
      this.h.log('error', `WebSocket message of ${bytesOf(data)} bytes is over the limit of ${maxMessage}: the socket was closed`);
      return s.out('close', null, 1009, 'message too big');
    }
    s.out(op, data, code, reason);
  }

  /** The instance died: streams fail, sockets close with 1011. */
  closeAll(reason: string): void {
    this.dead = reason;
    this.streams.clear();
    for (const s of [...this.sockets.values()]) {
      s.out('close', null, 1011, 'the function instance ended');
      s.finish();
    }
    this.sockets.clear();
    this.settle();
  }
}

type Deliver = (kind: 'message' | 'close', data: string | ArrayBuffer | null, code: number, reason: string) => Promise<void>;

class LocalSocket implements FunctionSocket {
  private peer?: SocketPeer;
  private readonly early: Array<[op: 'send' | 'close', data: string | ArrayBuffer | null, code: number, reason: string]> = [];
  private inflight = 0;
  private closed = false;

  constructor(readonly sid: number, private readonly deliver: Deliver, private readonly gone: () => void) {}

  attach(peer: SocketPeer): void {
    this.peer = peer;
    for (const f of this.early.splice(0)) this.out(...f);
  }

  out(op: 'send' | 'close', data: string | ArrayBuffer | null, code: number, reason: string): void {
    if (!this.peer) return void this.early.push([op, data, code, reason]);
    if (op === 'send') this.peer.send(typeof data === 'string' ? data : new Uint8Array(data ?? new ArrayBuffer(0)));
    // The caller's answering close (or the connection ending) finishes the socket: see close().
    else this.peer.close(code, reason);
  }

  async message(data: string | Uint8Array): Promise<void> {
    if (this.closed) return;
    if (++this.inflight > MAX_QUEUED_IN) {
      this.inflight--;
      return this.out('close', null, 1008, 'too many messages waiting');
    }
    try {
      const copy = typeof data === 'string' ? data : (data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
      await this.deliver('message', copy, 0, '');
    } finally {
      this.inflight--;
    }
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.finish();
    void this.deliver('close', null, code, reason).catch(() => undefined);
  }

  /** Forgets the socket without telling the isolate (it is gone). */
  finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.gone();
  }
}
