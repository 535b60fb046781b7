// [docker-api] An image's own HEALTHCHECK (Docker's config.Healthcheck: Test, Interval, Timeout,
// Retries, StartPeriod in ns), with a real registry, runc and conmon: it runs when `run` gives no
// health flags (llmos and the docker CLI), --no-healthcheck disables it, flags override its
// fields one by one as Docker merges them; and a daemon SIGKILLed and restarted keeps each
// re-adopted container's health status and log, and goes on checking.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import { client, dockerBin, dockerSkip, socketOf } from './support.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const manifestTypes = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';

/** Rewrites a pushed image's config blob with a Docker Healthcheck (as `docker build` writes one) and re-tags the manifest. */
async function addHealthcheck(reg: TestRegistry, name: string, tag: string, healthcheck: J): Promise<string> {
  const base = `${reg.url}/v2/${name}`;
  const m = await fetch(`${base}/manifests/${tag}`, { headers: { accept: manifestTypes } });
  assert.equal(m.status, 200);
  const manifest = (await m.json()) as J;
  const config = (await (await fetch(`${base}/blobs/${manifest.config.digest}`)).json()) as J;
  config.config = { ...config.config, Healthcheck: healthcheck };
  const blob = Buffer.from(JSON.stringify(config));
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
  const up = await fetch(`${base}/blobs/uploads/`, { method: 'POST' });
  assert.equal(up.status, 202);
  const loc = new URL(up.headers.get('location')!, reg.url);
  loc.searchParams.set('digest', digest);
  assert.equal((await fetch(loc, { method: 'PUT', body: blob, headers: { 'content-type': 'application/octet-stream' } })).status, 201);
  manifest.config = { ...manifest.config, digest, size: blob.length };
  const put = await fetch(`${base}/manifests/${tag}`, { method: 'PUT', body: JSON.stringify(manifest), headers: { 'content-type': manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(put.status, 201, await put.text());
  return `${reg.host}/${name}:${tag}`;
}

describe('[docker-api] the image HEALTHCHECK, and health across a daemon restart', { skip: dockerSkip(), concurrency: false }, () => {
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
    await pushBusyboxImage(reg, 'test/health-image', { cmd: ['/bin/sh'] });
    // 300 ms between checks, 2 failures for unhealthy; the check passes once /tmp/ok exists.
    image = await addHealthcheck(reg, 'test/health-image', 'latest', { Test: ['CMD-SHELL', 'test -f /tmp/ok && echo image-check'], Interval: 300e6, Timeout: 5e9, Retries: 2 });
    d = await startDaemon();
    sock = socketOf(d);
    assert.equal((await d.cli(['pull', image])).code, 0);
  });
  after(async () => {
    await d?.finish();
    await reg?.stop();
  });

  test("no health flags: the image's check runs; healthy in llmos ps/inspect and docker inspect State.Health", async () => {
    const r = await d.cli(['run', '-d', '--name', 'img1', image, 'sh', '-c', 'touch /tmp/ok; exec sleep 600']);
    assert.equal(r.code, 0, r.stderr);
    await until('healthy', async () => (await inspect('img1')).health?.status === 'healthy');
    const x = await inspect('img1');
    assert.equal(x.health.log.at(-1).output, 'image-check\n');
    assert.deepEqual(x.spec.healthcheck, { test: ['CMD-SHELL', 'test -f /tmp/ok && echo image-check'], intervalMs: 300, timeoutMs: 5000, retries: 2 });
    assert.match((await d.cli(['ps', '--filter', 'name=img1'])).stdout, /Up .*\(healthy\)/);
    assert.equal((await docker('inspect', '-f', '{{.State.Health.Status}} {{(index .State.Health.Log 0).ExitCode}}', 'img1')).stdout.trim(), 'healthy 0');
    assert.equal((await docker('inspect', '-f', '{{json .Config.Healthcheck.Test}} {{.Config.Healthcheck.Interval}}', 'img1')).stdout.trim(), '["CMD-SHELL","test -f /tmp/ok && echo image-check"] 300ms');
    // Two failures in a row after the file goes: unhealthy, as the image's Retries says.
    assert.equal((await d.cli(['exec', 'img1', 'rm', '/tmp/ok'])).code, 0);
    await until('unhealthy', async () => (await inspect('img1')).health?.status === 'unhealthy');
    assert.equal((await d.cli(['rm', '-f', 'img1'])).code, 0);
  });

  test("docker run with no health flags runs the image's check; --no-healthcheck disables it", async () => {
    assert.equal((await docker('run', '-d', '--name', 'img2', image, 'sh', '-c', 'touch /tmp/ok; exec sleep 600')).code, 0);
    await until('healthy through the socket', async () => (await docker('inspect', '-f', '{{.State.Health.Status}}', 'img2')).stdout.trim() === 'healthy');
    assert.match((await docker('ps', '--filter', 'name=img2', '--format', '{{.Status}}')).stdout, /^Up .*\(healthy\)/);
    assert.equal((await docker('run', '-d', '--name', 'img3', '--no-healthcheck', image, 'sh', '-c', 'touch /tmp/ok; exec sleep 600')).code, 0);
    assert.equal((await d.cli(['run', '-d', '--name', 'img4', '--no-healthcheck', image, 'sh', '-c', 'touch /tmp/ok; exec sleep 600'])).code, 0);
    // img2 (same image, same interval) has had checks by now: the others would have too.
    await until('img2 has three results', async () => (await inspect('img2')).health?.log.length >= 3);
    for (const n of ['img3', 'img4']) {
      const x = await inspect(n);
      assert.equal(x.health, undefined, n);
      assert.doesNotMatch(x.status, /health/, n);
      assert.deepEqual(x.spec.healthcheck, { test: ['NONE'] }, n);
    }
    assert.equal((await docker('inspect', '-f', '{{.State.Health}}', 'img3')).stdout.trim(), '<nil>');
    assert.equal((await docker('rm', '-f', 'img2', 'img3', 'img4')).code, 0);
  });

  test("flags override the image's check field by field (Docker's merge)", async () => {
    // --health-cmd: its own test, the image's interval and retries.
    assert.equal((await d.cli(['run', '-d', '--name', 'img5', '--health-cmd', 'echo flag-check', image, 'sleep', '600'])).code, 0);
    // --health-interval alone: the image's test at the new interval; docker's CLI sends the same (no Test).
    assert.equal((await d.cli(['run', '-d', '--name', 'img6', '--health-interval', '400ms', image, 'sh', '-c', 'touch /tmp/ok; exec sleep 600'])).code, 0);
    assert.equal((await docker('run', '-d', '--name', 'img7', '--health-retries', '7', image, 'sh', '-c', 'touch /tmp/ok; exec sleep 600')).code, 0);
    assert.deepEqual((await inspect('img5')).spec.healthcheck, { test: ['CMD-SHELL', 'echo flag-check'], intervalMs: 300, timeoutMs: 5000, retries: 2 });
    assert.deepEqual((await inspect('img6')).spec.healthcheck, { test: ['CMD-SHELL', 'test -f /tmp/ok && echo image-check'], intervalMs: 400, timeoutMs: 5000, retries: 2 });
    assert.deepEqual((await inspect('img7')).spec.healthcheck, { test: ['CMD-SHELL', 'test -f /tmp/ok && echo image-check'], intervalMs: 300, timeoutMs: 5000, retries: 7 });
    await until('img5 healthy by its own command', async () => (await inspect('img5')).health?.log.at(-1)?.output === 'flag-check\n');
    await until('img6 and img7 healthy by the image command', async () => (await inspect('img6')).health?.status === 'healthy' && (await inspect('img7')).health?.status === 'healthy');
    assert.equal((await d.cli(['rm', '-f', 'img5', 'img6', 'img7'])).code, 0);
  });

  test('a daemon SIGKILLed and restarted keeps the health status and log of a re-adopted container, and checks resume', async () => {
    const r = await d.cli(['run', '-d', '--name', 'img8', image, 'sh', '-c', 'touch /tmp/ok; exec sleep 600']);
    assert.equal(r.code, 0, r.stderr);
    const seen = await until('healthy with two results', async () => {
      const h = (await inspect('img8')).health;
      return h?.status === 'healthy' && h.log.length >= 2 ? h : undefined;
    });
    await d.kill();
    const restartedAt = Date.now();
    d = await startDaemon({ dataDir: d.dataDir });
    sock = socketOf(d);
    const x = await inspect('img8');
    assert.equal(x.state, 'running', 're-adopted');
    assert.equal(x.health?.status, 'healthy', `the status is kept, not "starting" again: ${JSON.stringify(x.health)}`);
    assert.ok(x.health.log.some((l: J) => l.start === seen.log.at(-1).start), `the log is kept: ${JSON.stringify(x.health.log)}`);
    assert.match((await d.cli(['ps', '--filter', 'name=img8'])).stdout, /\(healthy\)/);
    await until('a check after the restart', async () => (await inspect('img8')).health?.log.some((l: J) => Date.parse(l.start) > restartedAt));
    // The resumed checks still decide the status.
    assert.equal((await d.cli(['exec', 'img8', 'rm', '/tmp/ok'])).code, 0);
    await until('unhealthy after the restart', async () => (await docker('inspect', '-f', '{{.State.Health.Status}}', 'img8')).stdout.trim() === 'unhealthy');
    assert.equal((await d.cli(['rm', '-f', 'img8'])).code, 0);
  });
});
