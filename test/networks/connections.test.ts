// `network connect` / `disconnect` as in Docker: a connection is part of the container's
// configuration, so a created or stopped container can be connected (the connection is recorded
// and plugged at its next start), and a connection survives stop/start and a daemon restart until
// it is disconnected or the container is removed. The same through `docker network connect`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import type { UserNetworkInfo } from '../../src/contracts/user-networks.js';
import { listUserNetworkLeaks } from '../support/leaks.js';
import { until } from '../support/until.js';
import { client, dockerBin, socketOf } from '../docker/support.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : !existsSync('/usr/sbin/dnsmasq') ? 'dnsmasq missing' : false);

function addresses(out: string): string[] {
  const i = out.indexOf('Name:');
  return i < 0 ? [] : [...out.slice(i).matchAll(/Address(?: \d+)?:\s*([\d.]+)/g)].map((m) => m[1]!).sort();
}

describe('network connect and disconnect of stopped containers', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  const net = async (name: string): Promise<UserNetworkInfo> => (await d.api<UserNetworkInfo>('GET', `/v1/networks/${name}`)).body;
  const exec = async (ctr: string, cmd: string[]) => (await d.cli(['exec', ctr, ...cmd])).stdout;
  const resolves = async (ctr: string, name: string) => addresses(await exec(ctr, ['timeout', '3', 'nslookup', name]));
  const ipOf = async (ctr: string, network: string) => Object.values((await net(network)).containers).find((c) => c.name === ctr)?.ip;
  const ok = async (...args: string[]) => {
    const r = await d.cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}\n${r.code ? d.output().slice(-4000) : ''}`);
    return r;
  };
  /** peer resolves name to ctr's address on cn (waits for the record: start has returned, so it is there at once or never). */
  const reachable = async (name: string, ctr: string) => {
    const ip = await ipOf(ctr, 'cn');
    assert.match(ip ?? '', /^10\./, `${ctr} is on cn`);
    assert.deepEqual(await until(`${name} resolves`, async () => ((await resolves('peer', name)).length ? resolves('peer', name) : undefined), 5000), [ip]);
    assert.match(await exec(ctr, ['ip', '-4', 'addr']), new RegExp(`inet ${ip!.replace(/\./g, '\\.')}/`), `${ctr} has the address in its namespace`);
  };

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/busybox', { tag: '1' })).ref;
    d = await startDaemon();
  });

  after(async () => {
    if (d) {
      await d.removeContainers();
      await d.cli(['network', 'rm', 'cn']);
      await d.finish();
    }
    await reg?.stop();
  });

  test('a stopped container connected with an alias joins at start, and stays connected across stop/start and a daemon restart', async () => {
    await ok('network', 'create', 'cn');
    await ok('run', '-d', '--name', 'peer', '--network', 'cn', image, 'sleep', '600');
    await ok('run', '-d', '--name', 's1', image, 'sleep', '600');
    await ok('stop', '-t', '0', 's1');
    await ok('network', 'connect', '--alias', 'sa', 'cn', 's1');
    assert.equal(await ipOf('s1', 'cn'), undefined, 'a stopped container holds no address (network inspect lists running ones)');
    const again = await d.cli(['network', 'connect', 'cn', 's1']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already connected/);
    await ok('start', 's1');
    await reachable('s1', 's1');
    await reachable('sa', 's1');
    assert.match(await exec('s1', ['ip', 'link']), /eth1/, 'the connection is a second interface');
    assert.match(await exec('s1', ['ip', 'route']), /default/, 'its first network keeps the default route');
    // stop/start: the connection is kept and plugged again.
    await ok('stop', '-t', '0', 's1');
    await until('s1 gone from cn', async () => (await resolves('peer', 's1')).length === 0, 5000);
    await ok('start', 's1');
    await reachable('sa', 's1');
    // A daemon restart while it runs, then while it is stopped.
    await d.stop({ keepData: true });
    d = await startDaemon({ dataDir: d.dataDir });
    await reachable('sa', 's1');
    await ok('stop', '-t', '0', 's1');
    await d.stop({ keepData: true });
    d = await startDaemon({ dataDir: d.dataDir });
    await ok('start', 's1');
    await reachable('sa', 's1');
  });

  test('disconnect of a stopped container: it starts without the network; a created container can be connected before its first start', async () => {
    await ok('stop', '-t', '0', 's1');
    await ok('network', 'disconnect', 'cn', 's1');
    const twice = await d.cli(['network', 'disconnect', 'cn', 's1']);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /not connected/);
    await ok('start', 's1');
    assert.equal(await ipOf('s1', 'cn'), undefined);
    assert.doesNotMatch(await exec('s1', ['ip', 'link']), /eth1/);
    assert.deepEqual(await resolves('peer', 'sa'), []);
    await ok('create', '--name', 'c1', image, 'sleep', '600');
    await ok('network', 'connect', 'cn', 'c1');
    await ok('start', 'c1');
    await reachable('c1', 'c1');
  });

  test('docker network connect of a created container (what docker-compose does for a second network), then removal forgets it', async () => {
    const docker = (...args: string[]) => client(dockerBin, args, socketOf(d));
    assert.equal((await docker('create', '--name', 'dk', image, 'sleep', '600')).code, 0);
    const c = await docker('network', 'connect', '--alias', 'dka', 'cn', 'dk');
    assert.equal(c.code, 0, c.stderr);
    assert.equal((await docker('start', 'dk')).code, 0);
    await reachable('dka', 'dk');
    const id = (await docker('inspect', '-f', '{{.Id}}', 'dk')).stdout.trim();
    assert.equal((await docker('stop', '-t', '0', 'dk')).code, 0);
    const kept = () => readFile(path.join(d.dataDir, 'modules', 'llmos.network.v1.cni', 'user-networks.json'), 'utf8');
    assert.ok((await kept()).includes(id), 'the stopped container keeps its connection');
    assert.equal((await docker('rm', 'dk')).code, 0);
    // Removed while stopped: the recorded connection goes with it.
    await until('dk forgotten', async () => !(await kept()).includes(id), 5000);
    await d.removeContainers();
    const rm = await d.cli(['network', 'rm', 'cn']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(await listUserNetworkLeaks(d.dataDir), []);
  });
});
