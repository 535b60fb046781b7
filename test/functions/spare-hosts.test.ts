// Pre-spawned function hosts (modules.functions.spareHosts): a namespace's first start and a
// crashed host's replacement take a host process started ahead instead of spawning one, the
// claimed process moves into its namespace's cgroup (with the host limits) before any of its
// code runs, a new spare follows, and nothing is left after the daemon stops.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { untilNoLeaks } from '../support/leaks.js';
import { until } from '../support/until.js';

const HOST_MEMORY = 384 * 2 ** 20;
let d: TestDaemon;
let dataDir: string;

/** This daemon's host processes: pid -> the memory cgroup it is in. */
function hosts(): Map<number, string> {
  const out = new Map<number, string>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (!readFileSync(`/proc/${e}/status`, 'utf8').includes(`PPid:\t${d.proc.pid}\n`) || !readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('host-main.js')) continue;
      out.set(Number(e), /memory:(\S+)/.exec(readFileSync(`/proc/${e}/cgroup`, 'utf8'))?.[1] ?? '');
    } catch {
      continue; // gone meanwhile
    }
  }
  return out;
}
const spares = () => [...hosts()].filter(([, cg]) => /\/spare-\d+$/.test(cg)).map(([pid]) => pid);
const hostOf = (ns: string) => [...hosts()].find(([, cg]) => cg.endsWith(`/ns-${ns}`))?.[0];

async function deploy(name: string, namespace: string): Promise<void> {
  const r = await d.api('POST', '/v1/functions', { name, namespace, code: { files: { 'index.js': `export default { fetch() { return new Response('${name} ok'); } };` }, entry: 'index.js' } });
  assert.ok(r.status < 300, JSON.stringify(r.body));
}

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-sparehosts-'));
  await writeFile(path.join(dataDir, 'config.json'), JSON.stringify({ modules: { functions: { spareHosts: 1, hostMemory: HOST_MEMORY } } }));
  d = await startDaemon({ dataDir });
});

after(async () => {
  await d?.stop({ keepData: true });
  await untilNoLeaks(dataDir);
  await rm(dataDir, { recursive: true, force: true });
});

describe('pre-spawned function hosts', () => {
  test('no spare before any function runs; one after the first host', async () => {
    assert.equal(hosts().size, 0, 'a daemon that runs no function starts no host');
    await deploy('a1', 'a');
    await until('a spare host', async () => spares().length === 1, 20_000, 50);
    assert.equal(hosts().size, 2);
  });

  test("a new namespace takes the spare: it moves to the namespace's cgroup, and a new spare follows", async () => {
    const [spare] = spares();
    await deploy('b1', 'b');
    assert.equal(hostOf('b'), spare, 'namespace b runs in the process spawned ahead');
    const cg = hosts().get(spare!)!;
    assert.equal(readFileSync(`/sys/fs/cgroup/memory${cg}/memory.limit_in_bytes`, 'utf8').trim(), String(HOST_MEMORY));
    assert.ok(!readFileSync(`/proc/${spare}/environ`, 'utf8').includes('LLMOS_'), 'a bare environment');
    assert.equal(await (await fetch(`${d.gateway}/fn/b1/`)).text(), 'b1 ok');
    await until('a new spare', async () => spares().length === 1 && !spares().includes(spare!), 20_000, 50);
    // The spare's own cgroup went with the move.
    assert.equal(readdirSync(path.dirname(`/sys/fs/cgroup/memory${cg}`)).filter((n) => n.startsWith('spare-')).length, 1);
  });

  test("a crashed host is replaced by the spare; another namespace's host is untouched", async () => {
    const a = hostOf('a')!;
    const b = hostOf('b')!;
    const [spare] = spares();
    process.kill(b, 'SIGKILL');
    await until('the daemon to see the host end', async () => !existsSync(`/proc/${b}/cmdline`) || readFileSync(`/proc/${b}/cmdline`, 'utf8') === '', 10_000, 20);
    await until('b1 served again', async () => (await (await fetch(`${d.gateway}/fn/b1/`)).text()) === 'b1 ok', 20_000, 50);
    assert.equal(hostOf('b'), spare, 'the replacement is the process spawned ahead');
    assert.equal(hostOf('a'), a);
    assert.equal(await (await fetch(`${d.gateway}/fn/a1/`)).text(), 'a1 ok');
    await until('a new spare', async () => spares().length === 1 && !spares().includes(spare!), 20_000, 50);
  });
});
