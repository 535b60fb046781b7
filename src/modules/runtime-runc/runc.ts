// The OCI runtime driver: runc for the container operations, conmon as each container's
// supervisor (it holds stdio, writes the Kubernetes-format log and the exit file, and outlives
// the daemon). conmon reports the container pid, or runc's error, on a sync pipe (_OCI_SYNCPIPE).
import { execFile, spawn } from 'node:child_process';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { FailedPrecondition, Internal, NotFound } from '../../kernel/errors.js';

export interface RuncOptions {
  runc: string;
  conmon: string;
  /** runc's state directory (--root). */
  root: string;
  exitDir: string;
  socketDir: string;
  /** conmon truncates a log that grows past this many bytes. */
  logSizeMax?: number;
}

export interface RuncState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
}

/** runc prints logrus lines; keep only the message. */
export function runcMessage(text: string): string {
  const msgs = [...text.matchAll(/msg="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
  const msg = (msgs.length ? msgs.join(': ') : text).trim().split('\n').filter(Boolean).at(-1) ?? text.trim();
  return msg.replace(/^runc (create|run) failed: /, '').replace(/^unable to start container process: /, '');
}

/** conmon's terminal (-t: runc hands it the pty master) and stdin pipe (-i) flags; stdin stays open across attaches unless stdinOnce. */
export function conmonStdioArgs(o: { tty?: boolean; openStdin?: boolean; stdinOnce?: boolean } = {}): string[] {
  // With a TTY a client's end (a detach) never closes stdin, as in Docker.
  return [...(o.tty ? ['-t'] : []), ...(o.openStdin ? ['-i', ...(o.stdinOnce && !o.tty ? [] : ['--leave-stdin-open'])] : [])];
}

export class Runc {
  constructor(readonly o: RuncOptions) {}

  async init(): Promise<void> {
    await Promise.all([mkdir(this.o.root, { recursive: true, mode: 0o700 }), mkdir(this.o.exitDir, { recursive: true }), mkdir(this.o.socketDir, { recursive: true })]);
  }

  private run(args: string[], timeoutMs = 30_000): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      execFile(this.o.runc, ['--root', this.o.root, ...args], { timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
        if (err) reject(Object.assign(new Error(runcMessage(stderr || err.message)), { stderr }));
        else resolve({ stdout, stderr });
      });
    });
  }

  /** Creates the container under a new conmon; resolves with the container's pid once runc create is done. */
  create(id: string, f: { bundle: string; logPath: string; pidFile: string; conmonPidFile: string; stdio?: { tty?: boolean; openStdin?: boolean; stdinOnce?: boolean } }): Promise<number> {
    const args = [...conmonStdioArgs(f.stdio), '-c', id, '-u', id, '-r', this.o.runc, '-b', f.bundle, '-p', f.pidFile, '-P', f.conmonPidFile, '-l', `k8s-file:${f.logPath}`, '--exit-dir', this.o.exitDir, '--socket-dir-path', this.o.socketDir, '--runtime-arg', `--root=${this.o.root}`, '--log-level', 'error'];
    if (this.o.logSizeMax) args.push('--log-size-max', String(this.o.logSizeMax));
    return new Promise((resolve, reject) => {
      const p = spawn(this.o.conmon, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: { ...process.env, _OCI_SYNCPIPE: '3' }, detached: true });
      let sync = '';
      let stderr = '';
      let settled = false;
      const done = (err: Error | null, pid?: number) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // The sync pipe stays open until the container exits; we only needed its first message.
        p.stdio[3]?.destroy();
        p.stderr?.destroy();
        if (err) reject(err);
        else resolve(pid!);
      };
      const timer = setTimeout(() => done(new Internal(`conmon did not report container ${id} within 30 s`)), 30_000);
      p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const pipe = p.stdio[3] as NodeJS.ReadableStream;
      pipe.on('data', (d: Buffer) => {
        sync += d.toString();
        const nl = sync.indexOf('\n');
        if (nl < 0) return;
        try {
          const msg = JSON.parse(sync.slice(0, nl)) as { pid?: number; data?: number; message?: string };
          const pid = msg.pid ?? msg.data ?? -1;
          if (pid > 0) done(null, pid);
          else done(new FailedPrecondition(runcMessage(msg.message ?? 'runc create failed')));
        } catch (e) {
          done(new Internal(`conmon sent an unreadable sync message: ${sync.slice(0, nl)}`, { cause: e }));
        }
      });
      pipe.on('end', () => done(new Internal(`conmon exited before creating ${id}${stderr ? `: ${stderr.trim()}` : ''}`)));
      p.on('error', (e) => done(new Internal(`cannot run conmon: ${e.message}`)));
      p.unref();
    });
  }

  /** Whether runc holds state for the container (a stat, not an exec). */
  async known(id: string): Promise<boolean> {
    try {
      await access(path.join(this.o.root, id, 'state.json'));
      return true;
    } catch {
      return false;
    }
  }

  async start(id: string): Promise<void> {
    try {
      await this.run(['start', id]);
    } catch (e) {
      throw new FailedPrecondition((e as Error).message);
    }
  }

  async state(id: string): Promise<RuncState | undefined> {
    try {
      return JSON.parse((await this.run(['state', id], 10_000)).stdout) as RuncState;
    } catch (e) {
      if (/does not exist|not exist|no such/i.test((e as Error).message)) return undefined;
      throw new Internal(`runc state ${id}: ${(e as Error).message}`);
    }
  }

  async kill(id: string, signal: string, all = false): Promise<void> {
    try {
      await this.run(['kill', ...(all ? ['--all'] : []), id, signal], 10_000);
    } catch (e) {
      const m = (e as Error).message;
      if (/does not exist/.test(m)) throw new NotFound(`container ${id} is not known to runc`);
      if (/not running|process already finished|container not running/i.test(m)) return;
      throw new FailedPrecondition(`runc kill: ${m}`);
    }
  }

  /** Deletes runc's state (and the cgroup); with force it kills a running container first. */
  async delete(id: string, force = false): Promise<void> {
    try {
      await this.run(['delete', ...(force ? ['--force'] : []), id], 15_000);
    } catch (e) {
      if (/does not exist|not exist/.test((e as Error).message)) return;
      throw new Internal(`runc delete ${id}: ${(e as Error).message}`);
    }
  }

  async list(): Promise<RuncState[]> {
    const { stdout } = await this.run(['list', '--format', 'json'], 10_000);
    return (JSON.parse(stdout || 'null') as RuncState[] | null) ?? [];
  }

  /** Freezes every process of the container (the freezer cgroup). */
  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }

  /** Changes the cgroup limits of a running container. */
  async update(id: string, r: { memory?: number; memorySwap?: number; cpuQuota?: number; cpuPeriod?: number; pidsLimit?: number; cpuShares?: number }): Promise<void> {
    const args = ['update'];
    if (r.memory !== undefined) args.push('--memory', String(r.memory), '--memory-swap', String(r.memorySwap ?? r.memory));
    if (r.cpuQuota !== undefined) args.push('--cpu-quota', String(r.cpuQuota), '--cpu-period', String(r.cpuPeriod ?? 100_000));
    if (r.pidsLimit !== undefined) args.push('--pids-limit', String(r.pidsLimit));
    if (r.cpuShares !== undefined) args.push('--cpu-share', String(r.cpuShares));
    await this.run([...args, id]);
  }

  /** Host pids of the container's processes. */
  async pids(id: string): Promise<number[]> {
    const { stdout } = await this.run(['ps', '--format', 'json', id], 10_000);
    return (JSON.parse(stdout || '[]') as number[] | null) ?? [];
  }

  /** Runs a process in the container with the container's user, capabilities and seccomp profile. */
  exec(id: string, cmd: string[], opts: { env?: Record<string, string>; timeoutMs?: number; cwd?: string; user?: string; /** Where runc writes the process's host pid (health checks kill it at their timeout). */ pidFile?: string } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const args = ['--root', this.o.root, 'exec'];
    if (opts.pidFile) args.push('--pid-file', opts.pidFile);
    for (const [k, v] of Object.entries(opts.env ?? {})) args.push('--env', `${k}=${v}`);
    if (opts.cwd) args.push('--cwd', opts.cwd);
    if (opts.user) args.push('--user', opts.user);
    args.push(id, ...cmd);
    return new Promise((resolve, reject) => {
      const p = spawn(this.o.runc, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      p.stdout.on('data', (d: Buffer) => out.push(d));
      p.stderr.on('data', (d: Buffer) => err.push(d));
      const timer = opts.timeoutMs ? setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs) : undefined;
      p.on('error', (e) => reject(new Internal(`cannot run runc exec: ${e.message}`)));
      p.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        const stderr = Buffer.concat(err).toString();
        // runc's own failure (bad executable, container gone) comes as a logrus line on stderr.
        if (code !== 0 && /level=(error|fatal)/.test(stderr)) {
          const m = runcMessage(stderr);
          if (/exec failed|executable file not found|no such file/.test(m)) return resolve({ exitCode: 127, stdout: Buffer.concat(out).toString(), stderr: m + '\n' });
          return reject(new FailedPrecondition(`exec: ${m}`));
        }
        resolve({ exitCode: code ?? (signal === 'SIGKILL' ? 137 : 128), stdout: Buffer.concat(out).toString(), stderr });
      });
    });
  }
}
