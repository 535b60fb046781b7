import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { EdgeSyncRequest, TwinValue } from '../../contracts/iot.js';
import type { SeriesStoreHandle } from '../../contracts/monitor.js';
import { SqliteStore } from '../state-store/test-fixture.js';
import { EdgeNodes } from './edge-server.js';
import { Registry } from './registry.js';

/** A series store that records what it is given. */
function fakeSeries(): SeriesStoreHandle & { points: Array<[string, number, number]> } {
  const points: Array<[string, number, number]> = [];
  return { points, add: (_n, l, t, v) => void points.push([`${l.device}/${l.property}`, t, v]), get: () => undefined, drop: () => 0 };
}

async function setup(fn: (x: { edges: EdgeNodes; reg: Registry; series: ReturnType<typeof fakeSeries>; store: SqliteStore }) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edge-server-'));
  const store = new SqliteStore(path.join(dir, 'state.db'));
  try {
    const reg = new Registry(store, () => 0);
    await reg.putModel(reg.parseModel({ name: 'th', properties: [{ name: 'temperature', type: 'number' }, { name: 'mode', type: 'string', access: 'readwrite' }, { name: 'setpoint', type: 'number', access: 'readwrite' }] }));
    await reg.putDevices(reg.parseDevices([{ name: 'a', model: 'th', node: 'h1' }, { name: 'b', model: 'th', node: 'h2' }, { name: 'c', model: 'th' }]));
    const series = fakeSeries();
    const edges = new EdgeNodes({ store, reg, series, log: pino({ level: 'silent' }), latest: new Map<string, Record<string, TwinValue>>(), now: () => 0 });
    await fn({ edges, reg, series, store });
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const req = (r: Partial<EdgeSyncRequest>): EdgeSyncRequest => ({ twins: [], points: [], dropped: 0, ...r });

test('points are applied once each, only for the node\'s own devices and numeric properties', async () => {
  await setup(async ({ edges, series }) => {
    const pts: EdgeSyncRequest['points'] = [[10, 'a', 'temperature', 1000, 20], [11, 'a', 'temperature', 1000, 21], [12, 'b', 'temperature', 1001, 5], [13, 'a', 'mode', 1002, 1]];
    const first = await edges.sync('h1', req({ points: pts, broker: { url: 'mqtt://10.0.0.2:1883' } }));
    assert.equal(first.ackSeq, 13);
    // b is h2's, mode is a string: skipped (but acknowledged). Equal times are spaced 1 ms.
    assert.deepEqual(series.points, [['a/temperature', 1000, 20], ['a/temperature', 1001, 21]]);
    // The same batch again (its answer was lost) and one new point: only the new one is applied.
    const again = await edges.sync('h1', req({ points: [...pts, [14, 'a', 'temperature', 1003, 22]] }));
    assert.equal(again.ackSeq, 14);
    assert.equal(series.points.length, 3);
    assert.deepEqual(await edges.broker('h1'), { url: 'mqtt://10.0.0.2:1883' });
    assert.equal(await edges.broker('h2'), undefined);
  });
});

test('the answer: the node\'s devices and models only; twins merged by version', async () => {
  await setup(async ({ edges, reg }) => {
    const t = reg.twin('a');
    Object.assign(t, { desired: { setpoint: 20 }, desiredVersion: 2 });
    const twin = { name: 'a', reported: { setpoint: 19 }, reportedVersion: 7, lastSeen: 5, online: true };
    // The edge's desired is older: the server's stays; the edge's reported is taken.
    let ans = await edges.sync('h1', req({ twins: [{ ...twin, desired: { setpoint: 30 }, desiredVersion: 1 }, { ...twin, name: 'b', desired: {}, desiredVersion: 0 }] }));
    assert.deepEqual(ans.devices.map((d) => d.name), ['a']);
    assert.deepEqual(ans.models.map((m) => m.name), ['th']);
    assert.deepEqual(ans.desired, [{ name: 'a', desired: { setpoint: 20 }, desiredVersion: 2 }]);
    assert.deepEqual(reg.twin('a').reported, { setpoint: 19 });
    assert.equal(reg.twin('b').reportedVersion, 0, 'a twin of another node\'s device is not taken');
    // A rule on the edge wrote desired state (version 3): it wins.
    ans = await edges.sync('h1', req({ twins: [{ ...twin, desired: { mode: 'cool' }, desiredVersion: 3 }] }));
    assert.deepEqual(ans.desired, [{ name: 'a', desired: { mode: 'cool' }, desiredVersion: 3 }]);
  });
});

test('the highest applied sequence survives a server restart (no point applied twice)', async () => {
  await setup(async ({ edges, reg, store, series }) => {
    await edges.sync('h1', req({ points: [[5, 'a', 'temperature', 1, 1]], dropped: 3 }));
    const after = new EdgeNodes({ store, reg, series, log: pino({ level: 'silent' }), latest: new Map(), now: () => 0 });
    const ans = await after.sync('h1', req({ points: [[5, 'a', 'temperature', 1, 1], [6, 'a', 'temperature', 2, 2]] }));
    assert.equal(ans.ackSeq, 6);
    assert.deepEqual(series.points.map((p) => p[2]), [1, 2]);
  });
});

test('a late request with an older drop count does not lower it (nor log the same drops twice)', async () => {
  await setup(async ({ reg, store }) => {
    const warned: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void warned.push(JSON.parse(line).msg) });
    const e = new EdgeNodes({ store, reg, log, latest: new Map(), now: () => 0 });
    await e.sync('h1', req({ dropped: 301 }));
    await e.sync('h1', req({ dropped: 120 })); // sent before the one above, delivered after it
    await e.sync('h1', req({ dropped: 301 }));
    await e.sync('h1', req({ dropped: 305 }));
    assert.deepEqual(warned.map((m) => m.match(/dropped (\d+) .*; (\d+) in all/)!.slice(1)), [['301', '301'], ['4', '305']]);
  });
});

test('device rules go to the nodes whose devices they match, narrowed to that node', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edge-rules-'));
  const store = new SqliteStore(path.join(dir, 'state.db'));
  try {
    const reg = new Registry(store, () => 0);
    await reg.putModel(reg.parseModel({ name: 'th', properties: [{ name: 'temperature', type: 'number' }] }));
    await reg.putDevices(reg.parseDevices([{ name: 'a', model: 'th', node: 'h1', labels: { room: 'lab' } }, { name: 'b', model: 'th', node: 'h2' }]));
    const rule = (name: string, onDevice: string) => ({ name, onDevice, when: 'temperature > 1', origin: `t#1`, code: { files: { 'index.js': 'export default {}' }, entry: 'index.js' } });
    const rules = [rule('all', 'model=th'), rule('lab', 'room=lab'), rule('none', 'model=other')];
    const edges = new EdgeNodes({ store, reg, log: pino({ level: 'silent' }), latest: new Map(), now: () => 0, rules: () => rules });
    const h1 = await edges.sync('h1', req({}));
    assert.deepEqual(h1.rules.map((r) => [r.name, r.onDevice, r.when, r.origin]), [['all', 'model=th,node=h1', 'temperature > 1', 't#1'], ['lab', 'room=lab,node=h1', 'temperature > 1', 't#1']]);
    assert.equal(h1.rules[0]!.code?.files['index.js'], 'export default {}', 'the code goes with the rule');
    assert.deepEqual((await edges.sync('h2', req({}))).rules.map((r) => r.onDevice), ['model=th,node=h2']);
    assert.deepEqual((await edges.sync('h3', req({}))).rules, [], 'a node with no devices gets no rules');
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
