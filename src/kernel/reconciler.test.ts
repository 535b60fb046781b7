// The reconcile loop driven by a hand-cranked ticker: no timers, no waiting on wall time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reconciler, intervalTicker, type TickProvider } from './reconciler.js';

/** A ticker the test fires by hand; it records each ticker's period and whether it is live. */
function manualTicks() {
  const tickers: Array<{ periodMs: number; onTick: () => void; live: boolean }> = [];
  const provider: TickProvider = (periodMs, onTick) => {
    const t = { periodMs, onTick, live: true };
    tickers.push(t);
    return { stop: () => void (t.live = false) };
  };
  const live = () => tickers.filter((t) => t.live);
  /** Fires every live ticker once. */
  const tick = () => live().forEach((t) => t.onTick());
  return { provider, tickers, live, tick };
}

const settle = () => new Promise<void>((r) => setImmediate(r));

test('reconcilers run on their own ticker, only while started', async () => {
  const m = manualTicks();
  const r = new Reconciler(undefined, m.provider);
  const runs: string[] = [];
  r.register('a', () => void runs.push('a'), 1000);
  r.register('b', () => void runs.push('b'), 5000);
  assert.equal(m.tickers.length, 0, 'nothing is scheduled before start');
  r.start();
  assert.deepEqual(m.live().map((t) => t.periodMs), [1000, 5000]);
  m.tick();
  await settle();
  m.tick();
  await settle();
  assert.deepEqual(runs, ['a', 'b', 'a', 'b']);
  // Registered after start: scheduled at once.
  r.register('c', () => void runs.push('c'), 250);
  assert.deepEqual(m.live().map((t) => t.periodMs), [1000, 5000, 250]);
  r.stop();
  assert.equal(m.live().length, 0, 'stop ends every ticker');
  r.start();
  assert.equal(m.live().length, 3, 'a restart schedules every reconciler again');
  r.stop();
});

test('replacing or unregistering a reconciler stops its ticker', async () => {
  const m = manualTicks();
  const r = new Reconciler(undefined, m.provider);
  r.start();
  const runs: string[] = [];
  r.register('x', () => void runs.push('old'));
  r.register('x', () => void runs.push('new'));
  assert.equal(m.live().length, 1);
  m.tick();
  await settle();
  assert.deepEqual(runs, ['new']);
  const unregister = r.register('y', () => void runs.push('y'));
  unregister();
  assert.deepEqual(r.names(), ['x']);
  assert.equal(m.live().length, 1);
  r.stop();
});

test('a reconcile still running is not started again, and a failure does not stop the loop', async () => {
  const m = manualTicks();
  const warnings: unknown[] = [];
  const log = { warn: (o: unknown) => void warnings.push(o) } as unknown as ConstructorParameters<typeof Reconciler>[0];
  const r = new Reconciler(log, m.provider);
  let calls = 0;
  let release!: () => void;
  r.register('slow', () => {
    calls++;
    if (calls === 1) return new Promise<void>((res) => (release = res));
    if (calls === 2) throw new Error('boom');
  });
  r.start();
  m.tick();
  m.tick(); // the first run is still going: skipped
  assert.equal(calls, 1);
  release();
  await settle();
  m.tick(); // throws: logged
  await settle();
  assert.equal(calls, 2);
  assert.equal(warnings.length, 1);
  m.tick();
  await settle();
  assert.equal(calls, 3, 'the loop goes on after a failure');
  r.stop();
});

test('stop aborts the signal handed to running reconcilers', async () => {
  const m = manualTicks();
  const r = new Reconciler(undefined, m.provider);
  let seen: AbortSignal | undefined;
  r.register('s', (signal) => void (seen = signal));
  r.start();
  m.tick();
  await settle();
  assert.equal(seen?.aborted, false);
  r.stop();
  assert.equal(seen?.aborted, true);
});

test('the default ticker is an interval that fires, and stop ends it', async () => {
  const ticks = (periodMs: number, count: number) => {
    let n = 0;
    let done!: () => void;
    const reached = new Promise<void>((res) => (done = res));
    const t = intervalTicker(periodMs, () => {
      if (++n === count) done();
    });
    return { t, reached, n: () => n };
  };
  // The default ticker is unref'd: hold the loop open while the test waits on it.
  const keepAlive = setInterval(() => undefined, 60_000);
  const a = ticks(1, 2);
  await a.reached;
  a.t.stop();
  const stoppedAt = a.n();
  // A second ticker of the same period fires three times meanwhile; the stopped one stays silent.
  const b = ticks(1, 3);
  await b.reached;
  b.t.stop();
  clearInterval(keepAlive);
  assert.equal(a.n(), stoppedAt);
});
