// The service-series reader: rows out of order are refused, and no row's requests are lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgument } from '../kernel/errors.js';
import { loadServiceTrace } from './traces.js';

function withCsv(text: string, f: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'llmos-traces-'));
  try {
    const file = join(dir, 'series.csv');
    writeFileSync(file, text);
    f(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a series whose times go back is refused, naming the row (found by traces.fuzz)', () => {
  // Before: 0:5, 60:7, 30:9 gave [5, 9, 1]: the 7 requests at 60 s were overwritten by the row at 30 s.
  withCsv('period,count\n0,5\n60,7\n30,9\n120,1\n', (file) => {
    assert.throws(() => loadServiceTrace(file), (e) => e instanceof InvalidArgument && /times must increase: row "30,9"/.test(e.message));
  });
  // Before: 0, 3, 1 gave a one-step series from three rows.
  withCsv('period,count\n0,0\n3,0\n1,0\n', (file) => assert.throws(() => loadServiceTrace(file), InvalidArgument));
});

test('rows between steps add to the nearest step instead of replacing it', () => {
  // Step 60 s (from the first two rows). 90 s rounds to step 2 (1.5 -> 2) and 120 s is step 2:
  // 4 + 6 = 10 requests there, none lost. Total in = total out = 1 + 2 + 4 + 6 = 13.
  withCsv('period,count\n0,1\n60,2\n90,4\n120,6\n', (file) => {
    const s = loadServiceTrace(file);
    assert.equal(s.stepMs, 60_000);
    assert.deepEqual([...s.counts], [1, 2, 10]);
  });
});
