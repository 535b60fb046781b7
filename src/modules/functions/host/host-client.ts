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
