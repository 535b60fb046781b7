// End to end: queues (Workers Queues). A producer function's env.jobs.send/sendBatch (and the API)
// put messages in the state store; the consumer's queue(batch, env, ctx) handler gets them in
// batches; msg.ack/retry, batch.ackAll/retryAll, retries up to max_retries, then the dead-letter
// queue; at least once: messages still held when the daemon is killed come after it restarts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { until } from '../support/until.js';

let d: TestDaemon;
let dir: string;

// Records every delivery in KV (key: queue/id/attempt) and decides by the message's `kind`.
const CONSUMER = `export default {
  async queue(batch, env) {
    let threw = false;
    for (const m of batch.messages) {
      const b = m.body;
      await env.SEEN.put(batch.queue + '/' + b.id + '/' + m.attempts, JSON.stringify({ size: batch.messages.length, date: b.when instanceof Date ? b.when.toISOString() : null, map: b.m instanceof Map ? [...b.m] : null, ts: m.timestamp instanceof Date, text: typeof b === 'string' ? b : null }));
      if (batch.queue === 'dead') continue;
      if (b.kind === 'retry-once' && m.attempts === 1) m.retry();
      else if (b.kind === 'fail') threw = true;
      else if (b.kind === 'ack') m.ack();
    }
    if (batch.messages.some((m) => m.body.kind === 'retry-all')) batch.retryAll();
    if (threw) throw new Error('this batch fails');
  },
  async fetch(req, env) { return Response.json((await env.SEEN.list({ prefix: new URL(req.url).searchParams.get('p') ?? '' })).keys.map((k) => k.name)); },
};`;
const PRODUCER = `export default { async fetch(req, env) {
  const u = new URL(req.url);
  try {
    if (u.pathname === '/one') await env.jobs.send({ id: 'v8', when: new Date(0), m: new Map([[1, 'x']]) });
    else if (u.pathname === '/batch') await env.jobs.sendBatch([1, 2, 3, 4, 5].map((i) => ({ body: { id: 'b' + i } })));
    else if (u.pathname === '/bad') await env.jobs.send(() => 1);
    else if (u.pathname === '/missing') await env.nosuch.send('x');
  } catch (e) { return new Response(e.name + ': ' + e.message, { status: 400 }); }
  return new Response('sent');
} };`;

async function deploy(name: string, code: string, args: string[]): Promise<void> {
  const f = path.join(dir, `${name}.js`);
  await writeFile(f, code);
  const r = await d.cli(['fn', 'deploy', name, '--code', f, ...args]);
  assert.equal(r.code, 0, r.stderr);
}
const seen = async (prefix: string): Promise<string[]> => (await (await fetch(`${d.gateway}/fn/consumer/?p=${encodeURIComponent(prefix)}`)).json()) as string[];
const record = async (key: string): Promise<Record<string, unknown>> => {
  const r = await fetch(`${d.gateway}/fn/reader/?k=${encodeURIComponent(key)}`);
  return JSON.parse(await r.text()) as Record<string, unknown>;
};

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-queues-'));
  d = await startDaemon();
  await deploy('consumer', CONSUMER, ['--kv', 'SEEN']);
  await deploy('reader', `export default { async fetch(req, env) { return new Response(await env.SEEN.get(new URL(req.url).searchParams.get('k'))); } };`, ['--kv', 'SEEN']);
  await deploy('producer', PRODUCER, ['--producer', 'jobs', '--producer', 'nosuch']);
  for (const args of [['dead', '--consumer', 'consumer', '--batch-timeout', '0ms'], ['jobs', '--consumer', 'consumer', '--batch-size', '5', '--batch-timeout', '200ms', '--max-retries', '1', '--dead-letter-queue', 'dead']]) {
    const r = await d.cli(['fn', 'queue', 'create', ...args]);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await d?.finish();
  await rm(dir, { recursive: true, force: true });
});

