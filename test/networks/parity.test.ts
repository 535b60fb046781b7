// What a Docker user expects of user networks beyond the basics: an alias two containers share
// resolves to both; a removed container's name stops resolving; the container's resolv.conf has
// Docker's ndots:0 and the network's DNS server; `--network none` gives only a loopback;
// `--network container:NAME` is refused with one line (LLMOS CLI and docker CLI); a network name
// that is taken is a 409 on the Docker socket; `network prune` keeps networks in use.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import type { UserNetworkInfo } from '../../src/contracts/user-networks.js';
import { until } from '../support/until.js';
import { client, dockerBin, raw, socketOf } from '../docker/support.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : !existsSync('/usr/sbin/dnsmasq') ? 'dnsmasq missing' : false);

function addresses(out: string): string[] {
  const i = out.indexOf('Name:');
  return i < 0 ? [] : [...out.slice(i).matchAll(/Address(?: \d+)?:\s*([\d.]+)/g)].map((m) => m[1]!).sort();
}

describe('user networks: Docker parity details', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  const net = async (name: string): Promise<UserNetworkInfo> => (await d.api<UserNetworkInfo>('GET', `/v1/networks/${name}`)).body;
  const exec = async (ctr: string, cmd: string[]) => (await d.cli(['exec', ctr, ...cmd])).stdout;
  const resolves = async (ctr: string, name: string) => addresses(await exec(ctr, ['timeout', '3', 'nslookup', name]));
  const ipOf = async (ctr: string) => Object.values((await net('pn')).containers).find((c) => c.name === ctr)!.ip;
  const ok = async (...args: string[]) => {
    const r = await d.cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  };

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/busybox', { tag: '1' })).ref;
    d = await startDaemon();
  });

  after(async () => {
    if (d) {
      await d.removeContainers();
      for (const n of ['pn', 'idle']) await d.cli(['network', 'rm', n]);
      await d.finish();
    }
    await reg?.stop();
  });

  test('a shared alias resolves to both containers; a removed container\'s name and alias go; resolv.conf as Docker writes it', async () => {
    await ok('network', 'create', 'pn');
    await ok('run', '-d', '--name', 'r1', '--network', 'pn', '--network-alias', 'pool', image, 'sleep', '600');
    await ok('run', '-d', '--name', 'r2', '--network', 'pn', '--network-alias', 'pool', image, 'sleep', '600');
    await ok('run', '-d', '--name', 'cl', '--network', 'pn', image, 'sleep', '600');
    const both = [await ipOf('r1'), await ipOf('r2')].sort();
    assert.deepEqual(await until('pool has both', async () => ((await resolves('cl', 'pool')).length === 2 ? resolves('cl', 'pool') : undefined), 5000), both);
    const conf = await exec('cl', ['cat', '/etc/resolv.conf']);
    assert.match(conf, new RegExp(`^nameserver ${(await net('pn')).gateway}$`, 'm'));
    assert.match(conf, /^options ndots:0$/m);
    await ok('rm', '-f', 'r2');
    assert.deepEqual(await until('r2 gone', async () => ((await resolves('cl', 'r2')).length === 0 ? resolves('cl', 'pool') : undefined), 5000), [await ipOf('r1')]);
    assert.equal(Object.values((await net('pn')).containers).some((c) => c.name === 'r2'), false, 'network inspect no longer lists it');
  });

  test('--network none has only a loopback; --network container:NAME is refused in one line; a taken network name is a 409', async () => {
    await ok('run', '-d', '--name', 'lonely', '--network', 'none', image, 'sleep', '600');
    const links = await exec('lonely', ['ip', '-o', 'link']);
    assert.match(links, /\blo\b/);
    assert.doesNotMatch(links, /eth0/);
    const shared = await d.cli(['run', '-d', '--network', 'container:cl', image, 'sleep', '600']);
    assert.equal(shared.code, 1);
    assert.equal(shared.stderr.trim().split('\n').length, 1, shared.stderr);
    assert.match(shared.stderr, /container:cl/);
    const sock = socketOf(d);
    const dk = await client(dockerBin, ['run', '-d', '--network', 'container:cl', image, 'sleep', '600'], sock);
    assert.notEqual(dk.code, 0);
    assert.match(dk.stderr, /not supported by LLMOS/);
    const taken = await raw(sock, 'POST', '/networks/create', { Name: 'pn' });
    assert.equal(taken.status, 409, taken.body);
    assert.match(JSON.parse(taken.body).message, /already exists/);
    // prune removes only the unused network.
    await ok('network', 'create', 'idle');
    const pruned = await d.cli(['network', 'prune', '--json']);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual(JSON.parse(pruned.stdout).removed, ['idle']);
    assert.equal((await d.api('GET', '/v1/networks/pn')).status, 200);
  });
});
