// Real etcd members (Debian's etcd-server) on loopback ports in a temp dir, for the etcd state
// store and the cluster tests. One member, or several forming one cluster; stop() removes it all.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './registry.js';
import { until } from './until.js';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  proc: ChildProcess | undefined;
  /** Starts the member again (same data dir) after kill(). */
  restart(): Promise<void>;
  kill(): Promise<void>;
}

export interface TestEtcd {
  members: EtcdMember[];
  /** Client URLs of every member, for EtcdStore's endpoints. */
  endpoints: string[];
  stop(): Promise<void>;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok && ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

export async function startEtcd(count = 1): Promise<TestEtcd> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-etcd-'));
  const ports: Array<{ client: number; peer: number }> = [];
  for (let i = 0; i < count; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const names = ports.map((_, i) => `m${i}`);
  const cluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]!.peer}`).join(',');
  const members: EtcdMember[] = names.map((name, i) => {
    const clientUrl = `http://127.0.0.1:${ports[i]!.client}`;
    const peerUrl = `http://127.0.0.1:${ports[i]!.peer}`;
    const args = ['--name', name, '--data-dir', path.join(dir, name), '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', cluster, '--initial-cluster-state', 'new',
      '--initial-cluster-token', path.basename(dir), '--logger=zap', '--log-level=error'];
    const m: EtcdMember = {
      name,
      clientUrl,
      proc: undefined,
      async restart() {
        m.proc = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
        m.proc.stderr?.resume();
      },
      async kill() {
        const p = m.proc;
        m.proc = undefined;
        if (!p || p.exitCode !== null) return;
        const gone = new Promise((r) => p.once('exit', r));
        p.kill('SIGKILL');
        await gone;
      },
    };
    return m;
  });
  for (const m of members) await m.restart();
  const etcd: TestEtcd = {
    members,
    endpoints: members.map((m) => m.clientUrl),
    async stop() {
      for (const m of members) await m.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await until('etcd healthy', async () => (await Promise.all(members.map((m) => healthy(m.clientUrl)))).every(Boolean), 20_000, 100);
  } catch (e) {
    await etcd.stop();
    throw e;
  }
  return etcd;
}
