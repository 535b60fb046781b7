// An isolate instance living in a function host (host-client.ts's FunctionHost makes them): its
// invocations, their cancellation, and the streamed bodies and WebSockets of its answers.
import { InvocationFailed } from '../failures.js';
import type { BodyStream, FunctionSocket, Instance, InvokeRequest, InvokeResponse, SocketPeer } from '../runtime/instance.js';
import type { FunctionHost } from './host-client.js';
import type { ToHost, WireResponse } from './protocol.js';

/** An isolate instance living in a function host. */
export class RemoteInstance implements Instance {
  dead: string | undefined;
  /** Streams and sockets still open (they keep an idle instance: see dispose). */
  private open = 0;
  private idle: Array<() => void> = [];
  readonly ready?: Promise<void>;
  constructor(private readonly host: FunctionHost, readonly id: string, private readonly fn: string, ready?: Promise<void>) {
    if (!ready) return;
    this.ready = ready;
    ready.catch((e: Error) => {
      this.dead ??= `start failed: ${e?.message ?? String(e)}`;
      host.forget(id);
    });
  }

  private inflight = 0;

  async invoke(req: InvokeRequest, { timeoutMs }: { timeoutMs: number }): Promise<InvokeResponse> {
    if (this.dead) throw new InvocationFailed('start-failed', `instance ${this.id} is gone: ${this.dead}`);
    // The callback onCancel does not cross processes: a cancel message does.
    // A cancelled request's work can only be stopped with its isolate: when it is the instance's
    // only request the instance goes (marked dead here, so the pool replaces it at once); with
    // others in flight it runs on under its CPU limit and timeout, unanswered.
    const onAbort = (rid: number): ToHost => {
      const kill = this.inflight === 1;
      if (kill) this.dead ??= 'cancelled: its only request lost its client';
      return { t: 'cancel', rid, id: this.id, kill };
    };
    this.inflight++;
    let out: WireResponse;
    try {
      out = await this.host.invoke<WireResponse>(this.fn, this.id, req, timeoutMs, req.onCancel, onAbort);
    } finally {
      this.inflight--;
    }
    const { sid, ws } = out;
    if (sid === undefined && ws === undefined) return out; // a whole answer: nothing to take off
    const res: InvokeResponse = { status: out.status, headers: out.headers, body: out.body };
    if (out.statusText !== undefined) res.statusText = out.statusText;
    if (sid) res.stream = this.stream(sid);
    if (ws) res.webSocket = this.socket(ws);
    return res;
  }

  private opened(): () => void {
    this.open++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.open === 0) for (const r of this.idle.splice(0)) r();
    };
  }

  private stream(sid: number): BodyStream {
    const closed = this.opened();
    return {
      read: async () => {
        try {
          const c = await this.host.call<Uint8Array | null>(this.fn, { t: 'sread', id: this.id, sid });
          if (!c) closed();
          return c;
        } catch (e) {
          closed();
          throw e;
        }
      },
      cancel: (reason) => {
        closed();
        this.host.notify({ t: 'scancel', id: this.id, sid, reason });
      },
    };
  }

  private socket(sid: number): FunctionSocket {
    const key = `${this.id}/${sid}`;
    const closed = this.opened();
    // Frames the function sends before the gateway attaches wait here.
    const early: Array<(p: SocketPeer) => void> = this.host.unclaimed.get(key) ?? [];
    this.host.unclaimed.delete(key);
    this.host.peers.set(key, { send: (d) => void early.push((p) => p.send(d)), close: (c, r) => void early.push((p) => p.close(c, r)) });
    return {
      attach: (peer) => {
        const p: SocketPeer = { send: (d) => peer.send(d), close: (code, reason) => (closed(), peer.close(code, reason)) };
        this.host.peers.set(key, p);
        for (const f of early.splice(0)) f(p);
      },
      message: (data) => this.host.call<void>(this.fn, { t: 'wsin', id: this.id, sid, data }),
      close: (code, reason) => {
        closed();
        this.host.peers.delete(key);
        this.host.notify({ t: 'wsclose', id: this.id, sid, code, reason });
      },
    };
  }

  async memoryBytes(): Promise<number> {
    if (this.dead) return 0;
    return this.host.call<number>(this.fn, { t: 'mem', id: this.id }).catch(() => 0);
  }

  async dispose(reason: string): Promise<void> {
    // Reaped while idle: open WebSockets and streams keep the instance, up to 15 minutes.
    if (reason.startsWith('idle') && this.open && !this.dead) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((r) => this.idle.push(r)), new Promise<void>((r) => (t = setTimeout(r, 15 * 60_000)))]);
      clearTimeout(t);
    }
    this.host.forget(this.id);
    const wasDead = this.dead;
    this.dead ??= reason;
    if (!wasDead) await this.host.call(this.fn, { t: 'dispose', id: this.id, reason }).catch(() => undefined);
  }
}
