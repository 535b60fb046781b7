// What the kill-at-every-step fault tests share (test/faults/*.fault.test.ts): a data dir with the
// test image pulled, one traced run that lists every step of a faultPoint scope, the kill points to
// replay, and for each point a daemon SIGKILLed there and booted again on the same data dir, for
// the test to check what its acknowledged calls promised.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from './daemon.js';
import { assertNoLeaks } from './leaks.js';
import { pushBusyboxImage, type TestRegistry } from './registry.js';

/** A fresh data dir whose store already holds a busybox image pushed to reg as test/fault-NAME. */
export async function faultFixture(reg: TestRegistry, name: string): Promise<{ image: string; dataDir: string }> {
  const image = (await pushBusyboxImage(reg, `test/fault-${name}`, { cmd: ['/bin/sh'], env: ['PATH=/bin'] })).ref;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `llmos-fault-${name}-`));
  const d = await startDaemon({ dataDir });
  assert.equal((await d.cli(['pull', image])).code, 0);
  await d.stop({ keepData: true });
  return { image, dataDir };
}

/** The suite's end: a daemon a failed test left running is emptied and stopped, then nothing of the data dir may be left. */
export async function faultTeardown(d: TestDaemon | undefined, dataDir: string | undefined, empty?: (d: TestDaemon) => Promise<unknown>): Promise<void> {
  if (d) {
    await d.removeContainers();
    await empty?.(d);
    await d.stop({ keepData: true });
  }
  if (!dataDir) return;
  try {
    await assertNoLeaks(dataDir);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Runs `run` on a daemon that traces every faultPoint of scope; returns the steps in order (run must complete, and leave nothing). */
export async function traceSteps(dataDir: string, scope: string, run: (d: TestDaemon) => Promise<boolean>): Promise<string[]> {
  const trace = path.join(dataDir, '..', `${path.basename(dataDir)}.trace`);
  const d = await startDaemon({ dataDir, env: { LLMOS_FAULT_TRACE: trace, LLMOS_FAULT_SCOPE: scope } });
  try {
    assert.ok(await run(d), 'the traced run completes');
  } finally {
    await d.stop({ keepData: true });
  }
  const steps = (await readFile(trace, 'utf8')).split('\n').filter(Boolean);
  await rm(trace, { force: true });
  await assertNoLeaks(dataDir);
  return steps;
}

/** The 1-based kill points to replay: `picked` (every step when absent), or LLMOS_FAULT_STEPS=FROM-TO (e.g. 1-99) instead. */
export function killPoints(steps: readonly string[], picked?: readonly number[]): number[] {
  const range = process.env.LLMOS_FAULT_STEPS?.split('-').map(Number);
  return steps.map((_, i) => i + 1).filter((n) => (range ? n >= range[0]! && n <= range[1]! : !picked || picked.includes(n)));
}

/** Runs `run` on a daemon that SIGKILLs itself at step n of scope, waits for it to die, and returns a daemon booted again on the same data dir. */
export async function killAt(dataDir: string, scope: string, n: number, step: string, run: (d: TestDaemon) => Promise<unknown>): Promise<TestDaemon> {
  const d = await startDaemon({ dataDir, env: { LLMOS_FAULT_SCOPE: scope, LLMOS_FAULT_KILL_AT: String(n) } });
  await run(d);
  let survived = false;
  if (d.proc.exitCode === null && d.proc.signalCode === null) {
    const died = new Promise((resolve) => d.proc.once('exit', resolve));
    // The run ended and the daemon still lives after a while: it never reached the step; do not leave it behind.
    const t = setTimeout(() => {
      survived = true;
      d.proc.kill('SIGKILL');
    }, 30_000);
    await died;
    clearTimeout(t);
  }
  assert.ok(!survived && d.proc.signalCode === 'SIGKILL', `the daemon was killed at step ${n} (${step})`);
  return startDaemon({ dataDir });
}
