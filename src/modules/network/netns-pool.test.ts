// The pool's bookkeeping with a small inline fake of add/remove (the real namespaces are in
// test/networks/netns-pool.test.ts): filled on first use, listed before each entry exists,
// refilled after a take, stopped by a failure, emptied by close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { NetnsPool } from './netns-pool.js';

async function pool(size: number, failAt = Infinity) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'netns-pool-'));
  const made = new Set<string>();
  const listedBeforeAdd: boolean[] = [];
  const stateFile = path.join(dir, 'pool.json');
  let adds = 0;
  const p = new NetnsPool({
    size,
    prefix: 'llmos-t-pool-',
    stateFile,
    refillDelayMs: 0,
    async add(id) {
      await new Promise((r) => setTimeout(r, 5));
      listedBeforeAdd.push(JSON.parse(await readFile(stateFile, 'utf8').catch(() => '{"entries":[]}')).entries.includes(id));
      if (++adds >= failAt) throw new Error('plugin failed');
      made.add(id);
      return { ips: [{ address: `10.0.0.${adds}/24` }] };
    },
    async remove(id) {
      made.delete(id);
    },
    warn: () => undefined,
  });
  return { p, made, listedBeforeAdd, stateFile, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

test('empty until first use; then filled to its size, each entry listed before it is made', async () => {
  const { p, made, listedBeforeAdd, stateFile, cleanup } = await pool(2);
  assert.equal(made.size, 0);
  assert.equal(p.take(), undefined, 'nothing ready on first use');
  await new Promise((r) => setTimeout(r, 1));
  await p.fill();
  assert.equal(made.size, 2);
  assert.deepEqual(listedBeforeAdd, [true, true]);
  const e = p.take()!;
  assert.ok(made.has(e.cniId) && !p.holds(e.cniId), 'a taken entry is no longer the pool\'s');
  assert.equal(e.result.ips?.[0]?.address.split('/')[1], '24');
  await new Promise((r) => setTimeout(r, 1));
  await p.fill();
  assert.equal([...made].filter((id) => p.holds(id)).length, 2, 'refilled');
  await p.close();
  assert.deepEqual([...made], [e.cniId], 'close removes the free entries, not the taken one');
  assert.ok(!existsSync(stateFile), 'and the state file');
  assert.equal(p.take(), undefined, 'a closed pool hands out nothing');
  await cleanup();
});

test('a failed add stops the fill and leaves nothing of that entry', async () => {
  const { p, made, cleanup } = await pool(3, 2);
  await p.fill();
  assert.equal(made.size, 1, 'the second add failed: the fill stopped');
  assert.equal([...made].filter((id) => p.holds(id)).length, 1);
  await p.close();
  assert.equal(made.size, 0);
  await cleanup();
});

test('size 0 is off', async () => {
  const { p, made, cleanup } = await pool(0);
  assert.equal(p.take(), undefined);
  await p.fill();
  assert.equal(made.size, 0);
  await p.close();
  await cleanup();
});
