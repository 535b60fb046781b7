// End to end: the guestbook of kubernetes/examples (fixtures/guestbook.yaml) applied with
// `llmos apply -f` on a real daemon, with real redis from Debian's packages. The followers
// replicate from the leader by its service name, and the frontend writes through redis-leader
// and reads from redis-follower, both by name, reached from the host through its NodePort.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot, startDaemon, type TestDaemon } from '../support/daemon.js';
import { freePort } from '../support/registry.js';
import type { ServiceStatus } from '../../src/contracts/services.js';
import { untilNoLeaks } from '../support/leaks.js';
import { until } from '../support/until.js';
import { debianImageSkipReason, debianRootfs } from './debian-image.js';

const skip = !existsSync('/usr/sbin/runc') || !existsSync('/usr/sbin/dnsmasq') ? 'runc or dnsmasq missing' : debianImageSkipReason();

describe('the Kubernetes guestbook works end to end', { skip, concurrency: false, timeout: 20 * 60_000 }, () => {
  let d: TestDaemon;
  let manifest = '';
  let nodePort = 0;

  const inspect = async (name: string) => (await d.api<ServiceStatus>('GET', `/v1/services/${name}`)).body;
  const ready = (name: string, n: number) => until(`${name}: ${n} ready`, async () => (await inspect(name)).readyReplicas === n, 120_000);
  const guestbook = async (query: string) => {
    const r = await fetch(`http://127.0.0.1:${nodePort}/cgi-bin/guestbook?${query}`, { signal: AbortSignal.timeout(10_000) });
    return (await r.json()) as { message?: string; data?: string; served_by?: string };
  };

  before(async () => {
    const tar = await debianRootfs();
    d = await startDaemon();
    const imp = await d.cli(['import', tar, 'guestbook-debian:local'], { timeoutMs: 300_000 });
    assert.equal(imp.code, 0, imp.stderr);
    nodePort = await freePort();
    const text = await readFile(path.join(projectRoot, 'test/services/fixtures/guestbook.yaml'), 'utf8');
    manifest = text.replaceAll('__IMAGE__', 'guestbook-debian:local').replaceAll('__NODE_PORT__', String(nodePort));
  });

  after(async () => {
    if (!d) return;
    await d.cli(['delete', '-f', '-'], { input: manifest });
    await untilNoLeaks(d.dataDir, {}, 60_000);
    await d.stop();
  });

  test('apply the manifests; every tier becomes ready', async () => {
    const r = await d.cli(['apply', '-f', '-'], { input: manifest });
    assert.equal(r.code, 0, r.stderr);
    await ready('redis-leader', 1);
    await ready('redis-follower', 2);
    await ready('frontend', 3);
  });

  test('the followers replicate from the leader by its service name', async () => {
    const followers = (await inspect('redis-follower')).replicaStatus;
    for (const f of followers) {
      const info = await until(`${f.name} linked to its leader`, async () => {
        const r = await d.cli(['exec', f.name, 'redis-cli', 'info', 'replication']);
        return /master_link_status:up/.test(r.stdout) && r.stdout;
      }, 60_000);
      assert.match(info, /master_host:redis-leader/);
    }
  });

  test('the frontend writes through the leader and reads from the followers', async () => {
    const value = `hello-${Date.now()}`;
    assert.deepEqual(await guestbook(`cmd=set&key=guestbook&value=${value}`), { message: 'Updated' });
    // Reads go to redis-follower (a ClusterIP balanced over both followers): each sees the write once replicated.
    const seenBy = new Set<string>();
    await until('the value read back through the followers from every frontend replica', async () => {
      const g = await guestbook('cmd=get&key=guestbook');
      if (g.data === value && g.served_by) seenBy.add(g.served_by);
      return seenBy.size === 3;
    }, 60_000, 50);
    // The leader has it; the frontends never talked to it for reads (followers are read-only replicas).
    const leader = (await inspect('redis-leader')).replicaStatus[0]!;
    assert.equal((await d.cli(['exec', leader.name, 'redis-cli', 'get', 'guestbook'])).stdout.trim(), value);
    const follower = (await inspect('redis-follower')).replicaStatus[0]!;
    const ro = await d.cli(['exec', follower.name, 'redis-cli', 'set', 'x', '1']);
    assert.match(ro.stdout, /READONLY/);
  });
});
