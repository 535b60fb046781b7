// End to end: user-defined networks with a real daemon, runc containers, CNI bridges, dnsmasq and
// iptables. Containers on one network resolve each other by name and alias, and not those of
// other networks; networks are isolated from each other and from the default bridge; an internal
// network has no route out; connect/disconnect/rename/stop move the DNS records; rm is refused
// while containers are attached; removing everything leaves no bridge, dnsmasq, claim or rule.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import type { UserNetworkInfo } from '../../src/contracts/user-networks.js';
import { daemonTag } from '../../src/modules/network/cni-network.js';
import { assertNoLeaks, listUserNetworkLeaks } from '../support/leaks.js';
import { until } from '../support/until.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : !existsSync('/usr/sbin/dnsmasq') ? 'dnsmasq missing' : false);

const httpd = ['/bin/sh', '-c', 'mkdir -p /www && echo "page of $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'];
const sh = (cmd: string, args: string[]): Promise<string> => new Promise((resolve) => execFile(cmd, args, (err, stdout) => resolve(err ? '' : stdout)));

/** The addresses busybox nslookup printed for the name (after the server's own lines). */
function addresses(out: string): string[] {
  const i = out.indexOf('Name:');
  return i < 0 ? [] : [...out.slice(i).matchAll(/Address(?: \d+)?:\s*([\d.]+)/g)].map((m) => m[1]!).sort();
}

