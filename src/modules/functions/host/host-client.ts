// The daemon's side of a function-host process (host-main.ts): forks it with a bare environment
// (no API token, no other tenant's secrets), puts it in its own cgroup, and speaks the protocol.
// When the process dies, every in-flight request of it fails with 502 host-crashed naming the
// cause, its instances are marked dead (the pools replace them) and the next start forks a new one.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { InvocationFailed, type FailureReason } from '../failures.js';
import type { InvokeRequest, SocketPeer } from '../runtime/instance.js';
import { joinCgroup, removeCgroup, type HostLimits } from './cgroup.js';
import type { FromHost, HostCall, StartSpec, ToHost } from './protocol.js';
import { RemoteInstance } from './remote-instance.js';
import { encodeInvoke } from './fast-frames.js';
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
  /** Ended unasked (not by close()); the hosts may replace it with a pre-spawned one. */
  crashed = false;
  /** The move of the process into its first cgroup (a claim moves it on only after). */
  private joined: Promise<void> = Promise.resolve();
  /** The pre-spawned name whose cgroup is left to remove if the process ends during its move. */
  private formerKey?: string;
  private removed: Promise<void> = Promise.resolve();
  /** Process ids this host ran, oldest first (for tests and `inspect`). */
  readonly pids: number[] = [];

  constructor(private o: HostOptions) {}

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
    this.joined = (async () => {
      try {
        if (proc.pid) await joinCgroup(this.o.tag, this.o.key, proc.pid, this.o.limits);
      } catch (e) {
        this.o.warn(`function host ${this.o.key} runs without its own cgroup: ${(e as Error).message}`);
      }
    })();
    return (async () => {
      await this.joined;
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
    const former = this.formerKey;
    this.removed = Promise.all([removeCgroup(this.o.tag, this.o.key), former && removeCgroup(this.o.tag, former)]).then(() => undefined).catch((e: Error) => this.o.warn(`function host ${this.o.key}: cgroup not removed: ${e.message}`));
    if (!this.closing) {
      this.crashed = true;
      this.o.onCrash(this.o.key, why);
    }
  }

  /** Whether the process is started, or starting, and was not ended (a pre-spawned host that can be claimed). */
  get usable(): boolean {
    return !!this.proc && !this.closing && !this.crashed;
  }

  /** Starts the process now, before any call (a pre-spawned host). */
  prespawn(): Promise<void> {
    if (!this.proc) this.ready = this.spawn();
    return this.ready!;
  }

  /**
   * A pre-spawned host is claimed for `key`: its process moves to that key's cgroup (the same
   * limits; charges move with it where the kernel can) before any call reaches it, and takes the name.
   */
  claim(key: string, after: Promise<void>): void {
    const was = this.o.key;
    const pid = this.proc!.pid!;
    this.o = { ...this.o, key };
    this.formerKey = was;
    const moved = (async () => {
      await after; // the cgroup of a crashed host of this key is removed first
      await this.joined;
      await joinCgroup(this.o.tag, key, pid, this.o.limits, true);
      await removeCgroup(this.o.tag, was);
      this.formerKey = undefined;
    })().catch((e: Error) => this.o.warn(`function host ${key} (pre-spawned as ${was}) keeps its cgroup: ${e.message}`));
    this.ready = Promise.all([this.ready, moved]).then(() => undefined);
  }

  /** The cgroup removal after the process ended (a replacement for this key waits for it). */
  get gone(): Promise<void> {
    return this.removed;
  }

  /** Replaced by another host for its key after a crash: it never spawns again. */
  retire(): void {
    this.closing = true;
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
  call<T>(fn: string, m: HostCall, onCancel?: InvokeRequest['onCancel'], cancel?: (rid: number) => ToHost): Promise<T> {
    return this.request<T>(fn, (rid) => this.post({ ...m, rid } as ToHost), onCancel, cancel);
  }

  /** An invoke, framed from its parts (fast-frames.ts) when it can be: the warm path's message. */
  invoke<T>(fn: string, id: string, req: InvokeRequest, timeoutMs: number, onCancel?: InvokeRequest['onCancel'], cancel?: (rid: number) => ToHost): Promise<T> {
    return this.request<T>(
      fn,
      (rid) => {
        const frame = this.wire && encodeInvoke(rid, id, timeoutMs, req.method, req.url, req.headers, req.body);
        if (frame) this.wire!.sendFrame(frame);
        else this.post({ t: 'invoke', rid, id, timeoutMs, req: { method: req.method, url: req.url, headers: req.headers, body: req.body } });
      },
      onCancel,
      cancel,
    );
  }

  private async request<T>(fn: string, send: (rid: number) => void, onCancel?: InvokeRequest['onCancel'], cancel?: (rid: number) => ToHost): Promise<T> {
    if (this.crashed && this.closing) throw new InvocationFailed('host-crashed', `function host ${this.o.key} ended and was replaced`);
    if (this.closing) throw new InvocationFailed('shutting-down', `function host ${this.o.key} is stopping`);
    if (!this.proc) {
      this.crashed = false;
      this.ready = this.spawn();
    }
    await this.ready;
    const rid = ++this.rid;
    return new Promise<T>((resolve, reject) => {
      if (!onCancel) {
        this.pending.set(rid, { resolve: resolve as (v: unknown) => void, reject, fn });
        return send(rid);
      }
      let off = (): void => undefined;
      const settle = <V>(f: (v: V) => void) => (v: V) => {
        off();
        f(v);
      };
      this.pending.set(rid, { resolve: settle(resolve as (v: unknown) => void), reject: settle(reject), fn });
      send(rid);
      off = onCancel(() => {
        if (!this.pending.delete(rid)) return;
        if (cancel) this.post(cancel(rid));
        reject(new InvocationFailed('timeout', `function ${fn}: the client closed the connection; the request was cancelled`));
      });
    });
  }

  /**
   * Starts an instance. `pipelined`: it is handed over at once, its `ready` settling with the start,
   * so its first invoke goes out in the same write as the start (a round trip less on a cold start).
   */
  async start(spec: StartSpec, pipelined = false): Promise<RemoteInstance> {
    const confirmed = this.call<void>(spec.functionName, { t: 'start', spec });
    if (!pipelined) await confirmed;
    const inst = new RemoteInstance(this, spec.id, spec.functionName, pipelined ? confirmed : undefined);
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
