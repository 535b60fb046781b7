// [docker-api] Detach and live resize through the real docker CLI on the LLMOS socket, driven
// through `script`: ctrl-p ctrl-q from `docker run -it` exits 0 with the container still running,
// as with dockerd; `docker attach` ends as it does with dockerd (its CLI returns its escape
// error: "read escape sequence", exit 1; cli/command/container/attach.go); a client that leaves
// detection to the daemon gets the stream half-closed (dockerd's CloseWrite), the container kept;
// and SIGWINCH of the terminal reaches `stty size` inside.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import { Pty } from '../docker-cli-parity/pty.js';
import { resizeWhen, sizeBecomes } from '../containers/tty-support.js';
import { client, dockerBin, dockerSkip, socketOf } from './support.js';

describe('[docker-api] docker run -it / attach: detach and live resize', { skip: dockerSkip(), concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  let sock: string;
  const docker = (...args: string[]) => client(dockerBin, args, sock);
  const ptys: Pty[] = [];
  const pty = (cmd: string) => {
    const p = new Pty(cmd, { DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: path.join(os.tmpdir(), 'llmos-docker-client-config') });
    ptys.push(p);
    return p;
  };
  const running = async (n: string) => (await docker('inspect', '-f', '{{.State.Running}}', n)).stdout.trim() === 'true';

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/busybox-detach', { cmd: ['/bin/sh'] })).ref;
    d = await startDaemon();
    sock = socketOf(d);
    assert.equal((await docker('pull', image)).code, 0);
  });
  after(async () => {
    for (const p of ptys) p.kill();
    await d?.finish();
    await reg?.stop();
  });

  test('ctrl-p ctrl-q: docker run -it exits 0 and the container runs on; docker attach ends as with dockerd', async () => {
    const t = pty(`${dockerBin} run -it --name dt1 ${image} sh`);
    await t.expect(/# /);
    t.type('\x10\x11');
    assert.equal(await t.exited, 0, t.text.slice(-200));
    assert.ok(await running('dt1'));
    const a = pty(`${dockerBin} attach dt1`);
    await until('attached', async () => (a.type('\r'), /# /.test(a.text)), 20_000, 300);
    const m = a.mark();
    a.type('echo attached-$((3+4))\r');
    await a.expect(/attached-7/, m);
    a.type('\x10\x11');
    // docker's attach returns the escape error it detected itself, whatever the daemon: dockerd too.
    assert.equal(await a.exited, 1);
    assert.match(a.text.slice(m), /read escape sequence/);
    assert.ok(await running('dt1'), 'still running after the attach detached');
  });

  test('a client that leaves detach to the daemon: the hijacked stream is half-closed (FIN, not a reset) and the container runs on', async () => {
    const id = (await docker('inspect', '-f', '{{.Id}}', 'dt1')).stdout.trim();
    const s = net.connect({ path: sock, allowHalfOpen: true });
    let text = '';
    let reset = false;
    s.on('data', (b: Buffer) => (text += b.toString('latin1')));
    s.on('error', () => (reset = true));
    const ended = new Promise<void>((resolve) => s.once('end', resolve));
    s.write(`POST /v1.41/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`);
    await until('101', async () => text.includes('101'), 10_000, 50);
    s.write('echo raw-$((5+5))\r');
    await until('the shell answers', async () => text.includes('raw-10'), 10_000, 50);
    s.write('\x10\x11');
    await ended;
    // A full close would fail this write (EPIPE); after dockerd's CloseWrite the daemon still reads.
    const wrote = await new Promise<Error | null | undefined>((resolve) => s.write('\r', resolve));
    assert.equal(wrote ?? null, null, 'the daemon closed its side only (CloseWrite), as dockerd');
    assert.equal(reset, false, 'no reset');
    s.end();
    assert.ok(await running('dt1'));
    assert.equal((await docker('rm', '-f', 'dt1')).code, 0);
  });

  test('docker run -it: a live resize of the terminal (SIGWINCH) reaches the container', async () => {
    const flag = path.join(os.tmpdir(), `llmos-dresize-${process.pid}-${Date.now()}`);
    const t = pty(`stty rows 31 cols 81; ${resizeWhen(flag, 42, 102)} ${dockerBin} run -it --rm --name dt2 ${image} sh`);
    try {
      await t.expect(/# /);
      await sizeBecomes(t, 31, 81);
      await writeFile(flag, '');
      await sizeBecomes(t, 42, 102);
      t.type('exit\r');
      assert.equal(await t.exited, 0);
    } finally {
      await rm(flag, { force: true });
    }
    await until('the --rm container is gone', async () => !(await docker('ps', '-aq', '--filter', 'name=dt2')).stdout.trim());
  });
});
