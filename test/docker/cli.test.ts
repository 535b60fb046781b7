// [docker-api] The real docker CLI (Debian's docker.io 20.10, API 1.41) against a test daemon's
// socket: what Docker users type, with real runc, conmon, CNI and a local registry. Containers
// made through the socket are ordinary LLMOS containers (`llmos ps` sees them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import http from 'node:http';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { assertNoLeaks } from '../support/leaks.js';
import { freePort, pushBusyboxImage, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import { client, dockerBin, dockerSkip, raw, socketOf } from './support.js';

describe('[docker-api] docker CLI against the LLMOS socket', { skip: dockerSkip(), concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  let sock: string;
  const docker = (...args: string[]) => client(dockerBin, args, sock);

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/busybox', { cmd: ['/bin/sh', '-c', 'echo default-cmd'], exposedPorts: ['8080/tcp'] })).ref;
    d = await startDaemon();
    sock = socketOf(d);
  });
  after(async () => {
    if (d) {
      const ps = await docker('ps', '-aq').catch(() => undefined);
      for (const id of ps?.stdout.split('\n').filter(Boolean) ?? []) await docker('rm', '-f', id);
      await d.stop();
      await assertNoLeaks(d.dataDir);
    }
    await reg?.stop();
  });

  test('the socket is 0660 and answers version, info and _ping', async () => {
    assert.equal(statSync(sock).mode & 0o777, 0o660);
    const v = await docker('version', '--format', '{{.Server.APIVersion}} {{.Server.Os}}');
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), '1.41 linux');
    const info = await docker('info', '--format', '{{.OperatingSystem}} {{.NCPU}} {{.Containers}}');
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /^LLMOS \d+ 0/);
    const ping = await raw(sock, 'GET', '/_ping');
    assert.equal(ping.body, 'OK');
    assert.equal(ping.headers['api-version'], '1.41');
  });

  test('pull streams progress; images and image inspect list it', async () => {
    const p = await docker('pull', image);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /Pull complete|Already exists/);
    assert.match(p.stdout, /Digest: sha256:[0-9a-f]{64}/);
    const ls = await docker('images', '--format', '{{.Repository}}:{{.Tag}}');
    assert.ok(ls.stdout.split('\n').includes(image), ls.stdout);
    const ins = await docker('image', 'inspect', image, '--format', '{{.Os}} {{index .Config.Cmd 2}}');
    assert.equal(ins.stdout.trim(), 'linux echo default-cmd');
    const missing = await docker('pull', `${reg.host}/no/such:image`);
    assert.equal(missing.code, 1);
  });

  test('run --rm streams stdout and stderr, exits with the code and leaves nothing', async () => {
    const r = await docker('run', '--rm', '-e', 'A=1', image, 'sh', '-c', 'echo "out $A"; echo err >&2; exit 7');
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stdout, 'out 1\n');
    assert.equal(r.stderr, 'err\n');
    const def = await docker('run', '--rm', image);
    assert.equal(def.stdout, 'default-cmd\n', 'the image Cmd runs');
    const ps = await docker('ps', '-aq');
    assert.equal(ps.stdout, '', 'the --rm containers are gone');
  });

  test('run -d, ps, logs, exec, top, stats, inspect; llmos ps sees the same container', async () => {
    const hostPort = await freePort();
    const r = await docker('run', '-d', '--name', 'web', '-p', `127.0.0.1:${hostPort}:8080`, '--label', 'team=a', '-m', '64m', image, 'sh', '-c', 'echo started; exec httpd -f -p 8080 -h /etc');
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = await docker('ps', '--filter', 'label=team=a', '--format', '{{.ID}} {{.Names}} {{.Status}}');
    assert.match(ps.stdout, new RegExp(`^${id.slice(0, 12)} web Up`));
    const llmos = JSON.parse((await d.cli(['ps', '--json'])).stdout) as Array<{ id: string; name: string }>;
    assert.ok(llmos.some((c) => c.id === id && c.name === 'web'), 'llmos ps lists it');
    assert.equal((await docker('ps', '--filter', 'label=team=b', '-q')).stdout, '');
    await until('logs', async () => (await docker('logs', 'web')).stdout === 'started\n');
    // Real traffic through the published port (loopback).
    const body = await until('http', async () => fetch(`http://127.0.0.1:${hostPort}/passwd`).then((x) => x.text(), () => undefined));
    assert.match(body, /^root:x:0:0/);
    const port = await docker('port', 'web');
    assert.equal(port.stdout.trim(), `8080/tcp -> 127.0.0.1:${hostPort}`);
    const ex = await docker('exec', '-e', 'X=y', 'web', 'sh', '-c', 'echo "in $X"; echo oops >&2; exit 3');
    assert.deepEqual([ex.code, ex.stdout, ex.stderr], [3, 'in y\n', 'oops\n']);
    const top = await docker('top', 'web');
    assert.match(top.stdout, /PID/);
    assert.match(top.stdout, /httpd -f -p 8080/);
    const stats = await docker('stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}}', 'web');
    assert.match(stats.stdout, /^web [\d.]+[KMG]iB \/ 64MiB 1\n$/);
    const ins = JSON.parse((await docker('inspect', 'web')).stdout)[0];
    assert.equal(ins.State.Status, 'running');
    assert.equal(ins.State.Running, true);
    assert.equal(ins.HostConfig.Memory, 64 * 2 ** 20);
    assert.match(ins.NetworkSettings.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
    assert.deepEqual(ins.NetworkSettings.Ports['8080/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }]);
    assert.equal(ins.Config.Labels.team, 'a');
  });

  test('run without --rm waits for the exit; logs --tail, -t, --until and -f; stats streams', async () => {
    const r = await docker('run', '--name', 'plain', image, 'sh', '-c', 'echo a; echo b; echo c >&2');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'a\nb\n', 'c\n']);
    const tail = await docker('logs', '--tail', '1', 'plain');
    assert.equal((tail.stdout + tail.stderr).split('\n').filter(Boolean).length, 1, 'one line of the three, either stream');
    const tail2 = await docker('logs', '--tail', '3', 'plain');
    assert.deepEqual([tail2.stdout, tail2.stderr], ['a\nb\n', 'c\n']);
    const ts = await docker('logs', '-t', 'plain');
    assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z a\n/);
    assert.equal((await docker('logs', '--until', '2000-01-01T00:00:00Z', 'plain')).stdout, '');
    const f = await docker('logs', '-f', 'plain');
    assert.deepEqual([f.code, f.stdout, f.stderr], [0, 'a\nb\n', 'c\n'], 'follow of an exited container ends');
    assert.equal((await docker('rm', 'plain')).code, 0);
    // The stats stream: one JSON object a second until the client goes away.
    const first = await new Promise<string>((resolve, reject) => {
      const req = http.get({ socketPath: sock, path: '/v1.41/containers/web/stats' }, (res) => {
        let buf = '';
        res.on('data', (b: Buffer) => {
          buf += b;
          if (buf.includes('\n')) {
            req.destroy();
            resolve(buf.split('\n')[0]!);
          }
        });
      });
      req.on('error', reject);
    });
    const st = JSON.parse(first);
    assert.ok(st.cpu_stats.cpu_usage.total_usage > 0);
    assert.ok(st.precpu_stats.system_cpu_usage > 0, 'the previous sample is filled for the CLI\'s CPU %');
    assert.equal(st.memory_stats.limit, 64 * 2 ** 20);
  });

  test('stop, start, restart, kill, wait and rm move the container as Docker does', async () => {
    assert.equal((await docker('stop', '-t', '1', 'web')).code, 0);
    assert.equal((await docker('inspect', '-f', '{{.State.Status}}', 'web')).stdout.trim(), 'exited');
    assert.equal((await docker('start', 'web')).code, 0);
    assert.equal((await docker('inspect', '-f', '{{.State.Running}}', 'web')).stdout.trim(), 'true');
    const before = (await docker('inspect', '-f', '{{.State.StartedAt}}', 'web')).stdout.trim();
    assert.equal((await docker('restart', '-t', '1', 'web')).code, 0);
    const afterStart = (await docker('inspect', '-f', '{{.State.StartedAt}} {{.State.Running}}', 'web')).stdout.trim().split(' ');
    assert.notEqual(afterStart[0], before, 'restart started it again');
    assert.equal(afterStart[1], 'true');
    const waiting = docker('wait', 'web');
    assert.equal((await docker('kill', 'web')).code, 0);
    assert.equal((await waiting).stdout.trim(), '137');
    const busy = await docker('rm', 'web');
    assert.equal(busy.code, 0, busy.stderr);
    const gone = await docker('inspect', 'web');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No such (object|container): web/);
  });

  test('errors are Docker\'s: 404, 409 name conflict, 400 with the reason, 304, 501 naming the endpoint', async () => {
    assert.match((await docker('stop', 'nope')).stderr, /No such container: nope/);
    assert.equal((await docker('create', '--name', 'dup', image, 'sleep', '60')).code, 0);
    const dup = await docker('create', '--name', 'dup', image);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /Conflict\. The container name "\/dup" is already in use/);
    const opt = await docker('run', '--rm', '--security-opt', 'apparmor=unconfined', image, 'true');
    assert.equal(opt.code, 125);
    assert.match(opt.stderr, /HostConfig\.SecurityOpt apparmor=unconfined is not supported by LLMOS/);
    const bad = await raw(sock, 'POST', '/v1.41/containers/create', { Image: image, HostConfig: { RestartPolicy: { Name: 'sometimes' } } });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).message, /invalid restart policy sometimes/);
    assert.equal((await docker('start', 'dup')).code, 0);
    assert.equal((await raw(sock, 'POST', '/containers/dup/start')).status, 304, 'already started');
    assert.equal((await docker('kill', 'dup')).code, 0);
    await until('exited', async () => (await docker('inspect', '-f', '{{.State.Status}}', 'dup')).stdout.trim() === 'exited');
    assert.equal((await raw(sock, 'POST', '/containers/dup/stop')).status, 304, 'already stopped');
    assert.equal((await docker('rm', 'dup')).code, 0);
    const unknown = await raw(sock, 'POST', '/v1.41/containers/x/checkpoints');
    assert.equal(unknown.status, 501);
    assert.match(JSON.parse(unknown.body).message, /POST \/containers\/x\/checkpoints is not implemented by LLMOS/);
    assert.equal((await raw(sock, 'GET', '/v1.99/info')).status, 400, 'a client newer than 1.41 is refused');
    assert.equal((await docker('ps', '-aq')).stdout, '', 'no container left by the refusals');
  });

  test('tag, push to the registry, save and rmi work', async () => {
    const t = `${reg.host}/test/retag:v2`;
    assert.equal((await docker('tag', image, t)).code, 0);
    assert.match((await docker('images', '--format', '{{.Repository}}:{{.Tag}}')).stdout, new RegExp(t.replace(/[.]/g, '\\.')));
    // These were 501s once; they are served now, so a 501 here is a regression, not an option.
    const push = await docker('push', t);
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stdout, /digest: sha256:[0-9a-f]{64}/);
    const save = await docker('save', '-o', `${d.dataDir}/img.tar`, t);
    assert.equal(save.code, 0, save.stderr);
    assert.ok(statSync(`${d.dataDir}/img.tar`).size > 1024, 'docker save wrote an archive');
    const rmi = await docker('rmi', t);
    assert.equal(rmi.code, 0, rmi.stderr);
    assert.match(rmi.stdout, /Untagged: /);
    assert.equal((await docker('rmi', `${reg.host}/no/such:x`)).code, 1);
  });

  test('volumes are LLMOS volumes; cp copies out; the built-in networks refuse connect, naming what is missing (never a silent success)', async () => {
    assert.deepEqual((await docker('network', 'ls', '--format', '{{.Name}} {{.Driver}}')).stdout.split('\n').filter(Boolean), ['bridge bridge', 'host host', 'none null']);
    assert.equal((await docker('volume', 'ls', '-q')).stdout, '');
    assert.equal((await docker('volume', 'create', 'v1')).code, 0);
    assert.equal((await docker('volume', 'ls', '-q')).stdout.trim(), 'v1');
    assert.match((await d.cli(['volume', 'ls'])).stdout, /v1/);
    assert.equal((await docker('volume', 'rm', 'v1')).code, 0);
    assert.equal((await docker('volume', 'ls', '-q')).stdout, '');
    // User networks are in test/docker/networks.test.ts; the built-in ones cannot be connected to.
    const conn = await docker('network', 'connect', 'bridge', 'x');
    assert.equal(conn.code, 1);
    assert.match(conn.stderr, /not supported by LLMOS/);
    assert.equal((await docker('run', '-d', '--name', 'cpx', image, 'sleep', '60')).code, 0);
    const cp = await docker('cp', 'cpx:/etc/passwd', `${d.dataDir}/passwd`);
    assert.equal(cp.code, 0, cp.stderr);
    assert.match((await docker('cp', 'nope:/etc/passwd', '/tmp/x')).stderr, /No such container:path: nope/);
    assert.equal((await docker('rm', '-f', 'cpx')).code, 0);
  });

  test('events streams create, start, die and destroy of a run', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    assert.equal((await docker('run', '--rm', '--name', 'ev', image, 'true')).code, 0);
    const until2 = Math.ceil(Date.now() / 1000) + 1;
    const ev = await docker('events', '--since', String(since), '--until', String(until2), '--filter', 'container=ev', '--format', '{{.Type}} {{.Action}}');
    assert.equal(ev.code, 0, ev.stderr);
    const actions = ev.stdout.split('\n').filter(Boolean);
    for (const a of ['container create', 'container start', 'container die', 'container destroy']) assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
  });
});
