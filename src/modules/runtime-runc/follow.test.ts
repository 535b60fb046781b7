import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LogLine } from '../../contracts/containers.js';
import { readLog, sleepOrAbort, type FollowTarget } from './follow.js';

const line = (n: number, stream = 'stdout') => `2026-01-01T00:00:0${n}.000Z ${stream} F line ${n}\n`;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-follow-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function target(): FollowTarget & { live: boolean; holds: number } {
  const t = {
    live: true,
    holds: 0,
    active: () => t.live,
    present: () => true,
    hold: () => {
      t.holds++;
      return () => void t.holds--;
    },
    wakers: {} as { wakers?: Set<() => void> },
  };
  return t;
}

test('tail keeps the last lines; without follow the read ends and takes no hold', async () => {
  await withDir(async (dir) => {
    const file = path.join(dir, 'ctr.log');
    await writeFile(file, line(1) + line(2) + line(3));
    const t = target();
    const got: LogLine[] = [];
    for await (const l of readLog(file, t, { tail: 2 })) got.push(l);
    assert.deepEqual(got.map((l) => l.text), ['line 2', 'line 3']);
    const none: LogLine[] = [];
    for await (const l of readLog(file, t, { tail: 0 })) none.push(l);
    assert.deepEqual(none, []);
    assert.equal(t.holds, 0);
  });
});

test('follow: lines written later arrive, the exit wakes the follower, the last lines are not lost, the hold is released', async () => {
  await withDir(async (dir) => {
    const file = path.join(dir, 'ctr.log');
    await writeFile(file, line(1));
    const t = target();
    const it = readLog(file, t, { follow: true })[Symbol.asyncIterator]();
    assert.equal((await it.next()).value?.text, 'line 1');
    const second = it.next();
    await appendFile(file, line(2, 'stderr'));
    const l2 = (await second).value as LogLine;
    assert.deepEqual([l2.stream, l2.text], ['stderr', 'line 2']);
    assert.equal(t.holds, 1);
    // The container writes its last line and exits: the follower is woken and reads it, then ends.
    const rest = it.next();
    await appendFile(file, line(3));
    t.live = false;
    for (const w of t.wakers.wakers ?? []) w();
    assert.equal(((await rest).value as LogLine).text, 'line 3');
    const started = Date.now();
    assert.equal((await it.next()).done, true);
    assert.ok(Date.now() - started < 1000, 'ended soon after the exit');
    assert.equal(t.holds, 0);
  });
});

test('follow ends when its signal aborts, and releases its hold', async () => {
  await withDir(async (dir) => {
    const file = path.join(dir, 'ctr.log');
    await writeFile(file, '');
    const t = target();
    const ac = new AbortController();
    const it = readLog(file, t, { follow: true, signal: ac.signal })[Symbol.asyncIterator]();
    const next = it.next();
    setImmediate(() => ac.abort());
    assert.equal((await next).done, true);
    assert.equal(t.holds, 0);
  });
});

test('sleepOrAbort: a waker ends the sleep early and is removed', async () => {
  const host: { wakers?: Set<() => void> } = {};
  const started = Date.now();
  const p = sleepOrAbort(10_000, undefined, host);
  assert.equal(host.wakers?.size, 1);
  for (const w of host.wakers!) w();
  await p;
  assert.ok(Date.now() - started < 1000);
  assert.equal(host.wakers?.size, 0);
});
