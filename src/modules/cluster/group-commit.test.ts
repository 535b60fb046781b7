import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TxnRequest } from '../../contracts/state-store.js';
import { Unavailable } from '../../kernel/errors.js';
import { SqliteStore } from '../state-store/test-fixture.js';
import { GroupCommit } from './group-commit.js';

/** A real store whose txn calls are counted (and can be made to fail). */
async function withStore(fn: (s: SqliteStore, calls: TxnRequest[], fail: { on: boolean }) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'group-commit-'));
  const store = new SqliteStore(path.join(dir, 'state.db'));
  const calls: TxnRequest[] = [];
  const fail = { on: false };
  const txn = store.txn.bind(store);
  store.txn = (req) => (calls.push(req), fail.on ? Promise.reject(new Unavailable('store down')) : txn(req));
  try {
    await fn(store, calls, fail);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const renewal = (node: string, rev: number): TxnRequest => ({
  compare: [{ key: `/n/${node}`, target: 'modRevision', value: rev }],
  success: [{ type: 'put', key: `/l/${node}`, value: { node } }, { type: 'get', key: `/n/${node}` }],
});

test('requests within the window are one transaction; each gets its own results', async () => {
  await withStore(async (store, calls) => {
    const revs = await Promise.all(['a', 'b', 'c'].map(async (n) => (await store.put(`/n/${n}`, { n })).revision));
    calls.length = 0;
    const g = new GroupCommit(store, 20);
    const rs = await Promise.all(['a', 'b', 'c'].map((n, i) => g.submit(renewal(n, revs[i]!))));
    assert.equal(calls.length, 1, 'one store call for three renewals');
    assert.deepEqual(rs.map((r) => r.succeeded), [true, true, true]);
    assert.equal(new Set(rs.map((r) => r.revision)).size, 1);
    assert.deepEqual(rs.map((r) => r.results.map((kv) => (kv?.value as { n?: string } | undefined)?.n)), [[undefined, 'a'], [undefined, 'b'], [undefined, 'c']]);
    assert.deepEqual((await store.get('/l/b'))?.value, { node: 'b' });
  });
});

test('one failed compare fails that request alone: the others are applied', async () => {
  await withStore(async (store, calls) => {
    const ra = (await store.put('/n/a', {})).revision;
    const rb = (await store.put('/n/b', {})).revision;
    calls.length = 0;
    const g = new GroupCommit(store, 20);
    const [a, b] = await Promise.all([g.submit(renewal('a', ra)), g.submit(renewal('b', rb + 100))]);
    assert.equal(a.succeeded, true);
    assert.equal(b.succeeded, false);
    assert.equal(calls.length, 3, 'the combined try, then each alone');
    assert.ok(await store.get('/l/a'));
    assert.equal(await store.get('/l/b'), undefined, 'nothing of the failed request is written');
  });
});

test('two requests on one key are not combined: the second sees the first\'s write', async () => {
  await withStore(async (store, calls) => {
    const ra = (await store.put('/n/a', {})).revision;
    calls.length = 0;
    const g = new GroupCommit(store, 20);
    const bump: TxnRequest = { compare: [{ key: '/n/a', target: 'modRevision', value: ra }], success: [{ type: 'put', key: '/n/a', value: { v: 2 } }] };
    const [first, second] = await Promise.all([g.submit(bump), g.submit(renewal('a', ra))]);
    assert.equal(first.succeeded, true);
    assert.equal(second.succeeded, false, 'its compare is against the state after the first');
    assert.equal(calls.length, 2);
  });
});

test('a batch stays under etcd\'s request size: large values go in separate transactions', async () => {
  await withStore(async (store, calls) => {
    const g = new GroupCommit(store, 20);
    const big = 'x'.repeat(300 * 1024);
    const rs = await Promise.all(['a', 'b', 'c'].map((n) => g.submit({ compare: [], success: [{ type: 'put', key: `/big/${n}`, value: big }] })));
    assert.deepEqual(rs.map((r) => r.succeeded), [true, true, true]);
    assert.equal(calls.length, 3, 'no two 300 KiB values in one transaction');
  });
});

test('a store failure reaches every caller of the batch', async () => {
  await withStore(async (store, _calls, fail) => {
    const g = new GroupCommit(store, 20);
    fail.on = true;
    const rs = await Promise.allSettled(['a', 'b'].map((n) => g.submit(renewal(n, 0))));
    assert.deepEqual(rs.map((r) => r.status === 'rejected' && (r.reason as Error).message), ['store down', 'store down']);
  });
});
