import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { prepareSocket, socketPath } from './socket.js';

test('the default socket: /run/llmos for the default data dir, else in the module dir', () => {
  assert.equal(socketPath('', '/var/lib/llmos'), '/run/llmos/docker.sock');
  assert.equal(socketPath(undefined, '/tmp/d1'), '/tmp/d1/modules/llmos.docker-api.v1.socket/docker.sock');
  assert.match(socketPath(undefined, `/tmp/${'d'.repeat(80)}`), /^\/run\/llmos\/docker-[0-9a-f]{12}\.sock$/, 'too long for a socket path: /run/llmos');
  assert.equal(socketPath('/run/x.sock', '/tmp/d1'), '/run/x.sock');
  assert.throws(() => socketPath('rel.sock', '/tmp'), /not an absolute path/);
  assert.throws(() => socketPath(`/${'x'.repeat(120)}`, '/tmp'), /longer than the 107 bytes/);
});

test('a live socket is never taken over; a stale one is replaced; a file is refused', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-dsock-'));
  try {
    const p = path.join(dir, 'docker.sock');
    const live = net.createServer().listen(p);
    await new Promise((r) => live.once('listening', r));
    await assert.rejects(prepareSocket(p), /in use by another daemon/);
    // A server that died without unlinking its socket leaves a stale file behind.
    live.close();
    await writeFile(path.join(dir, 'plain'), 'x');
    await assert.rejects(prepareSocket(path.join(dir, 'plain')), /is not a socket/);
    // A bound socket whose process is gone (libuv would unlink its own on close; python does not).
    execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path.join(dir, 'stale.sock')]);
    assert.ok(existsSync(path.join(dir, 'stale.sock')));
    await prepareSocket(path.join(dir, 'stale.sock'));
    assert.ok(!existsSync(path.join(dir, 'stale.sock')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
