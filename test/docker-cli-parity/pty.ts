// A real pseudo-terminal for -it tests: util-linux `script` runs the command on a new pty and
// relays it to pipes, so a test can type into it and read what a user would see.
import { spawn, type ChildProcess } from 'node:child_process';
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

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}
