// SIGKILL of the daemon at each step of an async invocation (LLMOS_FAULT_KILL_AT over the
// functions.async.* fault points): after a restart an acknowledged (202) invocation still runs to
// its result, an unacknowledged one leaves nothing, and no request body is left without its record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon } from '../support/daemon.js';
import { until } from '../support/until.js';
import { withStoreBackup } from './data-dir.js';

const ECHO = `export default { async fetch(req) { return new Response('got ' + await req.text()); } };`;

test('async invocations survive a SIGKILL at every step', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-fn-crash-'));
  try {
    const code = path.join(dir, 'echo.js');
    await writeFile(code, ECHO);
    // Count the steps of one invocation first.
    const traceDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-fn-crash-data-'));
    const trace = path.join(dir, 'trace');
    const t = await startDaemon({ dataDir: traceDir, env: { LLMOS_FAULT_TRACE: trace, LLMOS_FAULT_SCOPE: 'functions.async.' } });
    try {
      assert.equal((await t.cli(['fn', 'deploy', 'echo', '--code', code, '--async-public'])).code, 0);
      const id = ((await (await fetch(`${t.gateway}/async/fn/echo/`, { method: 'POST', body: 'one' })).json()) as { id: string }).id;
      await until('the result', async () => (await t.api<{ status: string }>('GET', `/v1/function-results/${id}`)).body.status === 'succeeded');
    } finally {
      await t.stop();
      await rm(traceDir, { recursive: true, force: true });
    }
    const steps = (await readFile(trace, 'utf8')).trim().split('\n');
    assert.deepEqual(steps, ['functions.async.submit', 'functions.async.finish']);

    for (let n = 1; n <= steps.length; n++) {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-fn-crash-data-'));
      try {
        const first = await startDaemon({ dataDir, env: { LLMOS_FAULT_SCOPE: 'functions.async.', LLMOS_FAULT_KILL_AT: String(n) } });
        assert.equal((await first.cli(['fn', 'deploy', 'echo', '--code', code, '--async-public'])).code, 0);
        const acked = await fetch(`${first.gateway}/async/fn/echo/`, { method: 'POST', body: `step ${n}` }).then(
          async (r) => (r.status === 202 ? ((await r.json()) as { id: string }).id : undefined),
          () => undefined, // killed before it answered: not acknowledged
        );
        await until(`the daemon killed at ${steps[n - 1]}`, async () => first.proc.exitCode !== null || first.proc.signalCode !== null, 30_000);
        assert.equal(first.proc.signalCode, 'SIGKILL', first.output());
        const second = await startDaemon({ dataDir });
        try {
          if (acked) {
            const r = await until(`result ${acked} after the restart`, async () => {
              const b = (await second.api<{ status: string; result?: { body: string } }>('GET', `/v1/function-results/${acked}`)).body;
              return b.status === 'succeeded' ? b : undefined;
            });
            assert.equal(r.result?.body, `got step ${n}`);
          }
          const keys = await withStoreBackup(second, (db) => (db.prepare("SELECT key FROM kv WHERE key LIKE '/functions/async%'").all() as Array<{ key: string }>).map((k) => k.key));
          assert.deepEqual(keys, acked ? [`/functions/async/${acked}`] : [], `step ${steps[n - 1]}: ${JSON.stringify(keys)}`);
          const fn = (await second.api<{ async: { records: number } }>('GET', '/v1/functions/echo')).body;
          assert.equal(fn.async.records, acked ? 1 : 0, 'the quota counts what the store holds');
        } finally {
          await second.stop();
        }
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
