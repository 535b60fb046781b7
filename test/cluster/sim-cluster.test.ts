// `llmos sim cluster` end to end, small (issue 20, "Scale"): 50 simulated agents against a real
// server on a real etcd (both started by the command on loopback), a burst of placements, then 10
// simultaneous node failures. The same code path as the 5,000-node run of bench/cluster/scale.ts,
// with a short lease (1 s) so it finishes in seconds: the report has every figure, every stopped
// node is marked NotReady, and nothing the command started (server, etcd, temp dirs) is left.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { llmosBin } from '../support/daemon.js';

const skip = !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : false;
const simDirs = () => new Set(readdirSync(os.tmpdir()).filter((n) => n.startsWith('llmos-sim-')));

/** Runs the CLI; on timeout it gets SIGTERM, on which the command stops what it started. */
function run(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(llmosBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill('SIGTERM'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('llmos sim cluster', { skip, concurrency: false }, () => {
  test('50 simulated agents on etcd: footprint, heartbeats, placements and 10 failures detected', { timeout: 120_000 }, async () => {
    const before = simDirs();
    const r = await run(['sim', 'cluster', '--nodes', '50', '--store', 'etcd', '--placements', '200', '--fail', '10', '--lease-interval', '1s', '--node-grace', '3s', '--soak', '2s', '--json'], 90_000);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.store, 'etcd');
    assert.equal(rep.nodes, 50);
    assert.ok(rep.server.rssMiB > 0 && rep.server.cpuPercent >= 0, JSON.stringify(rep.server));
    assert.ok(rep.etcd.rssMiB > 0, 'etcd footprint measured');
    // 50 nodes renewing every second for 2 s: about 100 renewals, each with a latency.
    assert.ok(rep.heartbeats.renewals >= 50, JSON.stringify(rep.heartbeats));
    assert.ok(rep.heartbeats.p99Ms > 0 && rep.heartbeats.p99Ms >= rep.heartbeats.p50Ms);
    assert.equal(rep.placements.placements, 200);
    assert.equal(rep.placements.bound + rep.placements.bindFailures + rep.placements.unschedulable, 200);
    assert.ok(rep.placements.bound > 0 && rep.placements.perSecond > 0, JSON.stringify(rep.placements));
    assert.equal(rep.failures.stopped, 10);
    assert.equal(rep.failures.detected, 10, 'every stopped node was marked NotReady');
    assert.equal(rep.failures.nodesNotReadyAtEnd, 10);
    // A node is NotReady once its lease is older than the grace: not before the grace less one lease period.
    assert.ok(rep.failures.seconds >= 3 - 1 && rep.failures.p50Seconds <= rep.failures.seconds, JSON.stringify(rep.failures));
    assert.equal(typeof rep.spuriousNotReady, 'number');
    const left = [...simDirs()].filter((d) => !before.has(d));
    assert.deepEqual(left, [], 'the temp dirs of the server and etcd are removed');
  });

  test('bad input: one line, exit 1, nothing started', async () => {
    const before = simDirs();
    for (const args of [['--nodes', 'x'], ['--store', 'mysql://x'], ['--lease-interval', '10s', '--node-grace', '5s']]) {
      const r = await run(['sim', 'cluster', ...args], 30_000);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^llmos: .*\n$/, args.join(' '));
    }
    assert.deepEqual([...simDirs()].filter((d) => !before.has(d)), []);
  });
});
