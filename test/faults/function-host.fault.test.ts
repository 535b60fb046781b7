// Fault: the daemon is SIGKILLed at each step that creates or removes a function host's cgroup
// (functions.host.*) while a function is deployed, invoked, and the daemon stopped. Its host
// process must end with it (the IPC channel closes), and after a restart on the same data dir and a
// clean stop no host process and no cgroup of this daemon is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { until } from '../support/until.js';

const isRoot = process.getuid?.() === 0;

/** Host processes of the daemon on this data dir: host-main.js processes whose cgroup names its tag. */
function hostsOf(tag: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('host-main.js') && readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`/llmos-functions/${tag}/`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const cgroupLeft = (tag: string) => ['memory', 'cpu', 'pids'].filter((c) => existsSync(`/sys/fs/cgroup/${c}/llmos-functions/${tag}`));

async function operation(d: TestDaemon, code: string): Promise<void> {
  const r = await d.cli(['fn', 'deploy', 'f', '--code', code]);
  if (r.code !== 0) return; // killed meanwhile
  await fetch(`${d.gateway}/fn/f/`).catch(() => undefined);
  await d.stop({ keepData: true });
}

test('a daemon killed at each function-host cgroup step leaves no host process or cgroup after a restart', { skip: !isRoot && 'needs root for cgroups' }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-fhost-fault-'));
  const code = path.join(dir, 'f.js');
  await writeFile(code, 'export default { fetch() { return new Response("ok"); } };');
  try {
    // Count the steps once.
    const traceFile = path.join(dir, 'trace');
    const dataDir0 = await mkdtemp(path.join(os.tmpdir(), 'llmos-fhost-data-'));
    await operation(await startDaemon({ dataDir: dataDir0, env: { LLMOS_FAULT_TRACE: traceFile, LLMOS_FAULT_SCOPE: 'functions.host.' } }), code);
    const steps = readFileSync(traceFile, 'utf8').trim().split('\n');
    assert.deepEqual(steps, ['functions.host.cgroup', 'functions.host.cgroup-remove']);
    await rm(dataDir0, { recursive: true, force: true });
    for (let k = 1; k <= steps.length; k++) {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-fhost-data-'));
      const tag = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
      const d = await startDaemon({ dataDir, env: { LLMOS_FAULT_KILL_AT: String(k), LLMOS_FAULT_SCOPE: 'functions.host.' } });
      await operation(d, code).catch(() => undefined);
      await until(`the daemon killed at ${steps[k - 1]}`, async () => d.proc.exitCode !== null || d.proc.signalCode !== null, 30_000, 50);
      await until(`its host process to end (step ${steps[k - 1]})`, async () => hostsOf(tag).length === 0, 10_000, 50);
      const again = await startDaemon({ dataDir });
      const r = await again.cli(['fn', 'deploy', 'f', '--code', code]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await (await fetch(`${again.gateway}/fn/f/`)).text(), 'ok');
      await again.stop({ keepData: true });
      assert.deepEqual(hostsOf(tag), [], `host processes left after step ${steps[k - 1]}`);
      assert.deepEqual(cgroupLeft(tag), [], `cgroups left after step ${steps[k - 1]}`);
      await rm(dataDir, { recursive: true, force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
