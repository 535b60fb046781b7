import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../kernel/log.js';
import { SqliteStore } from '../state-store/sqlite-store.js';
import { AsyncInvocations, type AsyncRecord } from './async.js';
import { InvocationFailed } from './failures.js';
import type { InvokeRequest, InvokeResponse } from './runtime/instance.js';

const cfg = { maxAttempts: 3, retryBaseMs: 20, retryCapMs: 100, retentionMs: 60_000, parallel: 2 };

async function settle(a: AsyncInvocations, id: string): Promise<AsyncRecord> {
  for (let i = 0; i < 200; i++) {
    const r = await a.get(id);
    if (r.status === 'succeeded' || r.status === 'failed') return r;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error('did not settle');
}

test('async invocations retry with back-off, keep results, and resume after a restart', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-async-'));
  const store = new SqliteStore(path.join(dir, 'db'));
  try {
    let calls = 0;
    const flaky = async (_fn: string, req: InvokeRequest): Promise<InvokeResponse> => {
      calls++;
      if (calls < 3) throw new InvocationFailed('cpu-limit', 'too slow');
      return { status: 200, headers: [['x', 'y']], body: req.body };
    };
    const a = new AsyncInvocations(store, flaky, cfg, silentLogger());
    await a.start();
    const rec = await a.submit('f', { method: 'POST', url: 'http://gw/', headers: [], body: Buffer.from('payload') });
    assert.equal(rec.status, 'queued');
    const done = await settle(a, rec.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.attempts, 3);
    assert.deepEqual(done.result, { status: 200, headers: [['x', 'y']], body: 'payload', bodyEncoding: 'utf8' });

    // Not worth retrying: the function is gone.
    const gone = new AsyncInvocations(store, async () => { throw new InvocationFailed('not-found', 'no function named f'); }, cfg, silentLogger());
    await gone.start();
    const r2 = await settle(gone, (await gone.submit('f', { method: 'GET', url: 'http://gw/', headers: [], body: null })).id);
    assert.equal(r2.status, 'failed');
    assert.equal(r2.attempts, 1);
    a.stop();
    gone.stop();

    // Work queued before a restart is picked up by the next instance of the worker.
    const stalled = new AsyncInvocations(store, () => new Promise(() => undefined), cfg, silentLogger());
    const pending = await stalled.submit('f', { method: 'GET', url: 'http://gw/', headers: [], body: null });
    stalled.stop();
    const after = new AsyncInvocations(store, async () => ({ status: 204, headers: [], body: null }), cfg, silentLogger());
    await after.start();
    assert.equal((await settle(after, pending.id)).status, 'succeeded');
    after.stop();
    await after.expire(Date.now() + cfg.retentionMs + 1);
    await assert.rejects(after.get(pending.id), /no async invocation/);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
