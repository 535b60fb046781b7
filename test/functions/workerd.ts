// Cloudflare's workerd (npm @cloudflare/workerd-linux-64) as the peer runtime in tests and
// benches: each worker (an ES module, already bundled) gets its own loopback port; the config is
// written to a temporary directory; stop() ends the process and removes the directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../support/daemon.js';
import { until } from '../support/until.js';

export const workerdBin = path.join(projectRoot, 'node_modules', '@cloudflare', 'workerd-linux-64', 'bin', 'workerd');

export interface Workerd {
  /** Base URL (http://127.0.0.1:PORT) of each worker, by name. */
  url: Record<string, string>;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Starts workerd serving `workers` (name -> ES module source); fetch() may reach loopback (the tests' own servers). */
export async function startWorkerd(workers: Record<string, string>): Promise<Workerd> {
  // freePort's port can be taken by a test running beside this one before workerd binds it
  // (CI: "bind(): Address already in use"): then again on new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(workers);
    } catch (e) {
      if (attempt >= 3 || !/Address already in use/.test(String(e))) throw e;
    }
  }
}

async function startOnce(workers: Record<string, string>): Promise<Workerd> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-workerd-'));
  const names = Object.keys(workers);
  const ports: Record<string, number> = {};
  for (const n of names) {
    ports[n] = await freePort();
    await writeFile(path.join(dir, `${n}.js`), workers[n]!);
  }
  const id = (n: string) => n.replace(/[^A-Za-z0-9]/g, '_');
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "loopback", network = (allow = ["public", "private", "local"])),
${names.map((n) => `    (name = "${id(n)}", worker = (modules = [(name = "${id(n)}.js", esModule = embed "${n}.js")], compatibilityDate = "2024-09-23", globalOutbound = "loopback")),`).join('\n')}
  ],
  sockets = [
${names.map((n) => `    (name = "s_${id(n)}", address = "127.0.0.1:${ports[n]}", http = (), service = "${id(n)}"),`).join('\n')}
  ],
);
`;
  await writeFile(path.join(dir, 'config.capnp'), config);
  let out = '';
  const child: ChildProcess = spawn(workerdBin, ['serve', path.join(dir, 'config.capnp')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url: Record<string, string> = {};
  for (const n of names) url[n] = `http://127.0.0.1:${ports[n]}`;
  try {
    const state = await until('workerd to listen', async () => {
      if (child.exitCode !== null) return 'exited';
      for (const n of names) {
        const ok = await new Promise<boolean>((r) => {
          const s = net.connect(ports[n]!, '127.0.0.1', () => (s.destroy(), r(true)));
          s.on('error', () => r(false));
        });
        if (!ok) return false;
      }
      return 'listening';
    }, 30_000, 50);
    if (state === 'exited') throw new Error(`workerd exited ${child.exitCode}: ${out}`);
  } catch (e) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url,
    pid: child.pid!,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
