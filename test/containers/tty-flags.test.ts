// llmos run/exec/attach terminal flags as Docker's CLI has them, with real runc and conmon:
// --detach-keys (Docker's syntax, invalid keys refused in one line before anything is made),
// Docker's TTY check (-it with a stdin that is not a terminal: "the input device is not a TTY",
// exit 1; -i or -t alone work with a pipe), and a live resize (the terminal's SIGWINCH) reaching
// `stty size` inside. Terminals through util-linux `script`; waits on conditions only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { llmosBin, startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { Pty } from '../docker-cli-parity/pty.js';
import { resizeWhen, sizeBecomes } from './tty-support.js';
import { until } from '../support/until.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : false);

describe('llmos run/exec/attach: --detach-keys, the TTY check, live resize', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  const ptys: Pty[] = [];
  const pty = (cmd: string) => {
    const p = new Pty(cmd, { LLMOS_HOST: d.host, LLMOS_TOKEN: d.token });
    ptys.push(p);
    return p;
  };
  const names = async () => (await d.cli(['ps', '-a', '--format', '{{.Names}}'])).stdout.trim();

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/tty-flags', { cmd: ['/bin/sh'] })).ref;
    d = await startDaemon();
    assert.equal((await d.cli(['pull', image])).code, 0);
  });
  after(async () => {
    for (const p of ptys) p.kill();
    await d?.finish();
    await reg?.stop();
  });

  test('-it with a pipe for stdin is refused as Docker does (one line, exit 1, nothing created); -i or -t alone work', async () => {
    for (const args of [['run', '-it', '--name', 'nt1', image, 'sh'], ['run', '-i', '-t', '--rm', image, 'true']]) {
      const r = await d.cli(args, { input: 'echo hi\n' });
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /the input device is not a TTY/);
    }
    assert.equal(await names(), '', 'no container was created');
    const i = await d.cli(['run', '-i', '--rm', image, 'cat'], { input: 'piped\n' });
    assert.deepEqual([i.code, i.stdout], [0, 'piped\n']);
    const t = await d.cli(['run', '-t', '--rm', image, 'sh', '-c', 'tty; echo on-a-tty'], { input: '' });
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /\/dev\/pts\/\d+\r?\non-a-tty/);
    // exec and attach check the same way.
    assert.equal((await d.cli(['run', '-d', '-t', '-i', '--name', 'ttyc', image, 'sh'])).code, 0);
    const e = await d.cli(['exec', '-it', 'ttyc', 'sh'], { input: 'exit\n' });
    assert.deepEqual([e.code, e.stderr.trim().split('\n').length], [1, 1]);
    assert.match(e.stderr, /the input device is not a TTY/);
    const a = await d.cli(['attach', 'ttyc'], { input: '' });
    assert.equal(a.code, 1);
    assert.match(a.stderr, /the input device is not a TTY/);
    const ei = await d.cli(['exec', '-i', 'ttyc', 'sh', '-c', 'tr a-z A-Z'], { input: 'upper\n' });
    assert.deepEqual([ei.code, ei.stdout], [0, 'UPPER\n']);
  });

  test('invalid --detach-keys are refused in one line before anything is created', async () => {
    for (const keys of ['ctrl-1', 'ab', 'ctrl-', 'ctrl-x,,y']) {
      const r = await d.cli(['run', '-i', '--rm', '--name', 'dk1', '--detach-keys', keys, image, 'cat'], { input: '' });
      assert.equal(r.code, 1, keys);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /invalid detach keys/);
      const x = await d.cli(['exec', '-i', '--detach-keys', keys, 'ttyc', 'cat'], { input: '' });
      assert.equal(x.code, 1, keys);
      assert.match(x.stderr, /invalid detach keys/);
    }
    assert.equal(await names(), 'ttyc', 'nothing else was created');
  });

  test('run -it --detach-keys ctrl-x,y: the default keys pass through, ctrl-x y detaches (exit 0, still running); exec -it --detach-keys too', async () => {
    const t = pty(`${llmosBin} run -it --name dk2 --detach-keys ctrl-x,y ${image} sh`);
    await t.expect(/# /);
    // ctrl-p ctrl-q are ordinary keys now: the shell still answers.
    t.type('\x10\x11');
    let m = t.mark();
    t.type('echo still-$((1+2))\r');
    await t.expect(/still-3/, m);
    t.type('\x18y');
    assert.equal(await t.exited, 0);
    assert.equal(JSON.parse((await d.cli(['inspect', 'dk2'])).stdout)[0].state, 'running');
    const x = pty(`${llmosBin} exec -it --detach-keys ctrl-x,y dk2 sh`);
    await x.expect(/# /);
    m = x.mark();
    x.type('echo in-exec\r');
    await x.expect(/in-exec/, m);
    x.type('\x18y');
    assert.equal(await x.exited, 0);
    assert.equal((await d.cli(['rm', '-f', 'dk2'])).code, 0);
  });

  test('llmos run -it: a live resize of the terminal (SIGWINCH) reaches the container', async () => {
    const flag = path.join(os.tmpdir(), `llmos-resize-${process.pid}-${Date.now()}`);
    // `stty rows R cols C` resizes twice back to back (two SIGWINCHs, two resizes to the daemon).
    const t = pty(`stty rows 30 cols 80; ${resizeWhen(flag, 41, 101)} ${llmosBin} run -it --rm --name rs1 ${image} sh`);
    try {
      await t.expect(/# /);
      await sizeBecomes(t, 30, 80);
      await writeFile(flag, '');
      await sizeBecomes(t, 41, 101);
      t.type('exit\r');
      assert.equal(await t.exited, 0);
    } finally {
      await rm(flag, { force: true });
    }
  });

  test('resizes sent back to back end at the last size (conmon 2.1.6 applies only the first message of a read)', async () => {
    assert.equal((await d.cli(['run', '-dit', '--name', 'rz2', image, 'sh'])).code, 0);
    const size = async () => (await d.cli(['exec', 'rz2', 'stty', 'size', '-F', '/dev/console'])).stdout.trim();
    for (const [a, b] of [[[20, 60], [21, 61]], [[22, 62], [23, 63]]] as const) {
      const rs = await Promise.all([a, b].map(([rows, cols]) => d.api('POST', '/v1/containers/rz2/resize', { rows, cols })));
      assert.deepEqual(rs.map((r) => r.status), [204, 204]);
      await until(`the console at ${b.join(' ')}`, async () => (await size()) === b.join(' '), 10_000, 100);
    }
    assert.equal((await d.cli(['rm', '-f', 'rz2', 'ttyc'])).code, 0);
  });
});
