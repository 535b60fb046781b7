// The generated traces are byte-for-byte reproducible from their seed and read by the same
// loaders as the real traces, with the shapes those have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAzure2019Sample, writeAzure2021Sample, writeOpenbPodList, writeTraceFolder, writeWorldCupSeries } from './synthetic-traces.js';
import { loadFunctionTrace, loadServiceTrace } from './traces.js';
import { loadOpenbTrace } from './scheduler/trace.js';
import { half } from './evaluation.js';

test('generated traces: same seed same bytes, another seed other bytes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'llmos-synth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = writeTraceFolder(join(dir, 'a'), 3);
  const b = writeTraceFolder(join(dir, 'b'), 3);
  const c = writeTraceFolder(join(dir, 'c'), 4);
  for (const f of ['azure2019-8h-250/invocations.csv', 'azure2019-fullday-1000/60_inv.csv', 'azure2021-sample/Azure2021_200.csv', 'worldcup98/invocation_count.csv', 'alibaba-gpu2023/openb_pod_list_default.csv']) {
    assert.equal(readFileSync(join(a, f), 'utf8'), readFileSync(join(b, f), 'utf8'), f);
    assert.notEqual(readFileSync(join(a, f), 'utf8'), readFileSync(join(c, f), 'utf8'), f);
  }
});

test('generated traces load with the real traces\' shapes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'llmos-synth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // dirigent's 8-hour layout: minutes 480..959, apps of several functions, memory per function summed per app.
  const h8 = loadFunctionTrace(writeAzure2019Sample(join(dir, '8h'), { seed: 1, layout: '8h', functions: 30 }));
  assert.deepEqual([h8.startMinute, h8.minutes], [480, 480]);
  assert.equal(h8.apps.reduce((n, a) => n + a.functions.length, 0), 30);
  assert.ok(h8.apps.length < 30, 'some apps hold several functions');
  assert.ok(h8.apps.every((a) => a.memoryMb > 0 && a.functions.every((f) => f.trigger && f.durationMs > 0)));
  // Both halves of the held-out split are populated.
  const fnIds = h8.apps.flatMap((a) => a.functions.map((f) => f.id));
  assert.ok(fnIds.some(half(0)) && fnIds.some(half(1)));
  // invitro's full-day layout: minute_1..minute_1440 is minutes 0..1439; each function its own app.
  const day = loadFunctionTrace(writeAzure2019Sample(join(dir, 'day'), { seed: 2, layout: 'fullday', functions: 20 }));
  assert.deepEqual([day.startMinute, day.minutes, day.apps.length], [0, 1440, 20]);
  // Azure 2021: per-invocation rows become per-minute counts; every row is counted once.
  const file2021 = writeAzure2021Sample(join(dir, '2021', 'Azure2021.csv'), { seed: 3, functions: 8, hours: 1 });
  const rows = readFileSync(file2021, 'utf8').trim().split('\n').slice(1);
  const t21 = loadFunctionTrace(join(dir, '2021'));
  assert.equal(t21.apps.reduce((n, a) => n + a.functions.reduce((m, f) => m + f.perMinute.reduce((x, y) => x + y, 0), 0), 0), rows.length);
  assert.ok(t21.minutes <= 60 && t21.minutes > 1);
  // WorldCup98: one row per minute, a daily peak well above the night.
  const wc = loadServiceTrace(writeWorldCupSeries(join(dir, 'wc.csv'), { seed: 4, from: '1998-06-10', days: 2 }));
  assert.deepEqual([wc.stepMs, wc.startMs, wc.counts.length], [60_000, Date.parse('1998-06-10T00:00:00Z'), 2880]);
  assert.ok(Math.max(...wc.counts) > 4 * Math.min(...wc.counts));
  // openb pod list: arrivals in order, a few pods that never leave.
  const pods = loadOpenbTrace(writeOpenbPodList(join(dir, 'pods.csv'), { seed: 5, pods: 300 }));
  assert.equal(pods.length, 300);
  assert.ok(pods.every((p, i) => i === 0 || p.arrival >= pods[i - 1]!.arrival));
  assert.ok(pods.some((p) => p.departure === Infinity) && pods.some((p) => p.departure > p.arrival));
});
