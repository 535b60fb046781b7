// [docker-api] The other Docker clients on the LLMOS socket: docker-compose 1.29 (three services
// up and down), dockerode (the same calls from Node), and `docker run -it` through a pseudo-terminal.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { assertNoLeaks } from '../support/leaks.js';
import { freePort, pushBusyboxImage, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import { client, composeBin, dockerBin, dockerSkip, socketOf } from './support.js';

describe('[docker-api] compose, dockerode and a terminal on the LLMOS socket', { skip: dockerSkip(), concurrency: false }, () => {
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
    assert.equal((await docker('pull', image)).code, 0, 'create never pulls, as dockerd');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-docker-clients-'));
  });
  after(async () => {
    if (d) {
      const ps = await docker('ps', '-aq').catch(() => undefined);
      for (const id of ps?.stdout.split('\n').filter(Boolean) ?? []) await docker('rm', '-f', id);
      await d.stop();
      await assertNoLeaks(d.dataDir);
    }
    await reg?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('docker-compose brings three services up (ports, env, labels) and tears them down', { skip: !existsSync(composeBin) && 'docker-compose missing' }, async () => {
    const port = await freePort();
    // network_mode: bridge: compose's default user network needs user networks (not in this build).
    await writeFile(
      path.join(tmp, 'docker-compose.yml'),
      `version: "3.8"
services:
  web:
    image: ${image}
    command: ["sh", "-c", "mkdir -p /srv && echo hello-from-web > /srv/index.html && exec httpd -f -p 8080 -h /srv"]
    network_mode: bridge
    ports: ["127.0.0.1:${port}:8080"]
    labels: { role: web }
  worker:
    image: ${image}
    command: ["sleep", "300"]
    network_mode: bridge
    environment: { ROLE: worker }
  once:
    image: ${image}
    command: ["sh", "-c", "echo ran-once"]
    network_mode: bridge
`,
    );
    const compose = (...args: string[]) => client(composeBin, ['-p', 'h17', ...args], sock, { cwd: tmp, timeoutMs: 120_000 });
    const up = await compose('up', '-d');
    try {
      assert.equal(up.code, 0, up.stderr);
      const ps = await compose('ps');
      assert.match(ps.stdout, /h17_web_1 .* Up /);
      assert.match(ps.stdout, /h17_worker_1 .* Up /);
      assert.match(ps.stdout, /h17_once_1 .* Exit 0/);
      assert.match((await compose('logs', 'once')).stdout, /ran-once/);
      // The worker reaches web over the bridge (by address: names need user networks' DNS).
      const webIp = (await docker('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'h17_web_1')).stdout.trim();
      const got = await until('worker -> web', async () => {
        const r = await docker('exec', 'h17_worker_1', 'wget', '-qO-', `http://${webIp}:8080/`);
        return r.code === 0 && r.stdout;
      });
      assert.equal(got, 'hello-from-web\n');
      assert.equal(await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()), 'hello-from-web\n');
      assert.equal((await docker('inspect', '-f', '{{index .Config.Labels "com.docker.compose.service"}}', 'h17_worker_1')).stdout.trim(), 'worker');
      assert.match((await docker('exec', 'h17_worker_1', 'sh', '-c', 'echo $ROLE')).stdout, /^worker$/m);
      const llmos = JSON.parse((await d.cli(['ps', '--json'])).stdout) as Array<{ name: string }>;
      assert.deepEqual(llmos.map((c) => c.name).sort(), ['h17_web_1', 'h17_worker_1']);
    } finally {
      const down = await compose('down');
      assert.equal(down.code, 0, down.stderr);
      assert.equal((await docker('ps', '-aq')).stdout, '');
    }
  });

  test('dockerode: ping, version, images, create/start/logs/exec/wait/remove', async () => {
    const dk = new Docker({ socketPath: sock });
    assert.equal(String(await dk.ping()), 'OK');
    assert.equal((await dk.version()).ApiVersion, '1.41');
    const imgs = await dk.listImages();
    assert.ok(imgs.some((i) => (i.RepoTags ?? []).includes(image)));
    const c = await dk.createContainer({ Image: image, name: 'dko', Cmd: ['sh', '-c', 'echo one; echo two >&2; sleep 30'], Labels: { via: 'dockerode' }, HostConfig: { Memory: 32 * 2 ** 20 } });
    await c.start();
    const info = await c.inspect();
    assert.equal(info.State.Running, true);
    assert.equal(info.Name, '/dko');
    const listed = await dk.listContainers({ filters: { label: ['via=dockerode'] } });
    assert.deepEqual(listed.map((x) => x.Names[0]), ['/dko']);
    const out = new PassThrough();
    const err = new PassThrough();
    let o = '';
    let e = '';
    out.on('data', (b: Buffer) => (o += b));
    err.on('data', (b: Buffer) => (e += b));
    await until('logs', async () => {
      const logs = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
      o = '';
      e = '';
      dk.modem.demuxStream(new PassThroughOf(logs), out, err);
      await new Promise((r) => setImmediate(r));
      return o === 'one\n' && e === 'two\n';
    });
    const ex = await c.exec({ Cmd: ['sh', '-c', 'echo exec-out; exit 4'], AttachStdout: true, AttachStderr: true });
    const stream = await ex.start({ hijack: true, stdin: false });
    let eo = '';
    const sink = new PassThrough();
    sink.on('data', (b: Buffer) => (eo += b));
    dk.modem.demuxStream(stream, sink, new PassThrough());
    await new Promise((r) => stream.on('end', r));
    assert.equal(eo, 'exec-out\n');
    assert.equal((await ex.inspect()).ExitCode, 4);
    const waited = c.wait();
    await c.kill();
    assert.equal((await waited).StatusCode, 137);
    await c.remove();
    await assert.rejects(c.inspect(), (x: { statusCode?: number; message?: string }) => x.statusCode === 404 && /No such container/.test(String(x.message)));
  });

  test('docker run -it through a pseudo-terminal runs the typed commands on a TTY and leaves no container', async () => {
    // `script` gives docker a real terminal (test/docker/tty.test.ts drives it interactively).
    const before = (await docker('ps', '-aq')).stdout;
    const r = await client('script', ['-qfec', `${dockerBin} run -it --rm ${image} sh`, '/dev/null'], sock, { input: 'echo typed-$((6*7))\nexit\n', timeoutMs: 30_000 });
    assert.match(r.stdout, /typed-42/);
    await until('the --rm container is gone', async () => (await docker('ps', '-aq')).stdout === before);
  });
});

/** A readable of one buffer (dockerode gives follow=false logs as a Buffer). */
class PassThroughOf extends PassThrough {
  constructor(b: Buffer) {
    super();
    this.end(b);
  }
}
