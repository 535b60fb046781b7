import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from './log.js';
import { LogFileSink } from './log-sink.js';

// /dev/full fails every write with ENOSPC, as a full data dir does. Before the sink, the log's
// WriteStream emitted an unhandled 'error' here and the process died.
test('log: a log file that fails with ENOSPC drops and counts lines; the process lives on', async () => {
  const log = createLogger({ file: '/dev/full', terminal: false });
  for (let i = 0; i < 50; i++) log.info({ i }, 'line that cannot be written');
  await new Promise((r) => setImmediate(r)); // an 'error' event would fire (and crash) by now
  const sink = new LogFileSink('/dev/full');
  for (let i = 0; i < 3; i++) assert.equal(sink.write('x\n'), true);
  assert.equal(sink.dropped, 3);
  assert.equal(sink.droppedTotal, 3);
  sink.close();
});

test('log: the file is 0600 and says how many lines were lost once writes work again', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-log-'));
  try {
    const file = path.join(dir, 'llmos.log');
    const sink = new LogFileSink(file);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    sink.dropped = 2; // as after two failed writes
    sink.write('{"msg":"after"}\n');
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    assert.match(lines[0]!, /2 lines dropped/);
    assert.equal(lines[1], '{"msg":"after"}');
    assert.equal(sink.dropped, 0);
    sink.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
