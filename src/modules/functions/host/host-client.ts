// The daemon's side of a function-host process (host-main.ts): forks it with a bare environment
// (no API token, no other tenant's secrets), puts it in its own cgroup, and speaks the protocol.
// When the process dies, every in-flight request of it fails with 502 host-crashed naming the
// cause, its instances are marked dead (the pools replace them) and the next start forks a new one.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { InvocationFailed, type FailureReason } from '../failures.js';
import type { BodyStream, FunctionSocket, Instance, InvokeRequest, InvokeResponse, SocketPeer } from '../runtime/instance.js';
import { joinCgroup, removeCgroup, type HostLimits } from './cgroup.js';
import type { FromHost, HostCall, StartSpec, ToHost, WireResponse } from './protocol.js';
import { Wire } from './wire.js';

/** host-main.js beside this file (tsc output) or under dist/src when running from the bundle. */
export function hostEntry(): string | undefined {
  for (const rel of ['./host-main.js', './src/modules/functions/host/host-main.js']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Node's flags for a host: isolated-vm wants no start-up snapshot; LLMOS_HOST_EXEC_ARGV adds more (profiling). */
function nodeArgs(): string[] {
  return ['--no-node-snapshot', ...(process.env.LLMOS_HOST_EXEC_ARGV ?? '').split(' ').filter(Boolean)];
}

/** The seccomp launcher (native/seccomp-exec.c) built into dist/native, if it was built. */
export function launcherPath(): string | undefined {
  for (const rel of ['../../../../native/seccomp-exec', './native/seccomp-exec']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

export interface HostOptions {
  key: string;
  /** The seccomp launcher the process is spawned through; undefined: none (warned at boot). */
  launcher?: string;
  tag: string;
  entry: string;
  limits: HostLimits;
  spares: number;
  sparesMb: number[];
  onLog(fn: string, id: string, level: string, text: string): void;
  /** Serves a KV operation of function `fn`. */
  kv(fn: string, binding: string, op: string, args: Record<string, unknown>): Promise<unknown>;
  /** Told when the process ended unasked (for the logs and events). */
  onCrash(key: string, why: string): void;
  warn(text: string): void;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  fn: string;
}

export class FunctionHost {
  private proc?: ChildProcess;
  private wire?: Wire<FromHost, ToHost>;
  private ready?: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private readonly live = new Map<string, RemoteInstance>();
  /** The callers' ends of open WebSockets, by "instance/sid". */
  readonly peers = new Map<string, SocketPeer>();
  /** Frames that came before their socket's answer was handled (several IPC messages can land in one turn). */
  readonly unclaimed = new Map<string, Array<(p: SocketPeer) => void>>();
  private rid = 0;
  private closing = false;
  private removed: Promise<void> = Promise.resolve();
  /** Process ids this host ran, oldest first (for tests and `inspect`). */
  readonly pids: number[] = [];

  constructor(private readonly o: HostOptions) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  private spawn(): Promise<void> {
    // The last argument names the host (as its cgroup): for `ps`, and for the tests' leak checker.
    const node = [...nodeArgs(), this.o.entry, `llmos-functions/${this.o.tag}/${this.o.key}`];
    // Through the seccomp launcher when built (spawn, not fork, so the launcher can exec node).
    const proc = spawn(this.o.launcher ?? process.execPath, this.o.launcher ? [process.execPath, ...node] : node, {
      // A bare environment: the daemon's variables (tokens, LLMOS_*) stay in the daemon.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production' },
      // fd 3: the socketpair the protocol's frames travel on (wire.ts).
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    const sock = proc.stdio[3] as Duplex;
    sock.on('error', () => undefined); // the host died: its 'exit' reports why
    let stderr = '';
    proc.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    const ready = new Promise<void>((resolve, reject) => {
      proc.once('error', reject);
      this.wire = new Wire<FromHost, ToHost>(
        sock,
        (m) => (m.t === 'ready' ? resolve() : this.onMessage(m)),
        (why) => {
          this.o.warn(`function host ${this.o.key} sent ${why}: killed`);
          proc.kill('SIGKILL');
        },
      );
      proc.once('exit', (code, signal) => {
        const why = signal ? `killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory in its cgroup, or killed)' : ''}` : `exited with code ${code}`;
        const tail = stderr.trim().split('\n').slice(-1)[0];
        this.onExit(proc, `function host ${this.o.key} ${why}${tail ? `: ${tail.slice(0, 300)}` : ''}`);
        reject(new InvocationFailed('host-crashed', `function host ${this.o.key} ${why} while starting`));
      });
    });
    if (proc.pid) this.pids.push(proc.pid);
    return (async () => {
      try {
        if (proc.pid) await joinCgroup(this.o.tag, this.o.key, proc.pid, this.o.limits);
      } catch (e) {
        this.o.warn(`function host ${this.o.key} runs without its own cgroup: ${(e as Error).message}`);
      }
      await ready;
      this.post({ t: 'spares', n: this.o.spares, sizesMb: this.o.sparesMb });
    })();
  }

  private onExit(proc: ChildProcess, why: string): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    this.wire = undefined;
    this.ready = undefined;
    for (const [rid, p] of this.pending) {
      this.pending.delete(rid);
      p.reject(new InvocationFailed('host-crashed', `function ${p.fn}: ${why}; the request was lost`));
    }
    for (const inst of this.live.values()) inst.dead ??= why;
    for (const p of this.peers.values()) p.close(1011, 'the function host ended');
    this.peers.clear();
    this.live.clear();
    this.removed = removeCgroup(this.o.tag, this.o.key).catch((e: Error) => this.o.warn(`function host ${this.o.key}: cgroup not removed: ${e.message}`));
    if (!this.closing) this.o.onCrash(this.o.key, why);
  }

  private onMessage(m: FromHost): void {
    switch (m.t) {
      case 'log':
        return this.o.onLog(m.fn, m.id, m.level, m.text);
      case 'kv':
        return void this.o.kv(m.fn, m.binding, m.op, m.args).then(
          (res) => this.post({ t: 'kvres', kid: m.kid, err: '', res }),
          (e: Error) => this.post({ t: 'kvres', kid: m.kid, err: e?.message || String(e), res: null }),
        );
      case 'wsout': {
        const key = `${m.id}/${m.sid}`;
        const data = m.data;
        const f = (p: SocketPeer) => (m.op === 'send' && data !== null ? p.send(data) : p.close(m.code, m.reason));
        const p = this.peers.get(key);
        if (p) return f(p);
        const list = this.unclaimed.get(key) ?? [];
        if (list.length < 64 && (list.length || this.unclaimed.size < 256)) this.unclaimed.set(key, [...list, f]);
        return;
      }
      case 'dead': {
        const inst = this.live.get(m.id);
        if (inst) inst.dead ??= m.reason;
        return;
      }
      case 'ok':
      case 'err': {
        const p = this.pending.get(m.rid);
        if (!p) return;
        this.pending.delete(m.rid);
        if (m.t === 'ok') p.resolve(m.value);
        else p.reject(new InvocationFailed(m.reason as FailureReason, m.message));
      }
    }
  }

  /** A message that needs no answer (stream cancel, socket close). */
  notify(m: ToHost): void {
    this.post(m);
  }

  private post(m: ToHost): void {
    this.wire?.send(m);
  }

  /**
   * Sends a request and waits for its answer; a host that dies meanwhile rejects it (host-crashed).
   * `onCancel` (invokes): when the caller goes first, the answer is no longer awaited and the host
   * is sent the message `cancel` returns.
   */
  async call<T>(fn: string, m: HostCall, onCancel?: InvokeRequest['onCancel'], cancel?: (rid: number) => ToHost): Promise<T> {
    if (this.closing) throw new InvocationFailed('shutting-down', `function host ${this.o.key} is stopping`);
    if (!this.proc) this.ready = this.spawn();
    await this.ready;
    const rid = ++this.rid;
    return new Promise<T>((resolve, reject) => {
      if (!onCancel) {
        this.pending.set(rid, { resolve: resolve as (v: unknown) => void, reject, fn });
        return this.post({ ...m, rid } as ToHost);
      }
      let off = (): void => undefined;
      const settle = <V>(f: (v: V) => void) => (v: V) => {
        off();
        f(v);
      };
      this.pending.set(rid, { resolve: settle(resolve as (v: unknown) => void), reject: settle(reject), fn });
      this.post({ ...m, rid } as ToHost);
      off = onCancel(() => {
        if (!this.pending.delete(rid)) return;
        if (cancel) this.post(cancel(rid));
        reject(new InvocationFailed('timeout', `function ${fn}: the client closed the connection; the request was cancelled`));
      });
    });
  }

  async start(spec: StartSpec): Promise<RemoteInstance> {
    await this.call(spec.functionName, { t: 'start', spec });
    const inst = new RemoteInstance(this, spec.id, spec.functionName);
    this.live.set(spec.id, inst);
    return inst;
  }

  forget(id: string): void {
    this.live.delete(id);
  }

  /** Instances living in this host now. */
  get instances(): number {
    return this.live.size;
  }

  /** Ends the process (SIGKILL after a grace period) and removes its cgroup. */
  async close(): Promise<void> {
    this.closing = true;
    const proc = this.proc;
    if (proc) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
    }
    await this.removed;
  }
}

/** An isolate instance living in a function host. */
export class RemoteInstance implements Instance {
  dead: string | undefined;
  /** Streams and sockets still open (they keep an idle instance: see dispose). */
  private open = 0;
  private idle: Array<() => void> = [];
  constructor(private readonly host: FunctionHost, readonly id: string, private readonly fn: string) {}

  private inflight = 0;

  async invoke(req: InvokeRequest, { timeoutMs }: { timeoutMs: number }): Promise<InvokeResponse> {
    if (this.dead) throw new InvocationFailed('start-failed', `instance ${this.id} is gone: ${this.dead}`);
    const { onCancel, ...wire } = req; // a callback does not cross processes: a cancel message does
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
      out = await this.host.call<WireResponse>(this.fn, { t: 'invoke', id: this.id, req: wire, timeoutMs }, onCancel, onAbort);
    } finally {
      this.inflight--;
    }
    const { sid, ws, ...rest } = out;
    const res: InvokeResponse = rest;
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
