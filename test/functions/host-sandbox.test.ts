// End to end: the function-host processes run under the seccomp launcher (native/seccomp-exec.c)
// with no_new_privs, the launcher's deny-list answers EPERM, functions still run under it, and the
// leak checker reports host cgroups and host processes a killed daemon left behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot, startDaemon, type TestDaemon } from '../support/daemon.js';
import { listLeaks, untilNoLeaks } from '../support/leaks.js';
import { until } from '../support/until.js';

const launcher = path.join(projectRoot, 'dist/native/seccomp-exec');
const HELLO = `export default { async fetch(req) { const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('x')); return Response.json({ n: new Uint8Array(d).length, t: await new Promise((r) => setTimeout(() => r(1), 5)) }); } };`;

/** Function-host processes of this daemon (their last argument names llmos-functions/<tag>/<key>). */
function hostPids(): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const args = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a.endsWith('host-main.js')) && readFileSync(`/proc/${e}/status`, 'utf8').includes(`PPid:\t${d.proc.pid}\n`)) out.push(Number(e));
    } catch {
      continue; // gone meanwhile
    }
  }
  return out;
}

function run(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => execFile(cmd, args, (err, _o, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr })));
}

let d: TestDaemon;

async function deployHello(name: string): Promise<void> {
  const r = await d.api('POST', '/v1/functions', { name, code: { files: { 'index.js': HELLO }, entry: 'index.js' } });
  assert.ok(r.status < 300, JSON.stringify(r.body));
  const res = await fetch(`${d.gateway}/fn/${name}/`);
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { n: 32, t: 1 });
}

describe('function-host seccomp', () => {
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    const dataDir = d.dataDir;
    await d?.stop({ keepData: true });
    await untilNoLeaks(dataDir);
  });

  test('the launcher is built', () => assert.ok(existsSync(launcher), `${launcher} missing: npm run build`));

  test('a host runs with a seccomp filter and no_new_privs, and functions still work in it', async () => {
    await deployHello('sec');
    const pids = hostPids();
    assert.equal(pids.length, 1, `hosts: ${pids.join(' ')}`);
    const status = readFileSync(`/proc/${pids[0]}/status`, 'utf8');
    assert.match(status, /^Seccomp:\s+2$/m);
    assert.match(status, /^NoNewPrivs:\s+1$/m);
  });

  test('the deny-list answers EPERM: unshare -U and mount fail under the launcher', async () => {
    const u = await run(launcher, ['unshare', '-U', 'true']);
    assert.notEqual(u.code, 0);
    assert.match(u.stderr, /Operation not permitted/);
    const m = await run(launcher, ['mount', '-t', 'tmpfs', 'none', '/mnt']);
    assert.notEqual(m.code, 0);
    assert.match(m.stderr, /permission denied|not permitted/i);
    // The same commands work without it (root here), so the failure is the filter's.
    assert.equal((await run('unshare', ['-U', 'true'])).code, 0);
  });
});

describe('the leak checker and function hosts', () => {
  test('a killed daemon leaves host cgroups and a stuck host process: both are reported', async () => {
    d = await startDaemon();
    const dataDir = d.dataDir;
    let pid: number | undefined;
    try {
      await deployHello('leaky');
      [pid] = hostPids();
      assert.ok(pid);
      const cg = readFileSync(`/proc/${pid}/cgroup`, 'utf8').match(/memory:(\/llmos-functions\/\S+)/)?.[1];
      assert.ok(cg, 'the host is in its cgroup');
      // Stopped, the host cannot notice its daemon went; SIGKILL leaves the daemon no time to clean up.
      process.kill(pid, 'SIGSTOP');
      await d.kill();
      const leaks = await listLeaks(dataDir);
      assert.ok(leaks.some((l) => l.startsWith(`process ${pid} `)), leaks.join('\n'));
      assert.ok(leaks.some((l) => l === `function-host cgroup /sys/fs/cgroup/memory${cg}`), leaks.join('\n'));
      process.kill(pid, 'SIGKILL');
      await until('the stopped host is gone', async () => !existsSync(`/proc/${pid}/cmdline`) || readFileSync(`/proc/${pid}/cmdline`, 'utf8') === '', 10_000, 50);
      const left = await listLeaks(dataDir);
      assert.ok(!left.some((l) => l.startsWith('process ')), left.join('\n'));
      assert.ok(left.some((l) => l.startsWith('function-host cgroup ')), 'an empty host cgroup is still a leak');
      for (const c of ['memory', 'cpu', 'pids']) {
        await rmdir(`/sys/fs/cgroup/${c}${cg}`).catch(() => undefined);
        await rmdir(path.dirname(`/sys/fs/cgroup/${c}${cg}`)).catch(() => undefined);
      }
      assert.deepEqual(await listLeaks(dataDir), []);
    } finally {
      if (pid) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } // stopped by this test: never left behind, even when it failed
      await d.stop();
    }
  });
});
