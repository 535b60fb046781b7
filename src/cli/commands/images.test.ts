import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageRows, progressLine, splitTag } from './images.js';

const layer = 'sha256:' + 'ab'.repeat(32);

test('progressLine: bar, bytes, speed and ETA from the time passed in', () => {
  // 1 MiB of 4 MiB after 2 s: 512 KiB/s, 3 MiB left -> ETA 6 s; bar 30 * 1/4 = 7 cells.
  const line = progressLine({ layer, status: 'downloading', current: 2 ** 20, total: 4 * 2 ** 20 }, 0, 2000);
  assert.match(line, /^abababababab: Downloading/);
  assert.match(line, /\[======>\s{23}\]/);
  assert.match(line, /1\.0MiB\/4\.0MiB {2}512KiB\/s {2}ETA 6s$/);
  assert.equal(progressLine({ layer, status: 'exists', current: 1, total: 1 }, undefined, 0), 'abababababab: Already exists');
});

test('splitTag and imageRows show one row per name, <none> for untagged', () => {
  assert.deepEqual(splitTag('127.0.0.1:5000/team/app:1.2'), { repo: '127.0.0.1:5000/team/app', tag: '1.2' });
  assert.deepEqual(splitTag('reg:5000/app'), { repo: 'reg:5000/app', tag: 'latest' });
  const rows = imageRows([{ id: 'sha256:' + '1'.repeat(64), digest: 'sha256:' + '2'.repeat(64), repoTags: [], size: 1, platform: { os: 'linux', architecture: 'amd64' }, config: {}, layers: [] }]);
  assert.deepEqual([rows[0]!.repo, rows[0]!.tag, rows[0]!.id], ['<none>', '<none>', '111111111111']);
});
