// The etcd back end against the state-store contract, on a real etcd (Debian's etcd-server), plus
// what only a shared store has: two control-plane processes see each other's writes and watches.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EtcdStore } from '../../src/modules/state-store-etcd/etcd-store.js';
import type { WatchEvent } from '../../src/contracts/state-store.js';
import { startEtcd, type TestEtcd } from '../support/etcd.js';
import { stateStoreSuite } from './state-store.suite.js';
import { until, within } from '../support/until.js';

let etcd: TestEtcd;
before(async () => {
  etcd = await startEtcd(1);
});
after(() => etcd?.stop());

// Each case gets its own key prefix on the one etcd, so cases cannot see each other's keys.
stateStoreSuite('etcd', async () => ({ store: new EtcdStore({ endpoints: etcd.endpoints, prefix: `/t-${randomUUID()}` }), cleanup: async () => undefined }));

const storeModule = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/modules/state-store-etcd/etcd-store.js');

test('etcd: two control-plane processes on the same etcd see each other\'s writes and watches', async () => {
  const prefix = `/t-${randomUUID()}`;
  const mine = new EtcdStore({ endpoints: etcd.endpoints, prefix });
  try {
    const from = await mine.revision();
    const seen: WatchEvent[] = [];
    const cancel = await mine.watch('/nodes/', from, (e) => seen.push(e));
    // The other process writes two keys, then waits for one of ours and reports what it saw.
    const other = `
      const { EtcdStore } = await import(${JSON.stringify(storeModule)});
      const s = new EtcdStore({ endpoints: ${JSON.stringify(etcd.endpoints)}, prefix: ${JSON.stringify(prefix)} });
      await s.put('/nodes/b', { ready: true });
      await s.txn({ compare: [{ key: '/nodes/c', target: 'exists', value: false }], success: [{ type: 'put', key: '/nodes/c', value: 1 }] });
      const from = await s.revision();
      const got = await new Promise((resolve) => { void s.watch('/reply/', from, (e) => resolve(e.kv.value)); });
      process.stdout.write(JSON.stringify(got));
      await s.close();`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', other], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    await until('the other process\'s writes', async () => seen.length >= 2, 15_000, 50);
    assert.deepEqual(seen.map((e) => `${e.type} ${e.kv.key}`), ['put /nodes/b', 'put /nodes/c']);
    assert.deepEqual((await mine.get('/nodes/b'))?.value, { ready: true });
    // The other process watches from its own current revision: write until it has started watching.
    await until('the other process to read the reply', async () => {
      await mine.put('/reply/x', 'hello');
      return child.exitCode !== null || out !== '';
    }, 15_000, 200);
    assert.equal(await within(exited, 15_000, 'the other process'), 0);
    assert.equal(JSON.parse(out), 'hello');
    cancel();
  } finally {
    await mine.close();
  }
});

test('etcd: an unreachable etcd is Unavailable, fast, with a clear message', async () => {
  const s = new EtcdStore({ endpoints: ['http://127.0.0.1:9'], prefix: '/x', timeoutMs: 1500 });
  const t0 = Date.now();
  await assert.rejects(s.get('/a'), (e: Error) => e.name === 'Unavailable' && /store unavailable/.test(e.message));
  assert.ok(Date.now() - t0 < 10_000, 'fails within a few seconds');
  await s.close();
});

/**
 * A TCP relay to etcd that can hold back etcd's answers for a while: the request is applied, its
 * answer arrives after the client's deadline (as on a loaded machine, or a slow network).
 */
async function stallingRelay(target: string): Promise<{ endpoint: string; stall: (ms: number) => void; close: () => void }> {
  const { hostname, port } = new URL(target);
  let stalledUntil = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) sockets.add(s.on('error', closeBoth).on('close', closeBoth));
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const wait = stalledUntil - Date.now();
      if (wait <= 0) client.write(chunk);
      // Held chunks keep their order: every one waits for the same end of the stall.
      else setTimeout(() => client.writable && client.write(chunk), wait);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port: local } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${local}`,
    stall: (ms) => (stalledUntil = Date.now() + ms),
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test('etcd: a write applied but answered after the deadline is not a conflict when tried again; a real conflict still is', async () => {
  const relay = await stallingRelay(etcd.endpoints[0]!);
  const prefix = `/t-${randomUUID()}`;
  // Attempts of 1 s within a 3 s call: the stall outlasts the first attempt only.
  const s = new EtcdStore({ endpoints: [relay.endpoint], prefix, timeoutMs: 3000 });
  const other = new EtcdStore({ endpoints: etcd.endpoints, prefix });
  try {
    await s.get('/warm'); // the channel is open before the stall
    relay.stall(1500);
    const created = await s.txn({ compare: [{ key: '/tokens/a', target: 'exists', value: false }], success: [{ type: 'put', key: '/tokens/a', value: { hash: 'x1' } }] });
    assert.equal(created.succeeded, true, 'the create is reported as done');
    const kv = await other.get('/tokens/a');
    assert.deepEqual(kv?.value, { hash: 'x1' });
    assert.equal(created.revision, kv?.modRevision);
    relay.stall(1500);
    const cas = await s.put('/tokens/a', { hash: 'x2' }, { prevRevision: kv!.modRevision });
    assert.equal(cas.revision, (await other.get('/tokens/a'))?.modRevision);
    // Another writer's value is a conflict, stalled or not.
    await other.put('/tokens/b', { hash: 'theirs' });
    relay.stall(1500);
    const lost = await s.txn({ compare: [{ key: '/tokens/b', target: 'exists', value: false }], success: [{ type: 'put', key: '/tokens/b', value: { hash: 'mine' } }] });
    assert.equal(lost.succeeded, false);
    // A transaction that writes nothing is a read: its retry's answer stands.
    relay.stall(1500);
    const check = await s.txn({ compare: [{ key: '/tokens/b', target: 'exists', value: false }], success: [], failure: [{ type: 'get', key: '/tokens/b' }] });
    assert.equal(check.succeeded, false);
    assert.deepEqual(check.results[0]?.value, { hash: 'theirs' });
    await assert.rejects(s.put('/tokens/b', { hash: 'mine' }, { prevRevision: 1 }), (e: Error) => e.name === 'Conflict');
  } finally {
    await s.close();
    await other.close();
    relay.close();
  }
});
