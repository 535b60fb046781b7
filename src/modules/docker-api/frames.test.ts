import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frame, parseFrames, STDERR, STDOUT } from './frames.js';

test('a frame is the 8-byte header then the payload, and parses back', () => {
  const f = frame(STDERR, 'oops\n');
  assert.deepEqual([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 5]);
  const both = Buffer.concat([frame(STDOUT, Buffer.from([0xff, 0x00])), f]);
  const { frames, rest } = parseFrames(Buffer.concat([both, Buffer.from([1, 0, 0])]));
  assert.deepEqual(frames.map((x) => [x.stream, [...x.data]]), [[1, [0xff, 0]], [2, [...Buffer.from('oops\n')]]]);
  assert.equal(rest.length, 3, 'an incomplete header stays for the next chunk');
});
