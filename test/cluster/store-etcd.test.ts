// `llmos up --store etcd://...`: the control plane on a real etcd (Debian's etcd-server). The daemon
// boots, serves the API and runs a busybox httpd service through runc/conmon/CNI as on SQLite; its
// state is in etcd (a second daemon on another data dir reads it); a bad or unreachable store
// refuses boot with one line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli, startDaemon, type TestDaemon } from '../support/daemon.js';
import { startEtcd, type TestEtcd } from '../support/etcd.js';
import { freePort, pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { assertNoLeaks, untilNoLeaks } from '../support/leaks.js';
import { until } from '../support/until.js';
import type { ModuleStatus } from '../../src/contracts/system.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : false);
const httpdCmd = ['/bin/sh', '-c', 'mkdir -p /www && echo "replica $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'];

describe('the state store on etcd (--store etcd://)', { skip, concurrency: false }, () => {
  let etcd: TestEtcd;
  let reg: TestRegistry;
  let d: TestDaemon;
  let store: string;
  before(async () => {
    etcd = await startEtcd(1);
    reg = await startRegistry();
    store = `etcd://${etcd.endpoints.map((e) => new URL(e).host).join(',')}`;
  });
  after(async () => {
    if (d) {
      await d.cli(['service', 'rm', 'etcdweb']).catch(() => undefined);
      await d.removeContainers();
      await d.stop();
      await untilNoLeaks(d.dataDir);
    }
    await reg?.stop();
    await etcd?.stop();
  });

  test('a daemon on etcd boots, says so, and runs a 2-replica service as on SQLite', { timeout: 180_000 }, async () => {
    const image = (await pushBusyboxImage(reg, 'test/busybox', { tag: '1' })).ref;
    d = await startDaemon({ args: ['--store', store] });
    const mods = JSON.parse((await d.cli(['modules', '--json'])).stdout) as ModuleStatus[];
    const st = mods.find((m) => m.name === 'state-store');
    assert.equal(st?.state, 'loaded');
    assert.match(st!.uri, /\.etcd$/);
    assert.match(d.output(), /store etcd at revision/);
    const port = await freePort();
    const r = await d.cli(['service', 'create', 'etcdweb', '--image', image, '--replicas', '2', '-p', `${port}:80`, '--health-http', '/', '--health-interval', '1', '--', ...httpdCmd], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const seen = await until('both replicas answer on the published port', async () => {
      const names = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const body = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) }).then((x) => x.text(), () => '');
        if (body.startsWith('replica ')) names.add(body.trim());
      }
      return names.size === 2 ? names : undefined;
    }, 90_000, 300);
    assert.equal(seen.size, 2);
  });

  test('the state is in etcd: a second daemon on another data dir reads what the first one wrote', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-etcd-2-'));
    // The first daemon keeps running; the second only reads (no services or containers of its own to reconcile).
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ modules: { services: { enabled: false }, containers: { enabled: false }, autoscaler: { enabled: false } } }));
    const second = await startDaemon({ dataDir: dir, args: ['--store', store, '--profile', 'edge'] });
    try {
      // A join token made on the first daemon is listed by the second (the cluster module reads the store).
      const made = await d.cli(['token', 'create', '--json', '--description', 'from-the-first']);
      assert.equal(made.code, 0, made.stderr);
      const ls = await second.cli(['token', 'ls', '--json']);
      assert.equal(ls.code, 0, ls.stderr);
      assert.deepEqual((JSON.parse(ls.stdout) as Array<{ id: string; description: string }>).map((t) => [t.id, t.description]), [[(JSON.parse(made.stdout) as { id: string }).id, 'from-the-first']]);
    } finally {
      await second.stop();
      await assertNoLeaks(dir);
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a malformed --store, a join token without --join and an unreachable etcd each refuse boot with one line', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-etcd-bad-'));
    try {
      const bad = await runCli(['up', '--data-dir', dir, '--listen', '127.0.0.1:0', '--gateway', '127.0.0.1:0', '--store', 'mysql://x']);
      assert.equal(bad.code, 1);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
      assert.match(bad.stderr, /--store "mysql:\/\/x": expected sqlite or etcd:\/\//);
      const stray = await runCli(['up', '--data-dir', dir, '--listen', '127.0.0.1:0', '--gateway', '127.0.0.1:0', '--token', 'K10x']);
      assert.equal(stray.code, 1);
      assert.equal(stray.stderr.trim(), 'llmos: --token and --node-name go with --join https://SERVER:PORT');
      const gone = await runCli(['up', '--data-dir', dir, '--listen', '127.0.0.1:0', '--gateway', '127.0.0.1:0', '--store', `etcd://127.0.0.1:${await freePort()}`], { timeoutMs: 45_000 });
      assert.equal(gone.code, 1);
      assert.equal(gone.stderr.trim().split('\n').length, 1, gone.stderr);
      assert.match(gone.stderr, /store unavailable/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
