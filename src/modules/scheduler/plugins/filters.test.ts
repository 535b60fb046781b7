import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CycleState } from '../framework.js';
import { NodeInfo, podInfo } from '../node-info.js';
import type { HostPort, Taint, Toleration } from '../types.js';
import { NodePorts } from './node-ports.js';
import { NodeSelector } from './node-selector.js';
import { TaintToleration, tolerates } from './taint-toleration.js';

const cap = { cpu: 1000, memory: 2 ** 30, pids: 100 };
const s = new CycleState();

test('NodeSelector matches every selected label', () => {
  const n = new NodeInfo({ name: 'e1', capacity: cap, labels: { zone: 'a', role: 'edge', gpu: 'yes' } });
  const f = new NodeSelector();
  const cases: Array<[Record<string, string> | undefined, boolean]> = [
    [undefined, true],
    [{ role: 'edge' }, true],
    [{ role: 'edge', zone: 'a' }, true],
    [{ role: 'cloud' }, false],
    [{ missing: 'x' }, false],
  ];
  for (const [sel, ok] of cases) {
    const st = f.filter(s, podInfo({ id: 'p', nodeSelector: sel }), n);
    assert.equal(st === null, ok, JSON.stringify(sel));
    if (st) assert.equal(st.code, 'unresolvable');
  }
});

test('tolerates follows Kubernetes ToleratesTaint', () => {
  const taint: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const cases: Array<[Toleration, boolean]> = [
    [{ key: 'dedicated', value: 'gpu' }, true], // Equal, effect empty matches all
    [{ key: 'dedicated', value: 'cpu' }, false],
    [{ key: 'dedicated', operator: 'Exists' }, true],
    [{ operator: 'Exists' }, true], // empty key + Exists tolerates everything
    [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, false],
    [{ key: 'other', operator: 'Exists' }, false],
  ];
  for (const [t, want] of cases) assert.equal(tolerates(t, taint), want, JSON.stringify(t));
});

test('TaintToleration filter ignores PreferNoSchedule and rejects untolerated NoSchedule', () => {
  const f = new TaintToleration();
  const soft = new NodeInfo({ name: 's', capacity: cap, taints: [{ key: 'k', effect: 'PreferNoSchedule' }] });
  const hard = new NodeInfo({ name: 'h', capacity: cap, taints: [{ key: 'edge', value: 'true', effect: 'NoSchedule' }] });
  assert.equal(f.filter(s, podInfo({ id: 'p' }), soft), null);
  assert.equal(f.filter(s, podInfo({ id: 'p' }), hard)?.reason, 'node(s) had untolerated taint');
  assert.equal(f.filter(s, podInfo({ id: 'p', tolerations: [{ key: 'edge', value: 'true' }] }), hard), null);
});

test('NodePorts: conflicts by protocol, port and address', () => {
  const n = new NodeInfo({ name: 'n', capacity: cap });
  n.addPod(podInfo({ id: 'a', hostPorts: [{ port: 80 }] }));
  n.addPod(podInfo({ id: 'b', hostPorts: [{ port: 53, protocol: 'udp', hostIp: '127.0.0.1' }] }));
  const f = new NodePorts();
  const cases: Array<[HostPort, boolean, string]> = [
    [{ port: 80 }, false, 'tcp/80 on 0.0.0.0 taken'],
    [{ port: 80, hostIp: '127.0.0.2' }, false, 'wildcard holder conflicts with any address'],
    [{ port: 80, protocol: 'udp' }, true, 'other protocol'],
    [{ port: 53, protocol: 'udp', hostIp: '127.0.0.2' }, true, 'different specific addresses'],
    [{ port: 53, protocol: 'udp', hostIp: '127.0.0.1' }, false, 'same address'],
    [{ port: 53, protocol: 'udp' }, false, 'wildcard asker conflicts with a specific holder'],
    [{ port: 8080 }, true, 'free port'],
  ];
  for (const [hp, ok, why] of cases) assert.equal(f.filter(s, podInfo({ id: 'p', hostPorts: [hp] }), n) === null, ok, why);
  n.removePod('a');
  assert.equal(f.filter(s, podInfo({ id: 'p', hostPorts: [{ port: 80 }] }), n), null, 'released on removal');
});