describe('queues', () => {
  test('a producer sends a structured-cloneable body; the consumer gets it with its types and attempts 1', async () => {
    assert.equal(await (await fetch(`${d.gateway}/fn/producer/one`)).text(), 'sent');
    await until('the message to be delivered', async () => (await seen('jobs/v8/')).length > 0, 10_000, 50);
    assert.deepEqual(await seen('jobs/v8/'), ['jobs/v8/1']);
    const r = await record('jobs/v8/1');
    assert.deepEqual({ date: r.date, map: r.map, ts: r.ts }, { date: '1970-01-01T00:00:00.000Z', map: [[1, 'x']], ts: true });
  });

  test('sendBatch of 5 with batch size 5 arrives as one batch; messages not decided are acked when the handler returns', async () => {
    assert.equal(await (await fetch(`${d.gateway}/fn/producer/batch`)).text(), 'sent');
    await until('the batch to be delivered', async () => (await seen('jobs/b')).length === 5, 10_000, 50);
    for (let i = 1; i <= 5; i++) assert.equal((await record(`jobs/b${i}/1`)).size, 5);
    await until('the batch to be acked', async () => (await d.api<{ backlog: number; acked: number }>('GET', '/v1/queues/jobs')).body.backlog === 0, 5000, 50);
  });

  test('msg.retry() redelivers with attempts 2; a batch that throws retries its undecided messages, an acked one stays acked; past max retries they go to the dead-letter queue', async () => {
    const r = await d.api('POST', '/v1/queues/jobs/messages', { messages: [{ body: { id: 'r1', kind: 'retry-once' } }, { body: { id: 'f1', kind: 'fail' } }, { body: { id: 'a1', kind: 'ack' } }] });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    // r1's second delivery shares its batch with f1's (both came back at once): that batch throws
    // too, so r1, undecided there, is past its retries as well and goes with f1.
    await until('both messages to reach the dead-letter queue', async () => (await seen('dead/')).length === 2, 15_000, 50);
    assert.deepEqual(await seen('jobs/r1/'), ['jobs/r1/1', 'jobs/r1/2']);
    assert.deepEqual(await seen('jobs/a1/'), ['jobs/a1/1'], 'acked explicitly: not retried although its batch threw');
    assert.deepEqual(await seen('jobs/f1/'), ['jobs/f1/1', 'jobs/f1/2'], 'max retries 1: two deliveries');
    assert.deepEqual(await seen('dead/'), ['dead/f1/1', 'dead/r1/1']);
    const q = (await d.api<{ deadLettered: number; retried: number }>('GET', '/v1/queues/jobs')).body;
    assert.equal(q.deadLettered, 2);
    assert.ok(q.retried >= 2, JSON.stringify(q));
    const logs = (await d.api<{ logs: Array<{ text: string }> }>('GET', '/v1/functions/consumer/logs')).body.logs;
    assert.ok(logs.some((l) => /queue jobs: the handler threw .*this batch fails/.test(l.text)), JSON.stringify(logs.slice(-5)));
  });

  test('bad input: 4xx with a message, CLI exit 1 with one line; a binding to a missing queue or an uncloneable body throws in the function', async () => {
    const bad = await d.api<{ error: string }>('POST', '/v1/queues', { name: 'q2', consumer: 'consumer', batchSize: 0 });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /batch size must be an integer from 1 to 100/);
    assert.equal((await d.api('POST', '/v1/queues', { name: 'q3', consumer: 'nobody' })).status, 400);
    assert.equal((await d.api('POST', '/v1/queues', { name: 'jobs' })).status, 409);
    assert.equal((await d.api('POST', '/v1/queues/none/messages', { messages: [{ body: 1 }] })).status, 404);
    assert.equal((await d.api('POST', '/v1/queues/jobs/messages', { messages: [{ body: 'x'.repeat(200_000), contentType: 'text' }] })).status, 400);
    assert.equal((await d.api('DELETE', '/v1/queues/dead')).status, 409, 'the dead-letter queue of jobs');
    const cli = await d.cli(['fn', 'queue', 'create', 'q4', '--batch-timeout', '2h']);
    assert.equal(cli.code, 1);
    assert.equal(cli.stderr.trim().split('\n').length, 1, cli.stderr);
    assert.match(await (await fetch(`${d.gateway}/fn/producer/bad`)).text(), /^DataCloneError/);
    assert.match(await (await fetch(`${d.gateway}/fn/producer/missing`)).text(), /no queue named nosuch/);
  });

  test('at least once: messages held when the daemon is killed are delivered after it restarts', async () => {
    const r = await d.api('POST', '/v1/queues/jobs/messages', { messages: [{ body: { id: 'k1', kind: 'ack' }, delaySeconds: 1 }] });
    assert.equal(r.status, 202);
    await d.kill();
    d = await startDaemon({ dataDir: d.dataDir });
    await until('the message to come after the restart', async () => (await seen('jobs/k1/')).length > 0, 15_000, 100);
    const ls = await d.cli(['fn', 'queue', 'ls']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /jobs\s+consumer/);
    const rmq = await d.cli(['fn', 'queue', 'rm', 'jobs']);
    assert.equal(rmq.code, 0, rmq.stderr);
  });
});
