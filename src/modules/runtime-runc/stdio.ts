// A stdio session over a helper process: the relay (conmon's attach socket, or a pty from a
// console socket) speaking Docker frames on its stdout, or a plain `runc exec` with pipes. The
// process can be bound late: a client attaches to a created container before it starts, and
// input written before then is kept until the relay is connected.
import type { ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type { StdioChunk, StdioEnd, StdioSession } from '../../contracts/containers.js';
import { DetachScanner } from './detach-keys.js';

/** Frame stream numbers the relay writes: 1 stdout, 2 stderr, 9 connected. */
const CONNECTED = 9;

export interface SessionOptions {
  tty: boolean;
  stdin: boolean;
  detachKeys: Buffer;
  resize?: (rows: number, cols: number) => Promise<void>;
  /** Exit code of the session's process from the helper's exit status (exec); attach has none. */
  exitCode?: (code: number | null, signal: NodeJS.Signals | null, stderr: string) => { exitCode: number; message?: string };
  onClose?: () => void;
}

export class ProcessSession implements StdioSession {
  readonly tty: boolean;
  readonly done: Promise<StdioEnd>;
  private readonly out = new PassThrough({ objectMode: true });
  private readonly scanner: DetachScanner;
  private child?: ChildProcess;
  private pending: Buffer[] = [];
  private stdinEnded = false;
  private detached = false;
  private closed = false;
  private finish!: (e: StdioEnd) => void;
  private connectedCb?: (err?: Error) => void;

  constructor(private readonly o: SessionOptions) {
    this.tty = o.tty;
    this.scanner = new DetachScanner(o.detachKeys);
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  get output(): AsyncIterable<StdioChunk> {
    return this.out;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Binds the helper; resolves once it is connected (framed helpers say so; pipes at once). */
  bind(child: ChildProcess, framed: boolean): Promise<void> {
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
    child.stdin?.on('error', () => undefined); // the process may end before reading all input
    const connected = new Promise<void>((resolve, reject) => (this.connectedCb = (err) => (err ? reject(err) : resolve())));
    if (framed) this.readFrames(child);
    else {
      child.stdout?.on('data', (d: Buffer) => this.push({ stream: 'stdout', data: d }));
      child.stderr?.on('data', (d: Buffer) => this.push({ stream: 'stderr', data: d }));
      this.connected();
    }
    child.on('error', (e) => this.connectedCb?.(e));
    child.on('close', (code, signal) => {
      // An exec that could not start still ends with a code (127 for a missing command); an attach fails.
      if (this.o.exitCode) this.connectedCb?.();
      else this.connectedCb?.(new Error(stderr.trim().split('\n').at(-1) || `relay exited (${code ?? signal})`));
      let end: StdioEnd = {};
      if (this.detached) end = { detached: true };
      else if (this.o.exitCode) {
        const r = this.o.exitCode(code, signal, stderr);
        if (r.message) this.push({ stream: 'stderr', data: Buffer.from(r.message + '\n') });
        end = { exitCode: r.exitCode };
      }
      this.out.end();
      this.closed = true;
      this.o.onClose?.();
      this.finish(end);
    });
    return connected;
  }

  private connected(): void {
    const cb = this.connectedCb;
    this.connectedCb = undefined;
    cb?.();
    for (const b of this.pending) this.child?.stdin?.write(b);
    this.pending = [];
    if (this.stdinEnded) this.child?.stdin?.end();
  }

  private readFrames(child: ChildProcess): void {
    let buf: Buffer = Buffer.alloc(0);
    child.stdout?.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 8) {
        const n = buf.readUInt32BE(4);
        if (buf.length < 8 + n) break;
        const kind = buf[0];
        const data = buf.subarray(8, 8 + n);
        buf = buf.subarray(8 + n);
        if (kind === CONNECTED) this.connected();
        else if (n) this.push({ stream: kind === 2 ? 'stderr' : 'stdout', data: Buffer.from(data) });
      }
    });
  }

  private push(c: StdioChunk): void {
    if (!this.out.writableEnded) this.out.write(c);
  }

  write(data: Buffer): void {
    if (!this.o.stdin || this.stdinEnded || this.closed) return;
    const { pass, detached } = this.scanner.push(data);
    if (pass.length) {
      if (this.child && !this.connectedCb) this.child.stdin?.write(pass);
      else this.pending.push(pass);
    }
    if (detached) this.close();
  }

  closeStdin(): void {
    if (this.stdinEnded) return;
    this.stdinEnded = true;
    if (this.child && !this.connectedCb) this.child.stdin?.end();
  }

  async resize(rows: number, cols: number): Promise<void> {
    await this.o.resize?.(rows, cols);
  }

  /** Detach: the helper goes, the process stays. */
  close(): void {
    if (this.closed) return;
    this.detached = true;
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      return;
    }
    if (!this.child) {
      this.closed = true;
      this.out.end();
      this.o.onClose?.();
      this.finish({ detached: true });
    }
  }
}
