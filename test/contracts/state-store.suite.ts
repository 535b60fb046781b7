// The contract every state store back end must pass (after containerd's content testsuite).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StateStore, WatchEvent } from '../../src/contracts/state-store.js';

export function stateStoreSuite(name: string, open: () => Promise<{ store: StateStore; cleanup: () => Promise<void> }>): void {
  const withStore = (title: string, fn: (s: StateStore) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const { store, cleanup } = await open();
      try {
        await fn(store);
      } finally {
        await store.close();
        await cleanup();
      }
    });

  withStore('put and get track revisions and versions', async (s) => {
    const r0 = await s.revision();
    const { revision: r1 } = await s.put('/a', { n: 1 });
    assert.equal(r1, r0 + 1);
    await s.put('/a', { n: 2 });
    const kv = await s.get<{ n: number }>('/a');
    assert.deepEqual(kv?.value, { n: 2 });
    assert.equal(kv?.createRevision, r1);
    assert.equal(kv?.modRevision, r1 + 1);
    assert.equal(kv?.version, 2);
    assert.equal(await s.get('/missing'), undefined);
  });

  withStore('list by prefix in key order, with pagination; prefixes do not leak', async (s) => {
    for (const k of ['/svc/b', '/svc/a', '/svc/c', '/svcx/z', '/sv']) await s.put(k, k);
    const { items } = await s.list('/svc/');
    assert.deepEqual(items.map((i) => i.key), ['/svc/a', '/svc/b', '/svc/c']);
    const page = await s.list('/svc/', { limit: 2 });
    assert.deepEqual(page.items.map((i) => i.key), ['/svc/a', '/svc/b']);
    const next = await s.list('/svc/', { after: '/svc/b' });
    assert.deepEqual(next.items.map((i) => i.key), ['/svc/c']);
  });

  withStore('put with prevRevision is compare-and-swap', async (s) => {
    await s.put('/lock', 'x', { prevRevision: 0 });
    await assert.rejects(s.put('/lock', 'y', { prevRevision: 0 }), /revision/);
    const kv = (await s.get('/lock'))!;
    await s.put('/lock', 'z', { prevRevision: kv.modRevision });
    await assert.rejects(s.put('/lock', 'w', { prevRevision: kv.modRevision }), /revision/);
    assert.equal((await s.get('/lock'))!.value, 'z');
  });

  withStore('txn runs success or failure atomically, all at one revision', async (s) => {
    await s.put('/x', 1);
    const rev = (await s.get('/x'))!.modRevision;
    const ok = await s.txn({ compare: [{ key: '/x', target: 'modRevision', value: rev }], success: [{ type: 'put', key: '/y', value: 2 }, { type: 'put', key: '/z', value: 3 }, { type: 'get', key: '/x' }], failure: [{ type: 'put', key: '/failed', value: true }] });
    assert.equal(ok.succeeded, true);
    assert.equal(ok.results[2]?.value, 1);
    assert.equal((await s.get('/y'))!.modRevision, (await s.get('/z'))!.modRevision);
    const no = await s.txn({ compare: [{ key: '/x', target: 'exists', value: false }], success: [{ type: 'put', key: '/never', value: 1 }], failure: [{ type: 'put', key: '/failed', value: true }] });
    assert.equal(no.succeeded, false);
    assert.equal(await s.get('/never'), undefined);
    assert.equal((await s.get('/failed'))!.value, true);
    await assert.rejects(s.txn({ compare: [], success: [{ type: 'put', key: '/ok', value: 1 }, { type: 'put', key: '', value: 1 }] }), /non-empty/);
    assert.equal(await s.get('/ok'), undefined, 'a rejected txn writes nothing');
  });

  withStore('delete one key or a prefix', async (s) => {
    for (const k of ['/d/1', '/d/2', '/e']) await s.put(k, 0);
    assert.equal((await s.delete('/d/', { prefix: true })).deleted, 2);
    assert.equal((await s.delete('/nope')).deleted, 0);
    assert.deepEqual((await s.list('/')).items.map((i) => i.key), ['/e']);
    await s.put('/e', 1);
    await s.delete('/e');
    await s.put('/e', 2);
    assert.equal((await s.get('/e'))!.version, 1, 'version restarts after a delete');
  });

  withStore('watch replays history from a revision, then delivers live changes in order', async (s) => {
    const start = await s.revision();
    await s.put('/w/a', 1);
    await s.put('/other', 1);
    await s.delete('/w/a');
    const seen: WatchEvent[] = [];
    const cancel = await s.watch('/w/', start, (e) => seen.push(e));
    await s.put('/w/b', 2);
    cancel();
    await s.put('/w/c', 3);
    assert.deepEqual(seen.map((e) => `${e.type} ${e.kv.key}`), ['put /w/a', 'delete /w/a', 'put /w/b']);
    assert.equal(seen[1]!.prev?.value, 1);
    const revs = seen.map((e) => e.kv.modRevision);
    assert.deepEqual([...revs].sort((a, b) => a - b), revs);
  });

  withStore('watch from a compacted revision fails', async (s) => {
    await s.put('/k', 1);
    await s.put('/k', 2);
    const rev = await s.revision();
    await s.compact(rev);
    await assert.rejects(s.watch('/', rev - 1, () => undefined), /compacted/);
    const cancel = await s.watch('/', rev, () => undefined);
    cancel();
  });
}
