// Terminals and stdin: attach to a container through conmon's attach socket (SOCK_SEQPACKET,
// one stream byte before each output packet, stdin as packets; half-closing ends the process's
// stdin unless conmon was told to leave it open), resize through conmon's `ctl` fifo ("1 H W"),
// and interactive exec (`runc exec` with pipes, or with a pty from the relay's console socket).
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { ConsoleResizer } from './console-ctl.js';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { AttachOptions, ExecStdioOptions, StdioSession } from '../../contracts/containers.js';
import { FailedPrecondition, InvalidArgument } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import type { ContainersDeps } from './core.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from './detach-keys.js';
import type { Entry } from './entries.js';
import { execFailureCode } from './lifecycle.js';
import { relayBinary } from './relay.js';
import { readFileInRoot } from './rootfs-files.js';
import { runcMessage } from './runc.js';
import { resolveUser } from './spec.js';
import { ProcessSession } from './stdio.js';

const CONNECT_TIMEOUT_MS = 10_000;

function checkSize(rows: number, cols: number): void {
  for (const [n, v] of [['rows', rows], ['cols', cols]] as const) if (!Number.isInteger(v) || v < 0 || v > 65535) throw new InvalidArgument(`terminal ${n} must be an integer from 0 to 65535, not ${v}`);
}

export class StdioAttacher {
  /** Sessions waiting for their container's start, by container id. */
  private readonly waiting = new Map<string, Set<ProcessSession>>();
  private readonly sizes = new Map<string, { rows: number; cols: number }>();
  private readonly resizer = new ConsoleResizer();

  constructor(private readonly d: ContainersDeps) {}

  private relay(): Promise<string> {
    return relayBinary(path.join(path.dirname(this.d.runc.o.socketDir), 'bin'));
  }

  async attach(e: Entry, opts: AttachOptions = {}): Promise<StdioSession> {
    const spec = e.rec.spec;
    const id = e.rec.id;
    await this.relay(); // a missing gcc fails here, before any 101
    const session: ProcessSession = new ProcessSession({
      tty: !!spec.tty,
      // Docker ignores stdin for a container created without -i.
      stdin: !!opts.stdin && !!spec.openStdin,
      // As Docker, detach keys apply only with a TTY (a pipe carries arbitrary bytes).
      detachKeys: spec.tty ? parseDetachKeys(opts.detachKeys ?? DEFAULT_DETACH_KEYS) : Buffer.alloc(0),
      resize: (r, c) => this.resize(e, r, c),
      onClose: () => this.waiting.get(id)?.delete(session),
    });
    if (e.rec.state === 'running') await this.connect(id, session);
    else {
      let set = this.waiting.get(id);
      if (!set) this.waiting.set(id, (set = new Set()));
      set.add(session);
    }
    return session;
  }

