// Cloudflare's workerd (npm @cloudflare/workerd-linux-64) as the peer runtime in tests and
// benches: each worker (an ES module, already bundled) gets its own loopback port; the config is
// written to a temporary directory; stop() ends the process and removes the directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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

/**
 * Starts workerd serving `workers` (name -> ES module source); fetch() may reach loopback (the
 * tests' own servers). Each socket binds port 0 and workerd reports the port it got on its control
 * descriptor once it listens: no port is picked here and then lost to another test before workerd
 * binds it (CI: "bind(): Address already in use", or a connect that reached another test's server).
 */
export async function startWorkerd(workers: Record<string, string>): Promise<Workerd> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-workerd-'));
  const names = Object.keys(workers);
  for (const n of names) await writeFile(path.join(dir, `${n}.js`), workers[n]!);
  const id = (n: string) => n.replace(/[^A-Za-z0-9]/g, '_');
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "loopback", network = (allow = ["public", "private", "local"])),
${names.map((n) => `    (name = "${id(n)}", worker = (modules = [(name = "${id(n)}.js", esModule = embed "${n}.js")], compatibilityDate = "2024-09-23", globalOutbound = "loopback")),`).join('\n')}
  ],
  sockets = [
${names.map((n) => `    (name = "s_${id(n)}", address = "127.0.0.1:0", http = (), service = "${id(n)}"),`).join('\n')}
  ],
);
`;
  await writeFile(path.join(dir, 'config.capnp'), config);
  let out = '';
  let stopping = false;
  const child: ChildProcess = spawn(workerdBin, ['serve', path.join(dir, 'config.capnp'), '--control-fd=3'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  const exited = new Promise<void>((r) => child.once('exit', (code, signal) => {
    // A peer that dies under a test shows up there only as ECONNREFUSED: say why here.
    if (!stopping) process.stderr.write(`workerd (pid ${child.pid}) exited ${code ?? signal} before stop():\n${out}\n`);
    r();
  }));
  const url: Record<string, string> = {};
  const bySocket = new Map(names.map((n) => [`s_${id(n)}`, n]));
  let control = '';
  child.stdio[3]!.on('data', (b: Buffer) => {
    control += b.toString();
    for (let nl; (nl = control.indexOf('\n')) >= 0; control = control.slice(nl + 1)) {
      const msg = JSON.parse(control.slice(0, nl)) as { event?: string; socket?: string; port?: number };
      const n = msg.event === 'listen' ? bySocket.get(msg.socket ?? '') : undefined;
      if (n) url[n] = `http://127.0.0.1:${msg.port}`;
    }
  });
  try {
    const state = await until('workerd to listen', async () => (child.exitCode !== null || child.signalCode !== null ? 'exited' : names.every((n) => url[n]) && 'listening'), 30_000, 20);
    if (state === 'exited') throw new Error(`workerd exited ${child.exitCode ?? child.signalCode}: ${out}`);
  } catch (e) {
    stopping = true;
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url,
    pid: child.pid!,
    output: () => out,
    async stop() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
