// Docker parity: health checks (--health-cmd, --health-interval, --health-retries,
// --health-timeout, --health-start-period, --no-healthcheck) through `llmos` and the docker CLI,
// with real runc and conmon: starting -> healthy -> unhealthy with a log of the last results, in
// inspect, ps ("(healthy)") and Docker's State.Health; a check that hangs is killed at its
// timeout with what it started (no exec process left behind).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import { client, dockerBin, dockerSkip, socketOf } from '../docker/support.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('docker parity: health checks', { skip: dockerSkip(), concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  let sock: string;
  const docker = (...args: string[]) => client(dockerBin, args, sock);
  const inspect = async (name: string): Promise<J> => {
    const r = await d.cli(['inspect', name]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as J[])[0]!;
  };

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/health', { cmd: ['/bin/sh'] })).ref;
    d = await startDaemon();
    sock = socketOf(d);
  });
  after(async () => {
    await d?.finish();
    await reg?.stop();
  });

  test('starting, then healthy, then unhealthy after --health-retries failures; inspect, ps and the log show it', async () => {
    // Failing checks in the start period do not count: it stays "starting" until /tmp/ok is made.
    const r = await d.cli(['run', '-d', '--name', 'h1', '--health-cmd', 'test -f /tmp/ok && echo fine', '--health-interval', '300ms', '--health-retries', '2', '--health-start-period', '6s', image, 'sh', '-c', 'sleep 4; touch /tmp/ok; exec sleep 600']);
    assert.equal(r.code, 0, r.stderr);
    const first = await until('a failed check in the start period', async () => {
      const x = await inspect('h1');
      return x.health?.log.length ? x : undefined;
    });
    assert.equal(first.health.status, 'starting', JSON.stringify(first.health));
    assert.equal(first.health.failingStreak, 0, 'failures in the start period do not count');
    assert.equal(first.health.log[0].exitCode, 1);
    assert.match(first.status, /\(health: starting\)/);
    await until('healthy', async () => (await inspect('h1')).health?.status === 'healthy');
    const ok = await inspect('h1');
    assert.equal(ok.health.failingStreak, 0);
    assert.equal(ok.health.log.at(-1).exitCode, 0);
    assert.equal(ok.health.log.at(-1).output, 'fine\n');
    assert.match((await d.cli(['ps'])).stdout, /Up .*\(healthy\)/);
    assert.equal((await d.cli(['exec', 'h1', 'rm', '/tmp/ok'])).code, 0);
    await until('unhealthy', async () => (await inspect('h1')).health?.status === 'unhealthy');
    const bad = await inspect('h1');
    assert.ok(bad.health.failingStreak >= 2, JSON.stringify(bad.health));
    assert.equal(bad.health.log.at(-1).exitCode, 1);
    assert.ok(bad.health.log.length <= 5, 'the last 5 results are kept');
    assert.match((await d.cli(['ps'])).stdout, /\(unhealthy\)/);
    const ev = await d.api<J>('GET', '/v1/events');
    assert.ok(JSON.stringify(ev.body).includes('health_status'), 'health changes are events');
    assert.equal((await d.cli(['rm', '-f', 'h1'])).code, 0);
  });

  test('a check that hangs is killed at --health-timeout, with the processes it started', async () => {
    const r = await d.cli(['run', '-d', '--name', 'h2', '--health-cmd', 'sleep 100 & sleep 101', '--health-timeout', '300ms', '--health-interval', '2s', '--health-retries', '1', image, 'sleep', '600']);
    assert.equal(r.code, 0, r.stderr);
    await until('unhealthy', async () => (await inspect('h2')).health?.status === 'unhealthy');
    const h = (await inspect('h2')).health;
    assert.match(h.log.at(-1).output, /exceeded timeout/);
    // The next check starts 2 s after this one ended: nothing of it may be running now.
    const top = await d.cli(['container', 'top', 'h2']);
    assert.equal(top.code, 0, top.stderr);
    assert.doesNotMatch(top.stdout, /sleep 10[01]/, top.stdout);
    assert.equal((await d.cli(['rm', '-f', 'h2'])).code, 0);
  });

  test('docker run --health-cmd: State.Health and docker ps status; --no-healthcheck; flag errors are one line', async () => {
    const r = await docker('run', '-d', '--name', 'h3', '--health-cmd', 'true', '--health-interval', '300ms', image, 'sleep', '600');
    assert.equal(r.code, 0, r.stderr);
    await until('healthy', async () => (await docker('inspect', '-f', '{{.State.Health.Status}}', 'h3')).stdout.trim() === 'healthy');
    assert.equal((await docker('inspect', '-f', '{{(index .State.Health.Log 0).ExitCode}}', 'h3')).stdout.trim(), '0');
    assert.match((await docker('ps', '--filter', 'name=h3', '--format', '{{.Status}}')).stdout, /^Up .*\(healthy\)/);
    assert.equal((await docker('rm', '-f', 'h3')).code, 0);
    assert.equal((await d.cli(['run', '-d', '--name', 'h4', '--no-healthcheck', image, 'sleep', '600'])).code, 0);
    assert.equal((await inspect('h4')).health, undefined);
    assert.equal((await d.cli(['rm', '-f', 'h4'])).code, 0);
    for (const args of [['--no-healthcheck', '--health-cmd', 'true'], ['--no-healthcheck', '--health-interval', '1s'], ['--health-cmd', 'true', '--health-interval', '5']]) {
      const bad = await d.cli(['run', '--rm', ...args, image, 'true']);
      assert.equal(bad.code, 1, args.join(' '));
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    }
  });
});