describe('user-defined networks end to end', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  const net = async (name: string): Promise<UserNetworkInfo> => {
    const r = await d.api<UserNetworkInfo>('GET', `/v1/networks/${name}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const ipOf = async (ctr: string, network: string): Promise<string> => Object.values((await net(network)).containers).find((c) => c.name === ctr)!.ip;
  const exec = async (ctr: string, cmd: string) => (await d.cli(['exec', ctr, 'sh', '-c', cmd])).stdout;
  const resolves = (ctr: string, name: string) => exec(ctr, `nslookup ${name}`).then(addresses);
  const fetchPage = (ctr: string, ip: string) => exec(ctr, `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} 80`);
  const run = async (...args: string[]) => {
    const r = await d.cli(['run', '-d', ...args]);
    assert.equal(r.code, 0, r.stderr);
  };

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/busybox', { tag: '1' })).ref;
    d = await startDaemon();
  });

  after(async () => {
    if (d) {
      await d.removeContainers();
      for (const n of ['fe', 'be', 'sealed']) await d.cli(['network', 'rm', n]);
      await d.stop({ keepData: true });
      await assertNoLeaks(d.dataDir);
    }
    await reg?.stop();
  });

  test('create, ls, inspect: own bridge, subnet from the pool or given, DNS on the gateway; bad input is one line', async () => {
    const fe = await d.cli(['network', 'create', '--label', 'tier=front', 'fe']);
    assert.equal(fe.code, 0, fe.stderr);
    assert.equal((await d.cli(['network', 'create', '--subnet', '10.91.7.0/24', '--gateway', '10.91.7.254', 'be'])).code, 0);
    assert.equal((await d.cli(['network', 'create', '--internal', 'sealed'])).code, 0);
    const f = await net('fe');
    assert.match(f.subnet, /^10\.90\.\d+\.0\/24$/);
    assert.deepEqual(f.labels, { tier: 'front' });
    assert.equal(f.dnsServer, f.gateway);
    const b = await net('be');
    assert.deepEqual([b.subnet, b.gateway], ['10.91.7.0/24', '10.91.7.254']);
    assert.notEqual((await net('sealed')).subnet, f.subnet);
    assert.ok(existsSync(`/sys/class/net/${f.bridge}`), 'the bridge exists from create on');
    assert.match((await d.cli(['network', 'ls'])).stdout, /fe .*10\.90\./);
    for (const [args, re] of [
      [['network', 'create', 'fe'], /already exists/],
      [['network', 'create', '--subnet', '10.91.7.128/25', 'x1'], /overlaps/],
      [['network', 'create', '--subnet', '10.89.0.0/24', 'x2'], /overlaps/],
      [['network', 'create', '--subnet', '8.8.8.0/24', 'x3'], /private range/],
      [['network', 'create', 'bridge'], /built-in/],
      [['network', 'create', '../x'], /network name/],
      [['network', 'inspect', 'nope'], /not found/],
    ] as const) {
      const r = await d.cli([...args]);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  test('names and aliases resolve on their own network only; networks are isolated', async () => {
    await run('--name', 'web1', '--network', 'fe', image, ...httpd);
    await run('--name', 'web2', '--network', 'fe', '--network-alias', 'front', image, ...httpd);
    await run('--name', 'db1', '--network', 'be', image, ...httpd);
    await run('--name', 'plain', image, ...httpd);
    const [w1, w2, db] = [await ipOf('web1', 'fe'), await ipOf('web2', 'fe'), await ipOf('db1', 'be')];
    assert.match(db, /^10\.91\.7\./);
    assert.match(await exec('web1', 'cat /etc/resolv.conf'), new RegExp(`^nameserver ${(await net('fe')).gateway}$`, 'm'));
    assert.deepEqual(await resolves('web1', 'web2'), [w2]);
    assert.deepEqual(await resolves('web1', 'front'), [w2]);
    assert.deepEqual(await resolves('web2', 'web1'), [w1]);
    assert.match(await fetchPage('web1', 'web2'), /page of/, 'by name through nc');
    // Other networks' names do not resolve, from either side.
    assert.deepEqual(await resolves('web1', 'db1'), []);
    assert.deepEqual(await resolves('db1', 'web1'), []);
    assert.deepEqual(await resolves('plain', 'web1'), []);
    // Another network's DNS server does not answer a foreign bridge.
    assert.deepEqual(addresses(await exec('db1', `nslookup web1 ${(await net('fe')).gateway}`)), []);
    // Traffic: same network yes; another user network or the default bridge no, either way.
    const plainIp = JSON.parse((await d.cli(['inspect', 'plain'])).stdout)[0].ip as string;
    assert.match(await fetchPage('web1', w2), /page of/);
    assert.equal(await fetchPage('web1', db), '');
    assert.equal(await fetchPage('db1', w1), '');
    assert.equal(await fetchPage('web1', plainIp), '');
    assert.equal(await fetchPage('plain', w1), '');
  });

  test('an internal network has no route out and reaches no other network', async () => {
    await run('--name', 'inner', '--network', 'sealed', image, ...httpd);
    const routes = await exec('inner', 'ip route');
    assert.doesNotMatch(routes, /default/);
    assert.match(routes, /10\.90\./);
    assert.equal(await fetchPage('inner', await ipOf('web1', 'fe')), '');
    assert.equal(await fetchPage('web1', await ipOf('inner', 'sealed')), '');
  });

  test('rm is refused while containers are attached; connect, disconnect, rename and stop move the records', async () => {
    const busy = await d.cli(['network', 'rm', 'fe']);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /active endpoints \(.*web1/);
    // connect: plain joins fe with an alias, and is reachable there by both names.
    assert.equal((await d.cli(['network', 'connect', '--alias', 'extra', 'fe', 'plain'])).code, 0);
    const pIp = await ipOf('plain', 'fe');
    assert.deepEqual(await until('plain on fe', async () => ((await resolves('web1', 'plain')).length ? resolves('web1', 'plain') : undefined), 5000), [pIp]);
    assert.deepEqual(await resolves('web1', 'extra'), [pIp]);
    assert.match(await fetchPage('web1', pIp), /page of/);
    const again = await d.cli(['network', 'connect', 'fe', 'plain']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already connected/);
    assert.equal((await d.cli(['network', 'disconnect', 'fe', 'plain'])).code, 0);
    await until('plain gone from fe', async () => (await resolves('web1', 'plain')).length === 0, 5000);
    assert.equal((await d.cli(['network', 'disconnect', 'fe', 'plain'])).code, 1);
    // rename: the new name answers, the old one does not.
    assert.equal((await d.cli(['rename', 'web2', 'web2b'])).code, 0);
    const w2 = await ipOf('web2b', 'fe');
    await until('renamed record', async () => (await resolves('web1', 'web2b'))[0] === w2, 5000);
    assert.deepEqual(await resolves('web1', 'web2'), []);
    // stop: the record goes; start: it comes back.
    assert.equal((await d.cli(['stop', '-t', '1', 'web2b'])).code, 0);
    await until('stopped record gone', async () => (await resolves('web1', 'front')).length === 0, 5000);
    assert.equal(Object.keys((await net('fe')).containers).length, 1);
    assert.equal((await d.cli(['start', 'web2b'])).code, 0);
    await until('restarted record', async () => (await resolves('web1', 'front')).length === 1, 5000);
  });

  test('a restart of the daemon keeps networks and names; removing everything leaves nothing', async () => {
    const before = await net('fe');
    await d.stop({ keepData: true });
    d = await startDaemon({ dataDir: d.dataDir });
    const after = await net('fe');
    assert.deepEqual([after.id, after.subnet, Object.keys(after.containers).sort()], [before.id, before.subnet, Object.keys(before.containers).sort()]);
    assert.deepEqual(await resolves('web1', 'web2b'), [await ipOf('web2b', 'fe')]);
    await d.removeContainers();
    assert.deepEqual((await net('fe')).containers, {});
    const pruned = await d.cli(['network', 'prune']);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual(JSON.parse((await d.cli(['network', 'ls', '--json'])).stdout), []);
    assert.deepEqual(await listUserNetworkLeaks(d.dataDir), []);
    const tag = daemonTag(d.dataDir);
    assert.deepEqual((await sh('iptables', ['-S'])).split('\n').filter((l) => l.includes(tag)), []);
    for (const b of [before.bridge]) assert.ok(!existsSync(`/sys/class/net/${b}`), `bridge ${b} removed`);
    const claims = await readdir('/run/llmos/user-networks').catch(() => [] as string[]);
    for (const c of claims) assert.ok(!(await readFile(`/run/llmos/user-networks/${c}`, 'utf8')).includes(tag), `claim ${c} left`);
  });
});
