import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../state-store/test-fixture.js';
import { applyObjects, deleteObjects } from './apply.js';
import { assertValid, parseDocuments, splitDocuments } from './manifest.js';

async function withStore(fn: (s: SqliteStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-apply-'));
  const s = new SqliteStore(path.join(dir, 'state.db'));
  try {
    await fn(s);
  } finally {
    await s.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const parse = (text: string) => assertValid(parseDocuments(splitDocuments(text)));
const svc = (name: string, image: string, hostPort: number, replicas = 2) => `{"apiVersion":"llmos.io/v1","kind":"Service","metadata":{"name":"${name}"},"spec":{"image":"${image}","replicas":${replicas},"ports":[{"containerPort":80,"hostPort":${hostPort}}]}}`;

test('apply is idempotent: created, then unchanged, then configured', async () => {
  await withStore(async (s) => {
    const actions = async (text: string, dryRun = false) => (await applyObjects(s, parse(text), { dryRun })).map((o) => `${o.kind} ${o.name} ${o.action}`);
    const pair = `${svc('web', 'a', 18080)}\n---\n{"apiVersion":"v1","kind":"Service","metadata":{"name":"web-np"},"spec":{"type":"NodePort","selector":{"app":"web"},"ports":[{"port":80}]}}`;
    assert.deepEqual(await actions(pair, true), ['Service web created', 'Service web-np created']);
    assert.equal((await s.list('/services/')).items.length, 0, 'dry run changes nothing');
    assert.deepEqual(await actions(pair), ['Service web created', 'Service web-np created']);
    assert.deepEqual(await actions(pair), ['Service web unchanged', 'Service web-np unchanged']);
    // The NodePort got the lowest free port and keeps it.
    const np = await s.get<{ ports: Array<{ hostPort: number }> }>('/service-exposures/default/web-np');
    assert.equal(np?.value.ports[0]?.hostPort, 30000);
    assert.deepEqual(await actions(svc('web', 'b', 18080)), ['Service web configured']);
    const rec = await s.get<{ rollout?: { phase: string } }>('/services/default/web');
    assert.equal(rec?.value.rollout?.phase, 'progressing');
  });
});

test('a host port claimed by another object is refused and nothing is written', async () => {
  await withStore(async (s) => {
    await applyObjects(s, parse(svc('a', 'x', 18081)));
    const rev = await s.revision();
    await assert.rejects(applyObjects(s, parse(`${svc('b', 'x', 18082)}\n---\n${svc('c', 'x', 18081)}`)), /service c: spec\.ports\[0\]\.hostPort: host port 18081 is already used by service a; nothing was changed/);
    assert.equal(await s.revision(), rev);
    assert.equal(await s.get('/services/default/b'), undefined);
  });
});

test('a Function without the functions module is refused before anything changes', async () => {
  await withStore(async (s) => {
    const docs = parse(`${svc('a', 'x', 18083)}\n---\n{"apiVersion":"llmos.io/v1","kind":"Function","metadata":{"name":"f"},"spec":{"runtime":"js"}}`);
    await assert.rejects(applyObjects(s, docs), /kind Function needs the functions module/);
    assert.equal(await s.get('/services/default/a'), undefined);
    // A stand-in for the functions module's routes.
    const deployed = new Map<string, unknown>();
    const calls: string[] = [];
    const functions = {
      exists: async (name: string) => deployed.has(name),
      deploy: async (body: Record<string, unknown>) => void (calls.push(`deploy ${String(body.name)}`), deployed.set(String(body.name), body)),
      remove: async (name: string) => void (calls.push(`remove ${name}`), deployed.delete(name)),
    };
    const actions = async (dryRun = false) => (await applyObjects(s, docs, { functions, dryRun })).map((o) => `${o.kind} ${o.action}`);
    assert.deepEqual(await actions(true), ['Service created', 'Function created']);
    assert.deepEqual(calls, []);
    assert.deepEqual(await actions(), ['Service created', 'Function created']);
    assert.deepEqual(deployed.get('f'), { name: 'f', namespace: 'default', labels: {}, runtime: 'js' });
    // Re-applying the same body does not redeploy it.
    assert.deepEqual(await actions(), ['Service unchanged', 'Function unchanged']);
    assert.deepEqual(calls, ['deploy f']);
    const out = await deleteObjects(s, docs, { functions });
    assert.deepEqual(out.map((o) => `${o.kind} ${o.action}`), ['Service deleted', 'Function deleted']);
    assert.deepEqual(calls, ['deploy f', 'remove f']);
  });
});

test('delete removes what exists and reports what does not', async () => {
  await withStore(async (s) => {
    await applyObjects(s, parse(svc('a', 'x', 18084)));
    const out = await deleteObjects(s, parse(`${svc('a', 'x', 18084)}\n---\n${svc('b', 'x', 18085)}`));
    assert.deepEqual(out.map((o) => o.action), ['deleted', 'not found']);
    assert.equal(await s.get('/services/default/a'), undefined);
  });
});
