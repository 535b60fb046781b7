// [docker-api] Names on networks as Docker has them: the default bridge resolves no container
// names (only user networks do; service names still answer there), and a container on a user
// network stopped and started again, many times and through both CLIs, is back in the network's
// record and its DNS each time start returns; a default-bridge container connected while stopped
// and renamed joins under its new name.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { UserNetworkInfo } from '../../src/contracts/user-networks.js';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import { client, dockerBin, dockerSkip, socketOf } from './support.js';

const skip = dockerSkip() || (!existsSync('/usr/sbin/dnsmasq') ? 'dnsmasq missing' : false);

/** The addresses busybox nslookup printed for the name (after the server's own lines). */
function addresses(out: string): string[] {
  const i = out.indexOf('Name:');
  return i < 0 ? [] : [...out.slice(i).matchAll(/Address(?: \d+)?:\s*([\d.]+)/g)].map((m) => m[1]!).sort();
}

describe('[docker-api] container names: none on the default bridge, back after each start on a user network', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  let sock: string;
  const docker = (...args: string[]) => client(dockerBin, args, sock);
  const ok = async (p: Promise<{ code: number; stderr: string }>) => {
    const r = await p;
    assert.equal(r.code, 0, r.stderr);
  };
  const resolves = async (ctr: string, name: string) => addresses((await d.cli(['exec', ctr, 'timeout', '3', 'nslookup', name])).stdout);
  const net = async (name: string) => (await d.api<UserNetworkInfo>('GET', `/v1/networks/${name}`)).body;

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/busybox-names', { cmd: ['/bin/sh'] })).ref;
    d = await startDaemon();
    sock = socketOf(d);
    await ok(d.cli(['pull', image]));
  });
  after(async () => {
    if (d) {
      await d.removeContainers();
      await d.cli(['network', 'rm', 'nn1']);
      await d.finish();
    }
    await reg?.stop();
  });

  test('the default bridge: containers do not resolve each other by name (llmos and docker run), as with dockerd', async () => {
    await ok(d.cli(['run', '-d', '--name', 'bA', image, 'sh', '-c', 'mkdir /www && echo page-of-bA > /www/index.html && exec httpd -f -p 80 -h /www']));
    await ok(d.cli(['run', '-d', '--name', 'bB', image, 'sleep', '600']));
    await ok(docker('run', '-d', '--name', 'dA', image, 'sleep', '600'));
    const ipA = (await docker('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'bA')).stdout.trim();
    assert.match(ipA, /^\d+\.\d+\.\d+\.\d+$/);
    // The container reaches the other by address (the same bridge), only the name is unknown.
    await until('bB reaches bA by address', async () => (await d.cli(['exec', 'bB', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ipA} 80`])).stdout.includes('page-of-bA'), 10_000);
    for (const [from, name] of [['bB', 'bA'], ['bB', 'dA'], ['dA', 'bB'], ['bA', 'bA.llmos.local']] as const) assert.deepEqual(await resolves(from, name), [], `${from} resolves ${name}`);
    const r = await docker('exec', 'bB', 'nslookup', 'dA');
    assert.notEqual(r.code, 0, 'docker exec nslookup of a default-bridge name fails');
    await ok(d.cli(['rm', '-f', 'bA', 'bB', 'dA']));
  });

  test('a user network: after each stop and start (llmos, docker, docker restart) the record and the name are back', async () => {
    await ok(d.cli(['network', 'create', 'nn1']));
    await ok(d.cli(['run', '-d', '--name', 'peer', '--network', 'nn1', image, 'sleep', '600']));
    await ok(d.cli(['run', '-d', '--name', 'cyc', '--network', 'nn1', '--network-alias', 'cyc-alias', image, 'sleep', '600']));
    const cycId = (await docker('inspect', '-f', '{{.Id}}', 'cyc')).stdout.trim();
    const ways: Array<() => Promise<void>> = [
      async () => (await ok(d.cli(['stop', '-t', '0', 'cyc'])), await ok(d.cli(['start', 'cyc']))),
      async () => (await ok(docker('stop', '-t', '0', 'cyc')), await ok(docker('start', 'cyc'))),
      async () => ok(docker('restart', '-t', '0', 'cyc')),
      async () => ok(d.cli(['restart', '-t', '0', 'cyc'])),
    ];
    for (let i = 0; i < 8; i++) {
      if (i % 2) {
        await ok(d.cli(['stop', '-t', '0', 'cyc']));
        // Asked while it is down (nothing answers), then started: the name must not stay unknown.
        assert.deepEqual(await resolves('peer', 'cyc'), [], `round ${i}: no answer while stopped`);
        assert.equal((await net('nn1')).containers[cycId], undefined, `round ${i}: no record while stopped`);
        await ok(d.cli(['start', 'cyc']));
      } else await ways[(i / 2) % ways.length]!();
      // When start returns the endpoint is in place (Docker's start returns after the network is joined).
      const rec = (await net('nn1')).containers[cycId];
      assert.ok(rec?.ip, `round ${i}: the network record is back: ${JSON.stringify((await net('nn1')).containers)}`);
      assert.equal((await docker('inspect', '-f', '{{.NetworkSettings.Networks.nn1.IPAddress}}', 'cyc')).stdout.trim(), rec.ip, `round ${i}: docker inspect`);
      await until(`round ${i}: the name answers with the new address`, async () => {
        const [a, b] = await Promise.all([resolves('peer', 'cyc'), resolves('peer', 'cyc-alias')]);
        return a.join() === rec.ip && b.join() === rec.ip;
      }, 10_000, 100);
    }
    // A default-bridge container connected while stopped, renamed, then started: its user-network
    // record has the new name (and the default bridge still has no name for it).
    await ok(d.cli(['run', '-d', '--name', 'cx', image, 'sleep', '600']));
    await ok(d.cli(['stop', '-t', '0', 'cx']));
    await ok(d.cli(['network', 'connect', 'nn1', 'cx']));
    await ok(d.cli(['rename', 'cx', 'cx2']));
    await ok(d.cli(['start', 'cx2']));
    const cx = Object.values((await net('nn1')).containers).find((c) => c.name === 'cx2');
    assert.ok(cx?.ip, `connected under its new name: ${JSON.stringify((await net('nn1')).containers)}`);
    await until('cx2 answers on nn1', async () => (await resolves('peer', 'cx2')).join() === cx.ip, 10_000, 100);
    assert.deepEqual(await resolves('peer', 'cx'), []);
    await ok(d.cli(['rm', '-f', 'peer', 'cyc', 'cx2']));
    await ok(d.cli(['network', 'rm', 'nn1']));
  });
});
