// Fuzz the agents' unauthenticated calls (anything on the network can send them): join bodies and
// tokens near a valid one (flipped characters, another CA hash, other ids, hostile strings) and
// lease credentials. Property: never a 5xx, only a valid token registers a node, and a forged
// credential never renews a lease.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startRig, type ApiRig } from '../api/harness.js';
import { runProperty } from './budget.js';
import { hostile } from './hostile.js';

const report = { capacity: { cpu: 1000, memory: 2 ** 30 }, allocatable: { cpu: 900, memory: 2 ** 29 }, allocated: { cpu: 0, memory: 0 }, runtimes: ['runc'], images: [], workloads: 0, agentVersion: 'fuzz' };

describe('cluster agent calls: fuzzed tokens, bodies and credentials', { concurrency: false }, () => {
  let rig: ApiRig;
  let token = '';
  let credential = '';
  before(async () => {
    rig = await startRig();
    token = ((await rig.req('POST', '/v1/cluster/tokens', { ttlSeconds: 3600 })).json() as { token: string }).token;
    const j = await rig.req('POST', '/v1/cluster/agent/join', { token, name: 'real', machineId: 'cd'.repeat(16), labels: {}, taints: [], report }, { authorization: '' });
    assert.equal(j.statusCode, 200, j.body);
    credential = (j.json() as { credential: string }).credential;
  });
  after(() => rig?.close());

  /** The valid token with one character changed, cut, or extended; or a hostile string. */
  const nearToken = fc.oneof(
    fc.tuple(fc.nat(), fc.constantFrom(...'0123456789abcdefABCDEF:._-K'.split(''))).map(([i, c]) => {
      const at = i % token.length;
      return token.slice(0, at) + (token[at] === c ? (c === 'a' ? 'b' : 'a') : c) + token.slice(at + 1);
    }),
    fc.nat().map((n) => token.slice(0, n % token.length)),
    fc.string().map((s) => token + s).filter((t) => t !== token),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: 64, maxLength: 64 }).map((h) => `K10${h}${token.slice(67)}`).filter((t) => t !== token),
    hostile,
  );

  test('joins with a wrong token or body: 4xx, nothing registered', { timeout: 120_000 }, async () => {
    let n = 0;
    const ran = await runProperty(fc.asyncProperty(nearToken, fc.oneof(fc.constant('f0'), fc.string({ maxLength: 70 }), hostile), fc.option(hostile), async (t, name, extra) => {
      const body = extra === null ? { token: t, name: `fz${++n}`, machineId: 'ab'.repeat(16), labels: {}, taints: [], report } : { token: t, name, machineId: extra, labels: extra, taints: [], report: extra };
      const r = await rig.req('POST', '/v1/cluster/agent/join', body as never, { authorization: '' });
      assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${r.statusCode} ${r.body}`);
    }), 300);
    const nodes = (await rig.req('GET', '/v1/nodes')).json() as { nodes: Array<{ name: string }> };
    assert.deepEqual(nodes.nodes.map((x) => x.name), ['real']);
    process.stdout.write(`# join fuzz: ${ran} cases\n`);
  });

  test('lease renewals with forged credentials: 401 or 400, never renewed', { timeout: 120_000 }, async () => {
    const before = ((await rig.req('GET', '/v1/nodes/real')).json() as { lastHeartbeat: string }).lastHeartbeat;
    const forged = fc.oneof(
      fc.string({ maxLength: 80 }).map((s) => `real.${s}`).filter((c) => c !== credential),
      fc.nat().map((i) => credential.slice(0, 5 + (i % (credential.length - 5)))),
      fc.string({ maxLength: 80 }),
    );
    const ran = await runProperty(fc.asyncProperty(forged, fc.oneof(fc.constant(report), hostile), async (c, rep) => {
      // Header-safe: a client cannot send control characters in a header at all.
      const r = await rig.req('PUT', '/v1/cluster/agent/lease', { report: rep } as never, { authorization: `Bearer ${c.replace(/[^\x21-\x7e]/g, 'x')}` });
      assert.ok([400, 401].includes(r.statusCode), `${r.statusCode} ${r.body}`);
    }), 300);
    const after = ((await rig.req('GET', '/v1/nodes/real')).json() as { lastHeartbeat: string }).lastHeartbeat;
    assert.equal(after, before);
    process.stdout.write(`# lease fuzz: ${ran} cases\n`);
  });
});
