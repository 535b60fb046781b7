// [docker-cli-parity] llmos run -i/-t, exec -i/-t and attach, driven as a user would: through a
// pseudo-terminal (util-linux script) typing commands and reading what the terminal shows,
// with real runc and conmon's console and attach sockets. Leak-checked.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { llmosBin, startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import { Pty } from './pty.js';

describe('[docker-cli-parity] llmos -i/-t, attach and exec -it', { skip: registrySkipReason(), concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  const ptys: Pty[] = [];
  const env = () => ({ LLMOS_HOST: d.host, LLMOS_TOKEN: d.token });
  const pty = (cmd: string) => {
    const p = new Pty(cmd, env());
    ptys.push(p);
    return p;
  };

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/busybox-itty', { cmd: ['/bin/sh'] })).ref;
    d = await startDaemon();
    assert.equal((await d.cli(['pull', image])).code, 0);
  });
  after(async () => {
    for (const p of ptys) p.kill();
    await d?.finish();
    await reg?.stop();
  });

  test('llmos run -it IMG sh: typed commands run on a TTY; the client terminal size reaches it; exit ends it with the code', async () => {
    const t = pty(`stty rows 33 cols 77; ${llmosBin} run -it --rm --name itty1 ${image} sh`);
    await t.expect(/# /);
    let m = t.mark();
    t.type('echo $((6*7)); tty\r');
    await t.expect(/42\r+\n\/dev\/pts\/\d+/, m);
    m = t.mark();
    t.type('stty size\r');
    await t.expect(/33 77/, m);
    // A live resize (SIGWINCH) is not asserted here: it passed alone and timed out once in a full
    // CI run (issue 17's note); the resize endpoint is tested through the API below.
    t.type('exit 3\r');
    assert.equal(await t.exited, 3);
    await until('the --rm container is gone', async () => (await d.cli(['ps', '-a', '-q'])).stdout.trim() === '');
  });

  test('ctrl-p ctrl-q detaches and the container keeps running; llmos attach --detach-keys reattaches; exec -it gets a TTY', async () => {
    const t = pty(`${llmosBin} run -it --name itty2 ${image} sh`);
    await t.expect(/# /);
    t.type('\x10\x11');
    assert.equal(await t.exited, 0);
    const info = JSON.parse((await d.cli(['inspect', 'itty2'])).stdout)[0];
    assert.equal(info.state, 'running');
    const a = pty(`${llmosBin} attach --detach-keys ctrl-x,y itty2`);
    await until('attached', async () => (a.type('\r'), /# /.test(a.text)), 20_000, 300);
    const m = a.mark();
    a.type('echo attached-$((1+1))\r');
    await a.expect(/attached-2/, m);
    a.type('\x18y');
    assert.equal(await a.exited, 0);
    assert.equal(JSON.parse((await d.cli(['inspect', 'itty2'])).stdout)[0].state, 'running');
    const x = pty(`stty rows 25 cols 70; ${llmosBin} exec -it itty2 sh`);
    await x.expect(/# /);
    const m2 = x.mark();
    x.type('stty size; tty; echo exec-$((2+3))\r');
    await x.expect(/25 70\r+\n\/dev\/pts\/\d+\r+\nexec-5/, m2);
    x.type('exit 4\r');
    assert.equal(await x.exited, 4);
    const bad = await d.cli(['exec', '-t', 'itty2', 'no-such-command']);
    assert.equal(bad.code, 127, bad.stderr);
    const r = await d.cli(['exec', '-i', 'itty2', 'sh', '-c', 'tr a-z A-Z; exit 2'], { input: 'piped\n' });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, 'PIPED\n');
  });

  test('echo hi | llmos run -i IMG cat prints hi and exits 0; stderr stays separate', async () => {
    const r = await d.cli(['run', '-i', '--rm', image, 'cat'], { input: 'hi\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    const e = await d.cli(['run', '-i', '--rm', image, 'sh', '-c', 'cat; echo err >&2; exit 5'], { input: 'x' });
    assert.equal(e.code, 5);
    assert.equal(e.stdout, 'x');
    assert.equal(e.stderr, 'err\n');
  });

  test('1 MB of random bytes through llmos run -i IMG cat round-trips with the same checksum', async () => {
    const data = randomBytes(2 ** 20);
    const p = spawn(llmosBin, ['run', '-i', '--rm', image, 'cat'], { env: { ...process.env, ...env() } });
    const h = createHash('sha256');
    let n = 0;
    p.stdout.on('data', (b: Buffer) => (h.update(b), (n += b.length)));
    p.stdin.end(data);
    const code = await new Promise<number>((resolve) => p.on('close', (c) => resolve(c ?? 1)));
    assert.equal(code, 0);
    assert.equal(n, data.length);
    assert.equal(h.digest('hex'), createHash('sha256').update(data).digest('hex'));
  });

  test('the API: attach and exec-stdio need an upgrade (400), resize checks its numbers, unknown containers are 404', async () => {
    const c = await d.api<{ id: string }>('POST', '/v1/containers?start=true', { image, cmd: ['sleep', '300'], tty: true });
    assert.equal(c.status, 201);
    assert.equal((await d.api('POST', `/v1/containers/${c.body.id}/attach`)).status, 400);
    assert.equal((await d.api('POST', `/v1/containers/${c.body.id}/exec-stdio?cmd=true`)).status, 400);
    assert.equal((await d.api('POST', `/v1/containers/${c.body.id}/resize`, { rows: 30, cols: 100 })).status, 204);
    assert.equal((await d.api('POST', `/v1/containers/${c.body.id}/resize`, { rows: -3, cols: 100 })).status, 400);
    assert.equal((await d.api('POST', '/v1/containers/no-such/resize', { rows: 3, cols: 3 })).status, 404);
    await d.cli(['rm', '-f', c.body.id]);
  });
});
