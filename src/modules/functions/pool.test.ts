import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from '../../kernel/events.js';
import { WorkloadTable } from '../../kernel/workloads.js';
import { InvocationFailed } from './failures.js';
import { FunctionLogs } from './logs.js';
import { FunctionMetrics } from './metrics.js';
import { FunctionPool, type PoolDeps } from './pool.js';
import type { Instance, InvokeRequest, InvokeResponse } from './runtime/instance.js';
import { normalizeSpec, type DeployInput } from './spec.js';

/** An instance whose requests finish when the test says so. */
class FakeInstance implements Instance {
  dead: string | undefined;
  disposed = false;
  readonly pending: Array<() => void> = [];
  constructor(readonly id: string) {}
  invoke(_req: InvokeRequest): Promise<InvokeResponse> {
    return new Promise((resolve) => this.pending.push(() => resolve({ status: 200, headers: [], body: null })));
  }
  async memoryBytes() {
    return 0;
  }
  async dispose() {
    this.disposed = true;
  }
}

function setup(input: Partial<DeployInput>, start?: (id: string) => Promise<Instance>) {
  let now = 1_000_000;
  const instances: FakeInstance[] = [];
  const deps: PoolDeps = {
    startInstance: start ? (_s, id) => start(id) : async (_s, id) => {
      const i = new FakeInstance(id);
      instances.push(i);
      return i;
    },
    metrics: new FunctionMetrics(),
    logs: new FunctionLogs(),
    events: new EventBus(),
    workloads: new WorkloadTable(),
    now: () => now,
  };
  const pool = new FunctionPool(normalizeSpec({ name: 'f', ...input }, undefined, true, 'now'), deps);
  return { pool, instances, deps, advance: (ms: number) => (now += ms) };
}

const req: InvokeRequest = { method: 'GET', url: 'http://gw/', headers: [], body: null };
const tick = () => new Promise((r) => setImmediate(r));

test('scale from zero holds requests, starts within max, and refuses past the queue with 429', async () => {
  const { pool, instances, deps } = setup({ concurrency: 1, max: 2, queue: 3 });
  const calls = [1, 2, 3].map(() => pool.invoke(req));
  await assert.rejects(pool.invoke(req), (e: InvocationFailed) => e.reason === 'queue-full' && e.retryAfter === 1);
  await tick();
  assert.equal(instances.length, 2, 'two instances for three waiting requests, capped by max 2');
  for (let i = 0; i < 3; i++) {
    await tick();
    for (const inst of instances) inst.pending.shift()?.();
  }
  assert.deepEqual((await Promise.all(calls)).map((r) => r.status), [200, 200, 200]);
  assert.equal(pool.stats().coldStarts, 2);
  const text = await deps.metrics.registry.metrics();
  assert.match(text, /llmos_function_cold_starts_total\{function="f"\} 2/);
  assert.match(text, /llmos_function_invocations_total\{function="f",status="200"\} 3/);
  assert.match(text, /llmos_function_invocations_total\{function="f",status="429"\} 1/);
  assert.match(text, /llmos_function_errors_total\{function="f",reason="queue-full"\} 1/);
  assert.match(text, /llmos_function_duration_seconds_count\{function="f"\} 3/);
});

test('a failed start fails the waiting requests at once with start-failed', async () => {
  const { pool } = setup({}, async () => {
    throw new InvocationFailed('start-failed', 'function f failed to start: boom');
  });
  await assert.rejects(pool.invoke(req), (e: InvocationFailed) => e.reason === 'start-failed' && /boom/.test(e.message));
  assert.equal(pool.stats().instances, 0);
});

test('idle instances go when the keep-alive expires, down to min', async () => {
  const { pool, instances, advance } = setup({ keepAlive: 'fixed:30s', min: 1, max: 3, concurrency: 1 });
  const calls = [pool.invoke(req), pool.invoke(req)];
  await tick();
  await tick();
  for (const i of instances) i.pending.shift()?.();
  await Promise.all(calls);
  assert.equal(pool.stats().ready, 2);
  advance(29_000);
  pool.reap();
  assert.equal(pool.stats().ready, 2, 'kept within the keep-alive');
  advance(2_000);
  pool.reap();
  assert.equal(pool.stats().ready, 1, 'reclaimed down to min 1');
  assert.equal(instances.filter((i) => i.disposed).length, 1);
  await pool.close('test over');
  assert.ok(instances.every((i) => i.disposed));
});
