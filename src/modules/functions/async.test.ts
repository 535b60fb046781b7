import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../kernel/log.js';
import { SqliteStore } from '../state-store/test-fixture.js';
import { until } from '../../../test/support/until.js';
import { AsyncInvocations, type AsyncRecord } from './async.js';
import type { AsyncLimits } from './async-quota.js';
import { InvocationFailed } from './failures.js';
import { HistoryCompactor } from './history-compactor.js';
import type { InvokeRequest, InvokeResponse } from './runtime/instance.js';

const cfg = { maxAttempts: 3, retryBaseMs: 20, retryCapMs: 100, retentionMs: 60_000, parallel: 2, maxTotalBytes: 2 ** 30, maxResultBytes: 2 ** 20 };
const roomy: AsyncLimits = { ttlMs: 60_000, maxRecords: 1000, maxBytes: 2 ** 30 };

const settle = (a: AsyncInvocations, id: string): Promise<AsyncRecord> =>
  until('the invocation to finish', async () => {
    const r = await a.get(id);
    return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
  }, 10_000, 10);

async function withStore(fn: (store: SqliteStore, file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-async-'));
  const file = path.join(dir, 'db');
  const store = new SqliteStore(file);
  try {
    await fn(store, file);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('async invocations retry with back-off, keep results, and resume after a restart', () =>
  withStore(async (store) => {
    let calls = 0;
    const flaky = async (_fn: string, req: InvokeRequest): Promise<InvokeResponse> => {
      calls++;
      if (calls < 3) throw new InvocationFailed('cpu-limit', 'too slow');
      return { status: 200, headers: [['x', 'y']], body: req.body };
    };
    const a = new AsyncInvocations(store, flaky, cfg, silentLogger(), () => roomy);
    await a.start();
    const rec = await a.submit('f', { method: 'POST', url: 'http://gw/', headers: [], body: Buffer.from('payload') });
    assert.equal(rec.status, 'queued');
    const done = await settle(a, rec.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.attempts, 3);
    assert.deepEqual(done.result, { status: 200, headers: [['x', 'y']], body: 'payload', bodyEncoding: 'utf8' });
    assert.equal(await store.get(`/functions/async-body/${rec.id}`), undefined, 'the request body goes when the invocation finishes');

    // Not worth retrying: the function is gone.
    const gone = new AsyncInvocations(store, async () => { throw new InvocationFailed('not-found', 'no function named f'); }, cfg, silentLogger(), () => roomy);
    await gone.start();
    const r2 = await settle(gone, (await gone.submit('f', { method: 'GET', url: 'http://gw/', headers: [], body: null })).id);
    assert.equal(r2.status, 'failed');
    assert.equal(r2.attempts, 1);
    a.stop();
    gone.stop();

    // Work queued before a restart is picked up by the next instance of the worker, body and all.
    const stalled = new AsyncInvocations(store, () => new Promise(() => undefined), cfg, silentLogger(), () => roomy);
    const pending = await stalled.submit('f', { method: 'POST', url: 'http://gw/', headers: [], body: Buffer.from('again') });
    stalled.stop();
    const after = new AsyncInvocations(store, async (_f, req) => ({ status: 200, headers: [], body: req.body }), cfg, silentLogger(), () => roomy);
    await after.start();
    const resumed = await settle(after, pending.id);
    assert.equal(resumed.result?.body, 'again');
    after.stop();
    await after.expire(Date.now() + cfg.retentionMs + 1);
    await assert.rejects(after.get(pending.id), /no async invocation/);
  }));

test('quota: records and bytes per function give 429 with Retry-After; finishing frees request bytes', () =>
  withStore(async (store) => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const echo = async (_f: string, req: InvokeRequest): Promise<InvokeResponse> => {
      await gate;
      return { status: 200, headers: [], body: req.body };
    };
    const limits: AsyncLimits = { ttlMs: 60_000, maxRecords: 3, maxBytes: 10_000 };
    const a = new AsyncInvocations(store, echo, cfg, silentLogger(), () => limits);
    await a.start();
    const post = (n: number) => a.submit('f', { method: 'POST', url: 'http://gw/', headers: [], body: Buffer.alloc(n, 120) });
    await post(4000);
    await post(4000);
    // Bytes: 8000 held, 4000 more would pass 10000.
    const full = await post(4000).then(() => undefined, (e: unknown) => e);
    assert.ok(full instanceof InvocationFailed && full.reason === 'quota-exceeded', String(full));
    assert.match(full.message, /async quota full: 8\d{3} of 10000 async bytes held/);
    assert.ok((full.retryAfter ?? 0) >= 1);
    // Larger than the whole quota: never fits, 413.
    await assert.rejects(post(20_000), (e: unknown) => e instanceof InvocationFailed && e.reason === 'body-too-large');
    await post(100);
    // Records: 3 held.
    await assert.rejects(post(1), /3 async invocations held \(limit 3\)/);
    assert.equal(a.usage('f').records, 3);
    release();
    await until('all three finished', async () => (await store.list<AsyncRecord>('/functions/async/')).items.every((kv) => kv.value.status === 'succeeded'), 10_000, 10);
    assert.equal(a.usage('f').records, 3, 'kept results still count');
    a.stop();
  }));

test('results expire after the TTL: the record is deleted and its place is free again', () =>
  withStore(async (store) => {
    const limits: AsyncLimits = { ttlMs: 1000, maxRecords: 1, maxBytes: 10_000 };
    const a = new AsyncInvocations(store, async () => ({ status: 200, headers: [], body: Buffer.from('ok') }), cfg, silentLogger(), () => limits);
    await a.start();
    const first = await a.submit('f', { method: 'GET', url: 'http://gw/', headers: [], body: null });
    const done = await settle(a, first.id);
    assert.ok(Date.parse(done.expiresAt!) - Date.parse(done.updatedAt) === 1000);
    await assert.rejects(a.submit('f', { method: 'GET', url: 'http://gw/', headers: [], body: null }), /quota full/);
    // The expiry timer deletes it from the store (not only hides it).
    await until('the record deleted', async () => (await store.get(`/functions/async/${first.id}`)) === undefined, 5000, 20);
    assert.equal(a.usage('f').records, 0);
    await a.submit('f', { method: 'GET', url: 'http://gw/', headers: [], body: null });
    a.stop();
  }));

test('a result larger than the quota allows is dropped, not stored', () =>
  withStore(async (store) => {
    const limits: AsyncLimits = { ttlMs: 60_000, maxRecords: 10, maxBytes: 5000 };
    const a = new AsyncInvocations(store, async () => ({ status: 200, headers: [['a', 'b']], body: Buffer.alloc(50_000, 1) }), cfg, silentLogger(), () => limits);
    await a.start();
    const r = await settle(a, (await a.submit('f', { method: 'GET', url: 'http://gw/', headers: [], body: null })).id);
    assert.equal(r.status, 'succeeded');
    assert.equal(r.result?.omittedBytes, 50_000);
    assert.equal(r.result?.body, '');
    assert.match(r.error ?? '', /not kept/);
    assert.ok(a.usage('f').bytes < 100);
    a.stop();
  }));

test('compaction: a stream of large async bodies keeps the SQLite file bounded', () =>
  withStore(async (store, file) => {
    const compactor = new HistoryCompactor(store, 3_600_000, silentLogger()); // ticked by hand below
    // Expired by hand below (a short real TTL raced the polling of a loaded machine).
    const limits: AsyncLimits = { ttlMs: 60_000, maxRecords: 100, maxBytes: 2 ** 30 };
    const a = new AsyncInvocations(store, async () => ({ status: 204, headers: [], body: null }), cfg, silentLogger(), () => limits, compactor);
    await a.start();
    const body = Buffer.alloc(1 << 20, 97); // 1 MiB each
    const size = async () => (await stat(file)).size + (await stat(`${file}-wal`).then((s) => s.size, () => 0));
    const round = async () => {
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push((await a.submit('f', { method: 'POST', url: 'http://gw/', headers: [], body })).id);
      for (const id of ids) await settle(a, id);
      await a.expire(Date.now() + 61_000);
      await compactor.tick();
      await compactor.tick();
    };
    await round();
    const afterFirst = await size();
    for (let i = 0; i < 8; i++) await round();
    const afterMany = await size();
    // 45 MiB went through; without compaction each body stays twice in history (put, delete).
    assert.ok(afterMany < afterFirst * 1.5 + 2 ** 20, `store grew from ${afterFirst} to ${afterMany} bytes`);
    assert.ok(afterMany < 30 * 2 ** 20, `store is ${afterMany} bytes`);
    a.stop();
    compactor.stop();
  }));
