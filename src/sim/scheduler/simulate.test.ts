import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOpenbTrace } from './trace.js';
import { simulateScheduler } from './simulate.js';

const Gi = 2 ** 30;
const csv = [
  'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time',
  'a,4000,4096,0,0,,BE,Running,0,100,0',
  'b,4000,4096,0,0,,BE,Running,1,100,1',
  'c,6000,4096,0,0,,LS,Running,2,100,2', // needs 6 cores: preempts a BE pod on a full node
  'd,2000,1024,0,0,,LS,Running,200,,200', // never leaves
].join('\n');

test('parseOpenbTrace reads requests and times', () => {
  const pods = parseOpenbTrace(csv);
  assert.equal(pods.length, 4);
  assert.deepEqual(pods[0], { name: 'a', cpu: 4000, memory: 4096 * 2 ** 20, qos: 'BE', arrival: 0, departure: 100, gpus: 0 });
  assert.equal(pods[3]!.departure, Infinity);
  assert.throws(() => parseOpenbTrace('x,y\n1,2'), /not an openb pod list/);
});

test('replay: two 8-core nodes, a latency-sensitive pod preempts a best-effort one', () => {
  const [spread, binpack] = simulateScheduler(parseOpenbTrace(csv), { nodes: 2, nodeCpu: 8000, nodeMemory: 16 * Gi, profiles: ['default', 'binpack'] });
  // default spreads a and b over both nodes (4 free each): c (6 cores) fits nowhere -> preempts one BE
  assert.equal(spread!.placed, 4);
  assert.equal(spread!.preempted, 1);
  // binpack puts a and b on one node: c fits on the empty one, nobody is preempted
  assert.equal(binpack!.placed, 4);
  assert.equal(binpack!.preempted, 0);
  assert.equal(binpack!.rejected, 0);
});

test('replay without preemption rejects and counts the reason', () => {
  const [r] = simulateScheduler(parseOpenbTrace(csv), { nodes: 2, nodeCpu: 8000, nodeMemory: 16 * Gi, profiles: ['default'], preempt: false });
  assert.equal(r!.rejected, 1);
  assert.deepEqual(r!.rejectReasons, { 'Insufficient cpu': 1 }); // one pod, rejected for CPU on both nodes
});

test('unknown profile fails before replay', () => {
  assert.throws(() => simulateScheduler([], { nodes: 1, nodeCpu: 1000, nodeMemory: Gi, profiles: ['nope'] }), /unknown scheduling profile nope/);
});
