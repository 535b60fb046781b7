// [docker-api] The socket's life: `llmos up --docker-socket PATH`, 0660, removed at stop; a second
// daemon pointed at a live socket does not take it over (its docker-api module fails, it boots).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { client, dockerBin, dockerSkip, socketOf } from './support.js';

describe('[docker-api] the socket', { skip: dockerSkip(), concurrency: false }, () => {
  const daemons: TestDaemon[] = [];
  let dir: string | undefined;
  after(async () => {
    for (const d of daemons) await d.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('--docker-socket puts it there (0660); a second daemon leaves a live socket alone; stop removes it', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-dsock-'));
    const sock = path.join(dir, 'run', 'd.sock');
    const a = await startDaemon({ args: ['--docker-socket', sock] });
    daemons.push(a);
    assert.equal(statSync(sock).mode & 0o777, 0o660);
    assert.ok(!existsSync(socketOf(a)), 'not at the default place');
    const v = await client(dockerBin, ['version', '--format', '{{.Server.APIVersion}}'], sock);
    assert.equal(v.stdout.trim(), '1.41', v.stderr);
    const b = await startDaemon({ args: ['--docker-socket', sock] });
    daemons.push(b);
    const mods = JSON.parse((await b.cli(['modules', '--json'])).stdout) as Array<{ name: string; state: string; reason?: string }>;
    const m = mods.find((x) => x.name === 'docker-api');
    assert.equal(m?.state, 'failed');
    assert.match(m?.reason ?? '', /in use by another daemon/);
    const again = await client(dockerBin, ['info', '--format', '{{.DockerRootDir}}'], sock);
    assert.equal(again.stdout.trim(), a.dataDir, 'the first daemon still answers on it');
    await b.stop();
    await a.stop();
    assert.ok(!existsSync(sock), 'removed at stop');
  });
});
