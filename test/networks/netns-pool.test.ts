// The pool of network namespaces already on the bridge (network/netns-pool.ts): a container
// without published ports takes one (its netns name is a symlink to the entry) and is reachable at
// the address the API reports; the pool refills; its free entries are no leak while the daemon
// lives, go at stop, and after a SIGKILL the next boot removes them while keeping the entry of a
// container that kept running.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readFile, readlink, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { daemonTag } from '../../src/modules/network/cni-network.js';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { assertNoLeaks, listLeaks } from '../support/leaks.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';

const run = promisify(execFile);
const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : false);
const bridge = 'llmosp0';
const cniName = 'llmosp';

/** The pool's state file: the entries the daemon holds. */
async function poolState(dataDir: string): Promise<string[]> {
  for (const m of await readdir(path.join(dataDir, 'modules')).catch(() => [] as string[])) {
    const text = await readFile(path.join(dataDir, 'modules', m, 'netns-pool.json'), 'utf8').catch(() => '');
    if (text) return (JSON.parse(text) as { entries: string[] }).entries;
  }
  return [];
}

/** The network objects listLeaks reports beside the container's own (its processes and DNS record are expected while it runs). */
async function netLeaks(dataDir: string, id: string): Promise<string[]> {
  return (await listLeaks(dataDir, { allow: [id] })).filter((l) => /netns|veth|lease|iptables|nft/.test(l));
}

/** Reads what a TCP server at ip:port sends first. */
function readFrom(ip: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, ip);
    let got = '';
    s.setTimeout(3000, () => s.destroy(new Error('no answer')));
    s.on('data', (b) => (got += b.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}

describe('network namespace pool', { skip, concurrency: false }, () => {
  let reg: TestRegistry | undefined;
  let d: TestDaemon | undefined;
  let dataDir = '';

  after(async () => {
    if (d) await d.finish();
    await reg?.stop();
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
    await rm(path.join('/var/lib/cni/networks', cniName), { recursive: true, force: true });
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('a container takes a pooled namespace, the pool refills, and nothing is left after stop or SIGKILL', async () => {
    reg = await startRegistry();
    const image = (await pushBusyboxImage(reg, 'test/busybox', { tag: '1' })).ref;
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-pool-'));
    await writeFile(path.join(dataDir, 'config.json'), JSON.stringify({ modules: { network: { bridge, subnet: '10.231.80.0/24', name: cniName, netnsPool: 2 } } }));
    const prefix = `llmos-${daemonTag(path.resolve(dataDir))}-`;
    d = await startDaemon({ dataDir });
    assert.deepEqual(await poolState(dataDir), [], 'the pool is not filled at boot');

    // The first bridge start fills the pool.
    const first = await d.cli(['run', '--rm', image, '/bin/true']);
    assert.equal(first.code, 0, first.stderr);
    const free = await until('two pool entries are ready', async () => {
      const ids = await poolState(dataDir);
      const ready = ids.length === 2 && (await Promise.all(ids.map((i) => lstat(`/var/run/netns/${i}`).then(() => true, () => false)))).every(Boolean);
      return ready && ids;
    }, 60_000, 100);
    for (const id of free) assert.ok(id.startsWith(`${prefix}pool-`), id);
    // (run --rm answers at the exit; its removal may still be under way.)
    await until('the removed container left nothing', async () => (await listLeaks(dataDir)).length === 0, 30_000, 100).catch(() => undefined);
    assert.deepEqual(await listLeaks(dataDir), [], 'free entries of a live daemon are no leak');

    // A server in a container that takes one of them: reachable at the address the API reports.
    const r = await d.cli(['run', '-d', '--name', 'srv', image, 'sh', '-c', 'while true; do echo pong | nc -l -p 7000; done']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    const link = await readlink(`/var/run/netns/${prefix}${id}`);
    assert.ok(free.includes(link), `the container's netns ${link} is a pool entry (${free.join(', ')})`);
    const ip = (await d.api<{ ip?: string }>('GET', `/v1/containers/${id}`)).body.ip;
    assert.match(ip ?? '', /^10\.231\.80\./);
    const lease = (await readFile(path.join('/var/lib/cni/networks', cniName, ip!), 'utf8')).split(/\r?\n/)[0];
    assert.equal(lease, link, 'the address is the pool entry\'s lease');
    assert.equal((await until('the server answers', () => readFrom(ip!, 7000).catch(() => undefined), 20_000, 100)).trim(), 'pong');
    const inside = await d.cli(['exec', 'srv', 'ip', '-4', 'addr', 'show', 'eth0']);
    assert.match(inside.stdout, new RegExp(`inet ${ip!.replace(/\./g, '\\.')}/24`));

    // The pool refills; the claimed entry is the container's (allowed with it, a leak without it).
    // An entry is listed before it is made (so a crash leaves nothing unlisted): wait for both to exist.
    const refilled = await until('the pool is full again', async () => {
      const ids = await poolState(dataDir);
      const made = (await Promise.all(ids.map((i) => lstat(`/var/run/netns/${i}`).then(() => true, () => false)))).every(Boolean);
      return ids.length === 2 && !ids.includes(link) && made && ids;
    }, 60_000, 100);
    assert.deepEqual(await netLeaks(dataDir, id), [], 'the claimed entry is the container\'s');
    assert.ok((await listLeaks(dataDir)).some((l) => l.includes(link) && l.includes(id)), 'the claimed entry is named after its container');

    // SIGKILL: the free entries stay on the host; the next boot removes them and keeps the claimed one.
    await d.kill();
    for (const e of refilled) assert.ok(existsSync(`/var/run/netns/${e}`), `${e} is left by the SIGKILL`);
    d = await startDaemon({ dataDir });
    for (const e of refilled) assert.ok(!existsSync(`/var/run/netns/${e}`), `boot removed the unclaimed entry ${e}`);
    assert.ok(existsSync(`/var/run/netns/${link}`), 'the running container keeps its entry');
    assert.equal((await until('the adopted server answers', () => readFrom(ip!, 7000).catch(() => undefined), 20_000, 100)).trim(), 'pong');
    assert.deepEqual(await netLeaks(dataDir, id), [], 'the claimed entry is the container\'s');

    // Removal takes the claimed entry with it; stop takes the free ones (d.finish asserts no leaks).
    assert.equal((await d.cli(['rm', '-f', 'srv'])).code, 0);
    assert.ok(!existsSync(`/var/run/netns/${link}`) && !existsSync(`/var/run/netns/${prefix}${id}`), 'the entry and the claim went with the container');
    await d.finish();
    d = undefined;
    await assertNoLeaks(dataDir);
  });
});
