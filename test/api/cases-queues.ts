// Route cases: queues of the functions module (the real module: a consumer in a V8 isolate).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { until } from '../support/until.js';
import type { ApiRig } from './harness.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export async function queueCases(t: TestContext, rig: ApiRig): Promise<void> {
  const { req } = rig;
  await t.test('queues: create, send, delivery to the consumer, list, inspect, remove', async () => {
    const code = `export default { async queue(batch) { for (const m of batch.messages) m.ack(); } };`;
    assert.equal((await req('POST', '/v1/functions', { name: 'qconsumer', code: { files: { 'index.js': code } } })).statusCode, 201);
    const c = await req('POST', '/v1/queues', { name: 'apiq', consumer: 'qconsumer', batchTimeoutMs: 0 });
    assert.equal(c.statusCode, 201, c.body);
    assert.equal((c.json() as J).batchSize, 10);
    const s = await req('POST', '/v1/queues/apiq/messages', { messages: [{ body: { a: 1 } }, { body: 'hi', contentType: 'text' }] });
    assert.equal(s.statusCode, 202, s.body);
    await until('both messages acked', async () => ((await req('GET', '/v1/queues/apiq')).json() as J).acked === 2, 10_000, 50);
    assert.deepEqual(((await req('GET', '/v1/queues')).json() as J).queues.map((q: J) => q.name), ['apiq']);
    assert.equal((await req('POST', '/v1/queues', { name: 'bad name!' })).statusCode, 400);
    assert.equal((await req('DELETE', '/v1/queues/apiq')).statusCode, 204);
    assert.equal((await req('GET', '/v1/queues/apiq')).statusCode, 404);
    assert.equal((await req('DELETE', '/v1/functions/qconsumer')).statusCode, 204);
  });
}