  private async connect(id: string, session: ProcessSession): Promise<void> {
    const bin = await this.relay();
    faultPoint('containers.attach.relay');
    const child = spawn(bin, ['attach', path.join(this.d.runc.o.socketDir, id, 'attach')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([session.bind(child, true), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), CONNECT_TIMEOUT_MS)))]);
    } catch (err) {
      child.kill('SIGKILL');
      throw new FailedPrecondition(`cannot attach to container ${id.slice(0, 12)}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Between runc create and start: connect every waiting client, and apply a size given before the start. */
  async beforeStart(id: string): Promise<void> {
    const set = this.waiting.get(id);
    this.waiting.delete(id);
    const size = this.sizes.get(id);
    this.sizes.delete(id);
    if (size) await this.writeCtl(id, size.rows, size.cols).catch((err) => this.d.log.warn({ err }, `initial resize of ${id}`));
    for (const s of set ?? []) {
      if (s.isClosed) continue;
      await this.connect(id, s).catch((err) => {
        this.d.log.warn({ err }, `attach to ${id} at start`);
        s.close();
      });
    }
  }

  async resize(e: Entry, rows: number, cols: number): Promise<void> {
    checkSize(rows, cols);
    if (!e.rec.spec.tty) return; // Docker ignores a resize without a TTY
    if (e.rec.state !== 'running') {
      this.sizes.set(e.rec.id, { rows, cols });
      return;
    }
    await this.writeCtl(e.rec.id, rows, cols);
  }

  private writeCtl(id: string, rows: number, cols: number): Promise<void> {
    return this.resizer.resize(id, path.join(this.d.store.dir(id), 'ctl'), rows, cols);
  }

  async exec(e: Entry, cmd: string[], opts: ExecStdioOptions = {}): Promise<StdioSession> {
    if (!cmd.length) throw new InvalidArgument('exec needs a command');
    if (e.rec.state !== 'running') throw new FailedPrecondition(`container ${e.rec.name} is not running`);
    const detachKeys = opts.tty ? parseDetachKeys(opts.detachKeys ?? DEFAULT_DETACH_KEYS) : Buffer.alloc(0);
    const o = this.d.runc.o;
    const args = ['--root', o.root, 'exec'];
    for (const [k, v] of Object.entries(opts.env ?? {})) args.push('--env', `${k}=${v}`);
    if (opts.tty && !Object.keys(opts.env ?? {}).includes('TERM')) args.push('--env', 'TERM=xterm');
    if (e.rec.paused) throw new FailedPrecondition(`container ${e.rec.name} is paused: unpause it first`);
    if (opts.workingDir !== undefined && !opts.workingDir.startsWith('/')) throw new InvalidArgument(`working directory ${opts.workingDir} must be absolute`);
    if (opts.workingDir) args.push('--cwd', opts.workingDir);
    if (opts.user !== undefined) {
      // Names resolve in the image's own files, confined to its root (as control.ts's exec).
      const [passwd, group] = await Promise.all(['etc/passwd', 'etc/group'].map((f) => readFileInRoot(e.rec.rootfs, f)));
      const u = resolveUser(opts.user, passwd, group);
      args.push('--user', `${u.uid}:${u.gid}`);
    }
    const exitCode = (code: number | null, signal: NodeJS.Signals | null, stderr: string) => {
      // runc's own failure (no such executable) is a logrus line; Docker answers 126/127 with a message.
      if (code !== 0 && /level=(error|fatal)/.test(stderr)) {
        const m = runcMessage(stderr);
        return { exitCode: execFailureCode(`exec: ${m}`) ?? (/exec failed|executable file not found|no such file/.test(m) ? 127 : 126), message: m };
      }
      return { exitCode: code ?? (signal === 'SIGKILL' ? 137 : 128) };
    };
    faultPoint('containers.exec-stdio.spawn');
    if (!opts.tty) {
      const session = new ProcessSession({ tty: false, stdin: !!opts.stdin, detachKeys, exitCode });
      const child = spawn(o.runc, [...args, e.rec.id, ...cmd], { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
      await session.bind(child, false);
      return session;
    }
    const tag = randomBytes(6).toString('hex');
    const sock = path.join(o.socketDir, `exec-${tag}.sock`);
    const pidFile = path.join(o.socketDir, `exec-${tag}.pid`);
    const bin = await this.relay();
    const child = spawn(bin, ['console', sock, pidFile, '--', o.runc, ...args, '-d', '-t', '--console-socket', sock, '--pid-file', pidFile, e.rec.id, ...cmd], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    // fd 3 carries "ROWS COLS" lines; the relay sets them on the pty master.
    const ctl = child.stdio[3] as NodeJS.WritableStream;
    ctl.on('error', () => undefined);
    const resize = async (r: number, c: number) => {
      checkSize(r, c);
      ctl.write(`${r} ${c}\n`);
    };
    const session = new ProcessSession({ tty: true, stdin: !!opts.stdin, detachKeys, exitCode, resize });
    child.on('close', () => void rm(pidFile, { force: true }).catch(() => undefined));
    await session.bind(child, true);
    return session;
  }
}
