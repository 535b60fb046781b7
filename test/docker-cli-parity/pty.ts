// A real pseudo-terminal for -it tests: util-linux `script` runs the command on a new pty and
// relays it to pipes, so a test can type into it and read what a user would see.
import { spawn, type ChildProcess } from 'node:child_process';
import { readlink } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { until } from '../support/until.js';

export class Pty {
  readonly proc: ChildProcess;
  private buf = '';
  readonly exited: Promise<number>;

  /** `cmd` is a shell command line; `env` is added to the test's environment. */
  constructor(cmd: string, env: Record<string, string> = {}) {
    this.proc = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (b: Buffer) => (this.buf += b.toString('latin1')));
    this.proc.stderr!.on('data', (b: Buffer) => (this.buf += b.toString('latin1')));
    this.exited = new Promise((resolve) => this.proc.on('close', (code) => resolve(code ?? 1)));
  }

  get text(): string {
    return this.buf;
  }

  type(s: string): void {
    this.proc.stdin!.write(s);
  }

  /** Waits until the output after `from` (an offset from mark()) matches. */
  async expect(re: RegExp, from = 0, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return until(`${re} in the terminal (got ${JSON.stringify(this.buf.slice(from).slice(-300))})`, async () => re.exec(this.buf.slice(from)) ?? undefined, timeoutMs, 50);
  }

  mark(): number {
    return this.buf.length;
  }

  /** Resizes the terminal the client runs on (SIGWINCH to its foreground group), by its tty device. */
  async resize(pid: number, rows: number, cols: number): Promise<void> {
    const tty = await readlink(`/proc/${pid}/fd/0`);
    await new Promise<void>((resolve, reject) => execFile('stty', ['-F', tty, 'rows', String(rows), 'cols', String(cols)], (err) => (err ? reject(err) : resolve())));
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

/** The pid of the newest process whose command line contains all `parts` (the client under script). */
export async function findPid(parts: string[]): Promise<number> {
  return until(`a process running ${parts.join(' ')}`, async () => {
    const out = await new Promise<string>((resolve) => execFile('ps', ['-eo', 'pid=,args='], (_e, so) => resolve(so)));
    const rows = out.split('\n').map((l) => l.trim()).filter((l) => parts.every((p) => l.includes(p)) && !l.includes('script -qfec'));
    const pid = Number(rows.at(-1)?.split(/\s+/)[0]);
    return pid > 0 ? pid : undefined;
  }, 20_000, 100);
}
