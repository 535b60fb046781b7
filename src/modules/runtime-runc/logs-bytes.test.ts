import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lineBytes, parseLog, readFrom } from './logs.js';

test('log records are bytes: invalid UTF-8 round-trips through data, offsets are byte offsets', async () => {
  const bin = Buffer.from([0x6f, 0x6b, 0xff, 0xc3]);
  const file = Buffer.concat([Buffer.from('2026-01-01T00:00:00Z stdout F '), bin, Buffer.from('\n2026-01-01T00:00:01Z stdout F é\n')]);
  const lines = parseLog(file);
  assert.equal(lines.length, 2);
  assert.deepEqual(lineBytes(lines[0]!), Buffer.concat([bin, Buffer.from('\n')]));
  assert.equal(lines[1]!.data, undefined, 'valid UTF-8 has no data field');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-logs-'));
  try {
    const f = path.join(dir, 'ctr.log');
    await writeFile(f, file);
    const first = await readFrom(f, 0);
    // The offset is the file's byte length, not the length of decoded text (which made reads repeat forever).
    assert.equal(first.offset, file.length);
    assert.deepEqual(await readFrom(f, first.offset), { lines: [], offset: file.length, truncated: false });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('partial records: joined per stream, and the unfinished last one is flushed without a newline', () => {
  const text = '2026-01-01T00:00:00Z stdout P ab\n2026-01-01T00:00:01Z stdout P c\n';
  assert.deepEqual(parseLog(text), []);
  const flushed = parseLog(text, { flush: true });
  assert.deepEqual(flushed, [{ time: '2026-01-01T00:00:00Z', stream: 'stdout', text: 'abc', partial: true }]);
  assert.deepEqual(lineBytes(flushed[0]!), Buffer.from('abc'));
});
