// The real processes `llmos sim cluster` runs against: an etcd member on loopback in a temp dir
// (Debian's etcd-server), unless the caller names a store, and an `llmos up` server on its own
// temp data dir. The server listens on 0.0.0.0 (an ephemeral port) so it speaks TLS with its
// cluster CA, as it does for real agents; the simulated agents reach it on 127.0.0.1. Container
// networking is off: the server runs no containers, and the run leaves the host's network alone.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { FailedPrecondition, Unavailable } from '../kernel/errors.js';

export interface ProcUsage {
  /** utime+stime, seconds. */
  cpu: number;
  rss: number;
}

/** CPU time and RSS of a process, from /proc. */
export async function procUsage(pid: number): Promise<ProcUsage> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const ticks = 100; // USER_HZ on Linux
  return { cpu: (Number(stat[11]) + Number(stat[12])) / ticks, rss: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024 };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The processes and temp dirs started here and not yet stopped, for abandon(). */
const live = new Map<ChildProcess, string>();

/**
 * SIGKILLs what is still running and removes its temp dirs, synchronously: for a signal handler
 * (the command interrupted, or a test's timeout), so no server, etcd or data dir is left behind.
 */
export function abandon(): void {
  for (const [p, dir] of live) {
    p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  live.clear();
}

/** Waits for a child to exit, SIGKILL after graceMs. */
async function end(p: ChildProcess | undefined, graceMs: number): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(t);
}

/** Registers a child and its temp dir for abandon(); the returned stop ends it (SIGKILL after graceMs) and removes the dir. */
function tracked(proc: ChildProcess, dir: string, graceMs: number): () => Promise<void> {
  live.set(proc, dir);
  return async () => {
    await end(proc, graceMs);
    await rm(dir, { recursive: true, force: true });
    live.delete(proc);
  };
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number, proc?: ChildProcess, out?: () => string): Promise<void> {
  const stop = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (proc && (proc.exitCode !== null || proc.signalCode !== null)) throw new Unavailable(`${what}: the process exited (${proc.exitCode ?? proc.signalCode})${out ? `: ${out().trim().split('\n').slice(-3).join(' | ')}` : ''}`);
    if (Date.now() > stop) throw new Unavailable(`${what}: not ready within ${timeoutMs / 1000} s${out ? `: ${out().trim().split('\n').slice(-3).join(' | ')}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface SimEtcd {
  /** host:port, for --store etcd://... */
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

/** One etcd member on loopback ports in a temp dir; stop() removes the dir. */
export async function startSimEtcd(): Promise<SimEtcd> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-sim-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const c = `http://127.0.0.1:${client}`;
  const p = `http://127.0.0.1:${peer}`;
  let err = '';
  const proc = spawn('etcd', ['--name', 'sim', '--data-dir', path.join(dir, 'data'), '--listen-client-urls', c, '--advertise-client-urls', c, '--listen-peer-urls', p,
    '--initial-advertise-peer-urls', p, '--initial-cluster', `sim=${p}`, '--logger=zap', '--log-level=error'], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const spawned = new Promise<void>((resolve, reject) => (proc.once('spawn', resolve), proc.once('error', (e) => reject(new FailedPrecondition(`cannot start etcd (Debian's etcd-server): ${e.message}`)))));
  const stop = tracked(proc, dir, 5000);
  try {
    await spawned;
    await until('etcd', async () => ((await (await fetch(`${c}/health`, { signal: AbortSignal.timeout(1000) })).json()) as { health?: string }).health === 'true', 20_000, proc, () => err);
  } catch (e) {
    await stop();
    throw e;
  }
  return { endpoint: `127.0.0.1:${client}`, pid: proc.pid!, stop };
}

export interface SimServer {
  /** https://127.0.0.1:PORT */
  url: string;
  pid: number;
  dataDir: string;
  /** An API call with the server's token. */
  api<T>(method: string, p: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export interface SimServerOptions {
  /** The command that runs `llmos` (e.g. [node, the CLI's script]); `up` and its flags are appended. */
  llmos: string[];
  /** `etcd://HOST:PORT,...`, or undefined for the embedded SQLite store. */
  store?: string;
  leaseIntervalMs: number;
  nodeGraceMs: number;
}

export async function startSimServer(o: SimServerOptions): Promise<SimServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-sim-server-'));
  await writeFile(path.join(dataDir, 'config.json'), JSON.stringify({ modules: { network: { enabled: false }, cluster: { leaseIntervalMs: o.leaseIntervalMs } } }));
  const args = ['up', '--data-dir', dataDir, '--listen', '0.0.0.0:0', '--gateway', '127.0.0.1:0', '--node-grace', `${o.nodeGraceMs}ms`, ...(o.store ? ['--store', o.store] : [])];
  const [cmd, ...pre] = o.llmos;
  const proc = spawn(cmd!, [...pre, ...args], { env: { ...process.env, LLMOS_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  proc.once('error', (e) => (out += `\n${e.message}`));
  const stop = tracked(proc, dataDir, 15_000);
  try {
    await until('the llmos server', async () => /API on https:\/\/\S+/.test(out), 60_000, proc, () => out);
    const port = new URL(/API on (https:\/\/\S+)/.exec(out)![1]!).port;
    const url = `https://127.0.0.1:${port}`;
    const token = (await readFile(path.join(dataDir, 'token'), 'utf8')).trim();
    const ca = await readFile(path.join(dataDir, 'ca', 'ca.crt'), 'utf8');
    const pool = new Pool(url, { connections: 4, connect: { ca } });
    const api = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
      const res = await pool.request({ method: method as 'GET', path: p, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.body.text();
      if (res.statusCode >= 300) throw (res.statusCode >= 500 ? new Unavailable(`${method} ${p}: HTTP ${res.statusCode} ${text.slice(0, 200)}`) : new FailedPrecondition(`${method} ${p}: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
      return (text ? JSON.parse(text) : undefined) as T;
    };
    return { url, pid: proc.pid!, dataDir, api, stop: async () => (await pool.destroy(), await stop()) };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** How to run `llmos up` from a script of this checkout (dist/src/cli-bundle/main.mjs, dist/bench/cluster/...): bin/llmos, as a user runs it, else Node on the script. */
export function llmosCommand(script: string): string[] {
  const bin = path.resolve(path.dirname(script), '../../../bin/llmos');
  return existsSync(bin) ? [bin] : [process.execPath, script];
}
