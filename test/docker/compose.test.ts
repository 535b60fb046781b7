// [docker-api] A docker-compose 1.29 project through the socket: three services (web -> api ->
// store, each finding the next by its service name through the project network's DNS, the store
// keeping its value in a named volume) brought up and checked by real traffic; `restart` keeps the
// value and the names; a second `up` with an unchanged file recreates nothing; `down -v` leaves no
// container, network, volume or host object behind.
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

const skip = dockerSkip() || (!existsSync('/usr/sbin/dnsmasq') ? 'dnsmasq missing' : false) || (!existsSync(composeBin) ? 'docker-compose missing' : false);

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

describe('[docker-api] a docker-compose project', { skip, concurrency: false }, () => {
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
    tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-docker-compose-'));
  });
  after(async () => {
    if (d) {
      const ps = await docker('ps', '-aq').catch(() => undefined);
      for (const id of ps?.stdout.split('\n').filter(Boolean) ?? []) await docker('rm', '-f', id);
      await d.stop({ keepData: true });
      await assertNoLeaks(d.dataDir);
    }
    await reg?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('docker-compose: three services talk by service name with a named volume; restart, a second up recreates nothing; down -v leaves nothing', async () => {
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
      const ids = async () => (await docker('ps', '-q', '--no-trunc')).stdout.split('\n').filter(Boolean).sort();
      const before = await ids();
      assert.equal(before.length, 3);
      // restart: the same containers, stopped and started; names resolve again and the volume kept the value.
      const restarted = await compose('restart', '-t', '1');
      assert.equal(restarted.code, 0, restarted.stderr);
      assert.deepEqual(await ids(), before);
      assert.equal((await until('the tiers answer after restart', async () => /store: hello/.test(await page('x=3')) && page('x=3'), 30_000)).trim(), 'web: api: store: hello');
      // A second up with the same file: nothing is recreated.
      const again = await compose('up', '-d');
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /h17n_store_1 is up-to-date/);
      assert.doesNotMatch(again.stderr, /Recreating|Creating h17n_/);
      assert.deepEqual(await ids(), before);
      assert.equal((await page('x=4')).trim(), 'web: api: store: hello');
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
