import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EdgeBuffer } from './edge-buffer.js';

test('bounded: when full the oldest point is dropped and counted', () => {
  const b = new EdgeBuffer(3, 1);
  for (let i = 1; i <= 5; i++) b.push('d', 'temperature', i, i * 10);
  assert.equal(b.size, 3);
  assert.equal(b.dropped, 2);
  // seq starts at now*1000 = 1000; the first two (1000, 1001) were dropped.
  assert.deepEqual(b.peek(10).map((p) => [p[0], p[4]]), [[1002, 30], [1003, 40], [1004, 50]]);
});

test('ack removes exactly the points up to the acknowledged sequence, peek does not', () => {
  const b = new EdgeBuffer(10, 0);
  for (let i = 0; i < 4; i++) b.push('d', 'p', i, i);
  assert.equal(b.peek(2).length, 2);
  assert.equal(b.size, 4);
  b.ack(1); // seqs 0 and 1
  assert.deepEqual(b.peek(10).map((p) => p[0]), [2, 3]);
  b.ack(0); // an older ack changes nothing
  assert.equal(b.size, 2);
  b.ack(99);
  assert.equal(b.size, 0);
});

test('many pushes and acks stay consistent across compactions', () => {
  const b = new EdgeBuffer(5000, 0);
  let acked = -1;
  for (let i = 0; i < 20_000; i++) {
    b.push('d', 'p', i, i);
    if (i % 7 === 0) b.ack((acked = i - 3));
  }
  const left = b.peek(100_000);
  assert.equal(left[0]![0], acked + 1);
  assert.equal(left.at(-1)![0], 19_999);
  assert.equal(b.size, 19_999 - acked);
});

test('saved and loaded: points, the drop counter, and sequences that keep growing after a restart', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edge-buffer-'));
  try {
    const file = path.join(dir, 'buffer.json');
    const b = new EdgeBuffer(4, 5);
    for (let i = 0; i < 6; i++) b.push('d', 'p', i, i);
    await b.save(file);
    assert.equal(b.dirty, false);
    // Loaded with a smaller capacity: the two oldest go, counted.
    const c = await EdgeBuffer.load(file, 2, 1);
    assert.equal(c.size, 2);
    assert.equal(c.dropped, 4);
    assert.deepEqual(c.peek(5).map((p) => p[4]), [4, 5]);
    c.push('d', 'p', 9, 9);
    assert.ok(c.peek(5).at(-1)![0] > 5005, 'a new point gets a sequence past every saved one');
    // A later clock wins over the saved sequence (a file older than the last ack).
    const later = await EdgeBuffer.load(file, 4, 10);
    later.push('d', 'p', 1, 1);
    assert.equal(later.peek(10).at(-1)![0], 10_000);
    // A missing or torn file is an empty buffer.
    assert.equal((await EdgeBuffer.load(path.join(dir, 'none.json'), 4)).size, 0);
    await writeFile(file, '{"points": [');
    assert.equal((await EdgeBuffer.load(file, 4)).size, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
