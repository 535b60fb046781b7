// [docker-api] User-defined networks through the real clients: `docker network` commands of the
// docker CLI 20.10, `docker run --network --network-alias`, and a docker-compose 1.29 project of
// three services (web -> api -> store, each finding the next by its service name through the
// network's DNS, the store keeping its value in a named volume) brought up, checked by real
// traffic and torn down with `down -v`, leaving no network, volume or host object behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { assertNoLeaks, listUserNetworkLeaks } from '../support/leaks.js';
import { freePort, pushBusyboxImage, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import { client, composeBin, dockerBin, dockerSkip, socketOf } from './support.js';

const skip = dockerSkip() || (!existsSync('/usr/sbin/dnsmasq') ? 'dnsmasq missing' : false);

/** The address busybox nslookup printed for the name (empty when it did not resolve). */
const lookup = (out: string): string => /Name:[\s\S]*?Address(?: \d+)?:\s*([\d.]+)/.exec(out)?.[1] ?? '';

/** A CGI script that asks the next tier (by service name) and prefixes its answer. */
const relay = (tier: string, next: string, nextPath: string) => `#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
ip=$(nslookup ${next} 2>/dev/null | sed -n '/^Name:/,$ s/^Address[^:]*: *//p' | tail -n 1)
[ -n "$ip" ] || { echo "${tier}: cannot resolve ${next}"; exit 0; }
printf 'GET ${nextPath}?%s HTTP/1.0\\r\\n\\r\\n' "$QUERY_STRING" | nc -w 3 "$ip" 80 | sed '1,/^\\r*$/d' | sed 's/^/${tier}: /'
`;

const storeCgi = `#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
case "$QUERY_STRING" in set=*) echo "\${QUERY_STRING#set=}" > /data/value ;; esac
echo "store: $(cat /data/value 2>/dev/null)"
`;

describe('[docker-api] user networks through the docker CLI and docker-compose', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  let sock: string;
  let tmp: string;
  const docker = (...args: string[]) => client(dockerBin, args, sock);

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/busybox')).ref;
    d = await startDaemon();
    sock = socketOf(d);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-docker-networks-'));
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
    if (tmp) await rm(tmp, { recursive: true, force: true });
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

  test('docker-compose: three services talk by service name on the project network, with a named volume; down -v leaves nothing', { skip: !existsSync(composeBin) && 'docker-compose missing' }, async () => {
    const port = await freePort();
    for (const [dir, name, text] of [
      ['store', 'kv', storeCgi],
      ['api', 'get', relay('api', 'store', '/cgi-bin/kv')],
      ['web', 'page', relay('web', 'api', '/cgi-bin/get')],
    ] as const) {
      await mkdir(path.join(tmp, dir, 'cgi-bin'), { recursive: true });
      await writeFile(path.join(tmp, dir, 'cgi-bin', name), text);
      await chmod(path.join(tmp, dir, 'cgi-bin', name), 0o755);
    }
    await writeFile(
      path.join(tmp, 'docker-compose.yml'),
      `version: "3.8"
services:
  web:
    image: ${image}
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    ports: ["127.0.0.1:${port}:80"]
    volumes: ["./web:/www:ro"]
  api:
    image: ${image}
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    volumes: ["./api:/www:ro"]
  store:
    image: ${image}
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    volumes: ["./store:/www:ro", "storedata:/data"]
volumes:
  storedata: {}
`,
    );
    const compose = (...args: string[]) => client(composeBin, ['-p', 'h17n', ...args], sock, { cwd: tmp, timeoutMs: 120_000 });
    const page = async (q: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/cgi-bin/page?${q}`).catch(() => undefined);
      return res?.ok ? await res.text() : '';
    };
    const up = await compose('up', '-d');
    let downDone = false;
    try {
      assert.equal(up.code, 0, up.stderr);
      assert.match((await docker('network', 'ls', '--format', '{{.Name}}')).stdout, /^h17n_default$/m);
      assert.equal((await docker('inspect', '-f', '{{.HostConfig.NetworkMode}}', 'h17n_api_1')).stdout.trim(), 'h17n_default');
      // web -> api -> store, each by its service name; the value goes through all three tiers.
      const first = await until('the three tiers answer', async () => /web: api: store:/.test(await page('x=1')) && page('x=1'), 30_000);
      assert.equal(first.trim(), 'web: api: store:');
      assert.equal((await page('set=hello')).trim(), 'web: api: store: hello');
      assert.equal((await page('x=2')).trim(), 'web: api: store: hello');
      assert.equal((await docker('exec', 'h17n_store_1', 'cat', '/data/value')).stdout.trim(), 'hello');
      assert.match((await docker('volume', 'ls', '-q')).stdout, /h17n_storedata/);
      const down = await compose('down', '-v');
      downDone = true;
      assert.equal(down.code, 0, down.stderr);
      assert.equal((await docker('ps', '-aq')).stdout, '');
      assert.deepEqual((await docker('network', 'ls', '--format', '{{.Name}}')).stdout.split('\n').filter(Boolean).sort(), ['bridge', 'host', 'none']);
      assert.equal((await docker('volume', 'ls', '-q')).stdout, '');
      assert.deepEqual(await listUserNetworkLeaks(d.dataDir), []);
    } finally {
      if (!downDone) await compose('down', '-v');
    }
  });
});
