// Regression: a user network's bridge kept the kernel's default of taking the lowest MAC address
// of its ports, so the gateway's address (the DNS server and the route out) changed whenever a
// container whose veth drew a lower random address joined or left. Containers that had cached the
// old address could not reach their DNS server for up to a minute (ARP): after `stop`/`start` of
// one container, its alias sometimes did not resolve from another (1 in 3 clean CI runs). Here the
// unlucky draw is made certain: the joining container's host-side veth gets the lowest address.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import type { UserNetworkInfo } from '../../src/contracts/user-networks.js';
import { until } from '../support/until.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : !existsSync('/usr/sbin/dnsmasq') ? 'dnsmasq missing' : false);
const sh = (cmd: string, args: string[]): Promise<{ code: number; out: string }> => new Promise((resolve) => execFile(cmd, args, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr })));

function addresses(out: string): string[] {
  const i = out.indexOf('Name:');
  return i < 0 ? [] : [...out.slice(i).matchAll(/Address(?: \d+)?:\s*([\d.]+)/g)].map((m) => m[1]!).sort();
}

describe('user network gateway address', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  const net = async (name: string): Promise<UserNetworkInfo> => (await d.api<UserNetworkInfo>('GET', `/v1/networks/${name}`)).body;
  /** One nslookup cut at 3 s: a stale gateway address makes it time out. */
  const resolves = async (ctr: string, name: string) => addresses((await d.cli(['exec', ctr, 'timeout', '3', 'nslookup', name])).stdout);
  const mac = async (br: string) => (await readFile(`/sys/class/net/${br}/address`, 'utf8')).trim();

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/busybox', { tag: '1' })).ref;
    d = await startDaemon();
  });

  after(async () => {
    if (d) {
      await d.removeContainers();
      await d.cli(['network', 'rm', 'gw']);
      await d.finish();
    }
    await reg?.stop();
  });

  test('the gateway keeps its MAC address while containers join and leave, so names keep resolving', async () => {
    assert.equal((await d.cli(['network', 'create', 'gw'])).code, 0);
    const { bridge } = await net('gw');
    const before = await mac(bridge);
    const ipOf = async (name: string) => Object.values((await net('gw')).containers).find((c) => c.name === name)!.ip;
    assert.equal((await d.cli(['run', '-d', '--name', 'b', '--network', 'gw', '--network-alias', 'bee', image, 'sleep', '600'])).code, 0);
    const [bPort] = await readdir(`/sys/class/net/${bridge}/brif`);
    assert.ok(bPort, 'b has a port on the bridge');
    // The lowest unicast address a random draw could give b's veth: the bridge took it before the fix.
    assert.equal((await sh('ip', ['link', 'set', bPort!, 'address', '00:00:00:00:00:01'])).code, 0);
    assert.equal((await d.cli(['run', '-d', '--name', 'a', '--network', 'gw', image, 'sleep', '600'])).code, 0);
    // a learns the gateway's MAC address by using it (its DNS server is the gateway).
    const bIp = await ipOf('b');
    assert.deepEqual(await until('a resolves bee', async () => ((await resolves('a', 'bee')).length ? resolves('a', 'bee') : undefined), 10_000), [bIp]);
    // b leaves (its veth, and the address a may have cached, go) and comes back with a new veth, a few times.
    for (let i = 0; i < 3; i++) {
      assert.equal((await d.cli(['stop', '-t', '0', 'b'])).code, 0);
      assert.equal((await d.cli(['start', 'b'])).code, 0);
      assert.deepEqual(await resolves('a', 'bee'), [await ipOf('b')], `cycle ${i}: a reaches its DNS server and the alias resolves at once`);
      assert.equal(await mac(bridge), before, 'the bridge address did not follow its ports');
    }
  });
});
