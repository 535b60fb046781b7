// Starts a real `llmos up` in a child process (temp data dir, ephemeral port) for end-to-end tests,
// and runs the real CLI against it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertNoLeaks } from './leaks.js';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** LLMOS_TEST_BIN runs the suites against another build (e.g. the main checkout, to see a regression test fail before a fix). */
export const llmosBin = process.env.LLMOS_TEST_BIN ?? path.join(projectRoot, 'bin', 'llmos');

export interface TestDaemon {
  dataDir: string;
  host: string;
  token: string;
  /** Address of the function gateway, when the daemon printed one. */
  gateway?: string;
  proc: ChildProcess;
  output(): string;
  /** Runs the CLI against this daemon. */
  cli(args: string[], opts?: { input?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<CliResult>;
  api<T = unknown>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Removes every container (`rm -f` each of `ps -a -q`), for teardowns; a daemon that no longer answers has none to remove. */
  removeContainers(): Promise<void>;
  /** SIGTERM and wait; removes the data dir unless keepData. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  /** The usual teardown: removeContainers, stop, then assertNoLeaks on the data dir. */
  finish(): Promise<void>;
  /** SIGKILL and wait (the data dir is kept, to restart on it). */
  kill(): Promise<void>;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Data dirs this harness created: whichever daemon stops last on one removes it (restart tests reuse them). */
const harnessDirs = new Set<string>();

export async function startDaemon(opts: { dataDir?: string; env?: Record<string, string>; args?: string[] } = {}): Promise<TestDaemon> {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'llmos-test-')));
  if (!opts.dataDir) harnessDirs.add(dataDir);
  const proc = spawn(llmosBin, ['up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--gateway', '127.0.0.1:0', ...(opts.args ?? [])], {
    env: { ...process.env, LLMOS_LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const host = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start in 30 s:\n${out}`)), 30_000);
    const check = () => {
      const m = /API on (https?:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code}:\n${out}`));
    });
  });
  const token = (await readFile(path.join(dataDir, 'token'), 'utf8')).trim();
  const gw = /gateway on (http:\/\/\S+)/.exec(out)?.[1];
  const env = { ...process.env, LLMOS_HOST: host, LLMOS_DATA_DIR: dataDir };
  const d: TestDaemon = {
    dataDir,
    host,
    token,
    gateway: gw,
    proc,
    output: () => out,
    cli: (args, o = {}) => runCli(args, { ...o, env: { ...env, ...o.env } as Record<string, string> }),
    async api(method, p, body) {
      const res = await fetch(host + p, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed as never };
    },
    async removeContainers() {
      const ps = await d.cli(['ps', '-a', '-q']).catch(() => undefined);
      for (const id of ps?.stdout.split('\n').filter(Boolean) ?? []) await d.cli(['rm', '-f', id]);
    },
    async finish() {
      await d.removeContainers();
      await d.stop();
      await assertNoLeaks(dataDir);
    },
    async stop(o = {}) {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
      }
      if (!o.keepData && harnessDirs.has(dataDir)) {
        harnessDirs.delete(dataDir);
        await rm(dataDir, { recursive: true, force: true });
      }
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
  return d;
}

export function runCli(args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(llmosBin, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    p.stdin.end(opts.input ?? '');
  });
}
