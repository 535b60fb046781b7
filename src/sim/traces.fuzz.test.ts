// Fuzz: the trace readers take files users point them at. Whatever the bytes, each either returns a
// well-formed trace or throws an LLMOS error (a one-line "llmos: ..." in the CLI), never a
// TypeError or a RangeError. Runs a bounded number of cases; LLMOS_FUZZ_MINUTES=N runs for N minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { LlmosError } from '../kernel/errors.js';
import { loadFunctionTrace, loadServiceTrace } from './traces.js';
import { parseOpenbTrace } from './scheduler/trace.js';

const minutes = Number(process.env['LLMOS_FUZZ_MINUTES'] ?? 0);
const budget = minutes > 0 ? { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: minutes * 60_000 } : { numRuns: 400 };

// Cells drawn from what trace files hold, plus the odd and the hostile.
const cell = fc.oneof(
  fc.constantFrom('', '0', '1', '-1', '3.5', 'NaN', 'Infinity', '1e309', ' ', '"', 'x', 'minute_1', '480', '1998-06-30 00:00:00', '1998-02-30 25:61:00'),
  fc.integer({ min: -5, max: 100_000 }).map(String),
  fc.string({ maxLength: 6 }),
);
const row = fc.array(cell, { minLength: 0, maxLength: 8 }).map((c) => c.join(','));
const headers = fc.constantFrom(
  'HashOwner,HashApp,HashFunction,Trigger,480,481,482',
  'HashFunction,HashOwner,HashApp,minute_1,minute_2',
  'HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0',
  'HashFunction,HashOwner,HashApp,SampleCount,AverageAllocatedMb',
  'app,func,end_timestamp,duration',
  'period,count',
  'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time',
  '',
);
const csv = fc.tuple(headers, fc.array(row, { maxLength: 12 }), fc.constantFrom('\n', '\r\n')).map(([h, rows, nl]) => [h, ...rows].join(nl));

const onlyLlmosErrors = (f: () => unknown) => {
  try {
    return f();
  } catch (e) {
    assert.ok(e instanceof LlmosError, `not an LLMOS error: ${(e as Error)?.stack ?? e}`);
    return undefined;
  }
};

test('trace readers return a well-formed trace or an LLMOS error, whatever the file holds', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'llmos-fuzz-traces-'));
  let n = 0;
  try {
    fc.assert(
      fc.property(fc.array(csv, { minLength: 1, maxLength: 3 }), (files) => {
        const d = join(dir, String(n++));
        rmSync(d, { recursive: true, force: true });
        mkdirSync(d, { recursive: true });
        files.forEach((text, i) => writeFileSync(join(d, `f${i}.csv`), text));
        const t = onlyLlmosErrors(() => loadFunctionTrace(d)) as ReturnType<typeof loadFunctionTrace> | undefined;
        if (t) {
          assert.ok(Number.isInteger(t.minutes) && t.minutes > 0 && Number.isFinite(t.startMinute));
          for (const a of t.apps) for (const f of a.functions) assert.equal(f.perMinute.length, t.minutes);
        }
        const s = onlyLlmosErrors(() => loadServiceTrace(join(d, 'f0.csv'))) as ReturnType<typeof loadServiceTrace> | undefined;
        if (s) assert.ok(s.stepMs > 0 && s.counts.length >= 2 && s.counts.every(Number.isFinite));
        const pods = onlyLlmosErrors(() => parseOpenbTrace(files[0]!)) as ReturnType<typeof parseOpenbTrace> | undefined;
        if (pods) for (const p of pods) assert.ok(Number.isFinite(p.cpu) && Number.isFinite(p.arrival) && !Number.isNaN(p.departure));
        rmSync(d, { recursive: true, force: true });
      }),
      { ...budget, seed: minutes > 0 ? undefined : 14 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    t.diagnostic(`${n} cases`);
  }
});
