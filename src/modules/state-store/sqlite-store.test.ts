import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from './sqlite-store.js';
import { stateStoreSuite } from '../../../test/contracts/state-store.suite.js';

stateStoreSuite('sqlite', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-store-'));
  return { store: new SqliteStore(path.join(dir, 'state.db')), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

test('sqlite: SIGKILL in the middle of writes loses no committed write', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-store-kill-'));
  const file = path.join(dir, 'state.db');
  // A writer process reports each key only after its transaction committed; we kill it mid-stream.
  const writer = `
    const { SqliteStore } = await import(${JSON.stringify(path.join(path.dirname(fileURLToPath(import.meta.url)), 'sqlite-store.js'))});
    const s = new SqliteStore(${JSON.stringify(file)});
    for (let i = 0; ; i++) {
      await s.txn({ compare: [], success: [{ type: 'put', key: '/k/' + String(i).padStart(8, '0'), value: { i, pad: 'x'.repeat(200) } }, { type: 'put', key: '/last', value: i }] });
      process.stdout.write(i + '\\n');
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', writer], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').length > 400) {
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  await new Promise((r) => child.once('exit', r));
  const acknowledged = out.split('\n').filter(Boolean).map(Number);
  const lastAck = acknowledged.at(-1)!;
  const s = new SqliteStore(file);
  try {
    const { items } = await s.list<{ i: number }>('/k/');
    // every acknowledged write is there, in full; at most the one in flight beyond it
    assert.ok(items.length >= acknowledged.length, `${items.length} stored < ${acknowledged.length} acknowledged`);
    assert.ok(items.length <= lastAck + 2);
    items.forEach((kv, i) => assert.equal(kv.value.i, i));
    const last = (await s.get<number>('/last'))!.value;
    assert.equal(last, items.length - 1, 'both puts of a transaction or neither');
  } finally {
    await s.close();
    await rm(dir, { recursive: true, force: true });
  }
});
