import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeView } from '../contracts/cluster.js';
import { FailedPrecondition, Unavailable } from './errors.js';
import { checkPlacement, RemoteContainers } from './remote-containers.js';
import { within } from './deadline.js';

const id = (c: string) => c.repeat(64);

test('lastSeen: by name, full id, or an id prefix of 3+ hex digits; a newer sighting wins', () => {
  const r = new RemoteContainers();
  r.remember('h1', { id: id('a'), name: 'web-1' });
  r.remember('h2', { id: id('b'), name: 'db' });
  assert.equal(r.lastSeen('web-1'), 'h1');
  assert.equal(r.lastSeen(id('b')), 'h2');
  assert.equal(r.lastSeen('bbbbbb'), 'h2');
  assert.equal(r.lastSeen('bb'), undefined); // too short to be a prefix
  assert.equal(r.lastSeen('nope'), undefined);
  r.remember('h3', { id: id('b'), name: 'db' }); // moved (a replaced workload)
  assert.equal(r.lastSeen('db'), 'h3');
  r.forget('db');
  assert.equal(r.lastSeen('db'), undefined);
});

test('remember keeps at most 10,000 keys, dropping the oldest', () => {
  const r = new RemoteContainers();
  for (let i = 0; i < 6000; i++) r.remember('h1', { id: i.toString(16).padStart(64, '0'), name: `c${i}` });
  assert.equal(r.size(), 10_000);
  assert.equal(r.lastSeen('c0'), undefined);
  assert.equal(r.lastSeen('c5999'), 'h1');
});

test('checkPlacement: a NotReady or cordoned node takes no new container, each with a one-line reason', () => {
  const base = { name: 'h2', status: 'Ready', unschedulable: false, lastHeartbeat: '2026-12-01T00:00:00.000Z' } as NodeView;
  assert.doesNotThrow(() => checkPlacement(base));
  assert.throws(() => checkPlacement({ ...base, status: 'NotReady' }), (e: Error) => e instanceof FailedPrecondition && /^node h2 is NotReady \(last heartbeat 2026-12-01T00:00:00.000Z\)/.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => checkPlacement({ ...base, unschedulable: true, draining: true }), (e: Error) => e instanceof FailedPrecondition && /node h2 is cordoned and draining: llmos node uncordon h2/.test(e.message));
});

test('within: a promise that does not settle in time is Unavailable, naming what did not answer', async () => {
  await assert.rejects(within(new Promise(() => undefined), 20, 'node h3'), (e: Error) => e instanceof Unavailable && /node h3 did not answer within 0.02 s/.test(e.message));
  assert.equal(await within(Promise.resolve(7), 1000, 'x'), 7);
});
