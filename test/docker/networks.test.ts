// [docker-api] User-defined networks through the real docker CLI 20.10: `docker network` commands
// and `docker run --network --network-alias` (the docker-compose project is in compose.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { assertNoLeaks } from '../support/leaks.js';
import { pushBusyboxImage, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import { client, dockerBin, dockerSkip, socketOf } from './support.js';

const skip = dockerSkip() || (!existsSync('/usr/sbin/dnsmasq') ? 'dnsmasq missing' : false);

/** The address busybox nslookup printed for the name (empty when it did not resolve). */
const lookup = (out: string): string => /Name:[\s\S]*?Address(?: \d+)?:\s*([\d.]+)/.exec(out)?.[1] ?? '';

describe('[docker-api] user networks through the docker CLI', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  let sock: string;
  const docker = (...args: string[]) => client(dockerBin, args, sock);

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/busybox')).ref;
    d = await startDaemon();
    sock = socketOf(d);
  });
  after(async () => {
    if (d) {
      const ps = await docker('ps', '-aq').catch(() => undefined);
      for (const id of ps?.stdout.split('\n').filter(Boolean) ?? []) await docker('rm', '-f', id);
      for (const n of ['dn1', 'dn2']) await docker('network', 'rm', n);
      await d.stop({ keepData: true });
      await assertNoLeaks(d.dataDir);
    }
    await reg?.stop();
  });

  test('docker network create/ls/inspect/connect/disconnect/rm/prune, run --network --network-alias', async () => {
    const created = await docker('network', 'create', '--subnet', '10.92.5.0/24', '--gateway', '10.92.5.1', '--label', 'team=a', 'dn1');
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout.trim(), /^[0-9a-f]{64}$/);
    assert.equal((await docker('network', 'create', '--internal', 'dn2')).code, 0);
    const dup = await docker('network', 'create', 'dn1');
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    assert.match((await docker('network', 'create', '-d', 'overlay', 'x')).stderr, /not supported by LLMOS/);
    const ls = (await docker('network', 'ls', '--format', '{{.Name}} {{.Driver}}')).stdout.split('\n').filter(Boolean);
    assert.deepEqual(ls.sort(), ['bridge bridge', 'dn1 bridge', 'dn2 bridge', 'host host', 'none null']);
    assert.deepEqual((await docker('network', 'ls', '--filter', 'label=team=a', '--format', '{{.Name}}')).stdout.trim(), 'dn1');
    assert.equal((await docker('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Internal}} {{.Labels.team}}', 'dn1')).stdout.trim(), '10.92.5.0/24 10.92.5.1 false a');
    assert.equal((await docker('network', 'inspect', '-f', '{{.Internal}}', 'dn2')).stdout.trim(), 'true');
    assert.match((await docker('network', 'inspect', 'nope')).stderr, /No such network: nope|not found/);

    assert.equal((await docker('run', '-d', '--name', 'srv', '--network', 'dn1', '--network-alias', 'db', image, 'sleep', '300')).code, 0);
    assert.equal((await docker('run', '-d', '--name', 'cli1', '--network', 'dn1', image, 'sleep', '300')).code, 0);
    assert.equal((await docker('run', '-d', '--name', 'outside', image, 'sleep', '300')).code, 0);
    const srvIp = (await docker('inspect', '-f', '{{.NetworkSettings.Networks.dn1.IPAddress}}', 'srv')).stdout.trim();
    assert.match(srvIp, /^10\.92\.5\.\d+$/);
    assert.match((await docker('inspect', '-f', '{{.HostConfig.NetworkMode}} {{.NetworkSettings.Networks.dn1.Aliases}}', 'srv')).stdout, /^dn1 \[db [0-9a-f]{12}\]/);
    for (const name of ['srv', 'db']) assert.equal(lookup((await docker('exec', 'cli1', 'nslookup', name)).stdout), srvIp, name);
    assert.equal(lookup((await docker('exec', 'outside', 'nslookup', 'srv')).stdout), '', 'the default bridge does not see dn1');
    assert.match((await docker('network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', 'dn1')).stdout, /srv/);

    assert.equal((await docker('network', 'connect', '--alias', 'visitor', 'dn1', 'outside')).code, 0);
    const visIp = await until('outside on dn1', async () => (await docker('inspect', '-f', '{{.Name}}', 'outside')).code === 0 && lookup((await docker('exec', 'cli1', 'nslookup', 'visitor')).stdout), 5000);
    assert.match(visIp, /^10\.92\.5\./);
    assert.equal((await docker('network', 'disconnect', 'dn1', 'outside')).code, 0);
    await until('visitor gone', async () => lookup((await docker('exec', 'cli1', 'nslookup', 'visitor')).stdout) === '', 5000);

    const busy = await docker('network', 'rm', 'dn1');
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /active endpoints/);
    assert.equal((await docker('rm', '-f', 'srv', 'cli1', 'outside')).code, 0);
    const pruned = await docker('network', 'prune', '-f');
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.match(pruned.stdout, /dn1[\s\S]*dn2|dn2[\s\S]*dn1/);
    assert.deepEqual((await docker('network', 'ls', '--format', '{{.Name}}')).stdout.split('\n').filter(Boolean).sort(), ['bridge', 'host', 'none']);
  });
});
