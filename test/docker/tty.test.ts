// [docker-api] Terminals and stdin through the socket with the real docker CLI and dockerode:
// `docker run -it` typed into through a pseudo-terminal, resize, detach keys, attach, exec -it,
// stdin EOF and a binary round trip through `run -i cat`. Real runc, conmon and its attach socket.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import { Pty } from '../docker-cli-parity/pty.js';
import { client, dockerBin, dockerSkip, raw, socketOf } from './support.js';

describe('[docker-api] docker -i/-t, attach and exec -it against the LLMOS socket', { skip: dockerSkip(), concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  let sock: string;
  const docker = (...args: string[]) => client(dockerBin, args, sock);
  const env = () => ({ DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: path.join(os.tmpdir(), 'llmos-docker-client-config') });
  const ptys: Pty[] = [];
  const pty = (cmd: string) => {
    const p = new Pty(cmd, env());
    ptys.push(p);
    return p;
  };

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/busybox-tty', { cmd: ['/bin/sh'] })).ref;
    d = await startDaemon();
    sock = socketOf(d);
    assert.equal((await docker('pull', image)).code, 0);
  });
  after(async () => {
    for (const p of ptys) p.kill();
    await d?.finish();
    await reg?.stop();
  });

  test('docker run -it IMG sh: typed commands run on a real TTY; the client terminal size reaches it; exit ends it', async () => {
    const t = pty(`stty rows 33 cols 77; ${dockerBin} run -it --rm --name tty1 ${image} sh`);
    await t.expect(/# /);
    let m = t.mark();
    t.type('echo $((6*7)); tty\r');
    await t.expect(/42\r?\n\/dev\/pts\/\d+/, m);
    m = t.mark();
    t.type('stty size\r');
    await t.expect(/33 77/, m);
    t.type('exit 3\r');
    assert.equal(await t.exited, 3);
    await until('the --rm container is gone', async () => !(await docker('ps', '-aq', '--filter', 'name=tty1')).stdout.trim());
  });

  test('ctrl-p ctrl-q detaches and the container keeps running; docker attach reattaches; --detach-keys changes them', async () => {
    const t = pty(`${dockerBin} run -it --name tty2 ${image} sh`);
    await t.expect(/# /);
    t.type('\x10\x11');
    // As with dockerd, docker run -it exits 0 after a detach.
    assert.equal(await t.exited, 0);
    const ins = await docker('inspect', '-f', '{{.State.Running}} {{.Config.Tty}} {{.Config.OpenStdin}}', 'tty2');
    assert.equal(ins.stdout.trim(), 'true true true');
    const a = pty(`${dockerBin} attach --detach-keys ctrl-x,y tty2`);
    await until('attached', async () => (a.type('\r'), /# /.test(a.text)), 20_000, 300);
    const m = a.mark();
    a.type('echo attached-$((1+1))\r');
    await a.expect(/attached-2/, m);
    a.type('\x18y');
    await a.exited;
    assert.equal((await docker('inspect', '-f', '{{.State.Running}}', 'tty2')).stdout.trim(), 'true');
    // The API resize reaches the running container's TTY too.
    const id = (await docker('inspect', '-f', '{{.Id}}', 'tty2')).stdout.trim();
    assert.equal((await raw(sock, 'POST', `/containers/${id}/resize?h=20&w=61`)).status, 200);
    assert.equal((await raw(sock, 'POST', `/containers/${id}/resize?h=-1&w=61`)).status, 400);
    const e = pty(`${dockerBin} exec -it tty2 sh -c 'stty size; tty; exit 4'`);
    assert.equal(await e.exited, 4);
    assert.match(e.text, /\/dev\/pts\/\d+/);
    const x = pty(`stty rows 25 cols 70; ${dockerBin} exec -it tty2 sh`);
    await x.expect(/# /);
    const m2 = x.mark();
    x.type('stty size; echo exec-$((2+3))\r');
    await x.expect(/25 70\r?\nexec-5/, m2);
    x.type('exit\r');
    assert.equal(await x.exited, 0);
    assert.equal((await docker('rm', '-f', 'tty2')).code, 0);
  });

  test('echo hi | docker run -i IMG cat prints hi and exits 0 (stdin EOF closes the container stdin)', async () => {
    const r = await client(dockerBin, ['run', '-i', '--rm', image, 'cat'], sock, { input: 'hi\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    const e = await client(dockerBin, ['run', '-i', '--rm', image, 'sh', '-c', 'cat; echo err >&2; exit 5'], sock, { input: 'x' });
    assert.equal(e.code, 5);
    assert.equal(e.stdout, 'x');
    assert.equal(e.stderr, 'err\n');
  });

  test('1 MB of random bytes through docker run -i IMG cat round-trips with the same checksum', async () => {
    const data = randomBytes(2 ** 20);
    const p = spawn(dockerBin, ['run', '-i', '--rm', image, 'cat'], { env: { ...process.env, ...env() } });
    const h = createHash('sha256');
    let n = 0;
    p.stdout.on('data', (b: Buffer) => (h.update(b), (n += b.length)));
    p.stdin.end(data);
    const code = await new Promise<number>((resolve) => p.on('close', (c) => resolve(c ?? 1)));
    assert.equal(code, 0);
    assert.equal(n, data.length);
    assert.equal(h.digest('hex'), createHash('sha256').update(data).digest('hex'));
  });

  test('dockerode: attach with stdin to a created container, then exec with stdin', async () => {
    const dk = new Docker({ socketPath: sock });
    const c = await dk.createContainer({ Image: image, Cmd: ['sh', '-c', 'read x; echo got-$x; exit 7'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    const out = new PassThrough();
    let text = '';
    out.on('data', (b: Buffer) => (text += b.toString()));
    c.modem.demuxStream(stream, out, out);
    await c.start();
    stream.write('dockerode\n');
    assert.equal((await c.wait()).StatusCode, 7);
    await until('the attached output', async () => text === 'got-dockerode\n', 10_000, 50);
    await c.remove({ force: true });

    const r = await dk.createContainer({ Image: image, Cmd: ['sleep', '300'] });
    await r.start();
    const ex = await r.exec({ Cmd: ['sh', '-c', 'tr a-z A-Z'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const s = await ex.start({ hijack: true, stdin: true });
    let up = '';
    const o2 = new PassThrough();
    o2.on('data', (b: Buffer) => (up += b.toString()));
    r.modem.demuxStream(s, o2, o2);
    s.end('shout\n');
    await until('the exec output', async () => up === 'SHOUT\n', 10_000, 50);
    await until('the exec ended', async () => (await ex.inspect()).ExitCode === 0, 10_000, 100);
    await r.remove({ force: true });
  });
});
