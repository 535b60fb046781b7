import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cpuBusy, dirBytes, parseMeminfo, parseProcStat, readNode } from './node-sample.js';

test('parseProcStat sums per-CPU lines by mode', () => {
  const t = 'cpu  300 0 100 1000 0 0 0 0 0 0\ncpu0 200 0 50 400 0 0 0 0 0 0\ncpu1 100 0 50 600 0 0 0 0 0 0\nintr 1\n';
  const r = parseProcStat(t);
  assert.equal(r.cpus, 2);
  assert.equal(r.cpuSeconds.user, 3); // (200 + 100) / 100 Hz
  assert.equal(r.cpuSeconds.idle, 10);
});

test('cpuBusy: 1 - idle/total over the interval', () => {
  // +3 s user, +1 s system, +4 s idle -> 1 - 4/8 = 0.5
  assert.equal(cpuBusy({ user: 1, system: 1, idle: 1 }, { user: 4, system: 2, idle: 5 }), 0.5);
  assert.equal(cpuBusy({ idle: 1 }, { idle: 1 }), 0);
});

test('parseMeminfo in bytes', () => {
  const m = parseMeminfo('MemTotal:       16384 kB\nMemAvailable:    8192 kB\nHugePages_Total:       0\n');
  assert.equal(m.MemTotal, 16384 * 1024);
  assert.equal(m.MemAvailable, 8192 * 1024);
  assert.equal(m.HugePages_Total, 0);
});

test('readNode reads this host', async () => {
  const n = await readNode(os.tmpdir());
  assert.equal(n.cpus, os.cpus().length);
  assert.ok(n.memAvailable > 0 && n.memAvailable <= n.memTotal);
  assert.ok(n.disk.size > 0);
});

test('dirBytes measures what a directory takes', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-du-'));
  try {
    const before = (await dirBytes(dir))!;
    await writeFile(path.join(dir, 'f'), Buffer.alloc(1024 * 1024, 1));
    const after = (await dirBytes(dir))!;
    assert.ok(after - before >= 1024 * 1024, `${before} -> ${after}`);
    assert.equal(await dirBytes(path.join(dir, 'missing')), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
