// `llmos sim scheduler` on an Alibaba-format pod list (generated: the real trace is not in the
// repository), through the command as the CLI registers it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { createContext } from '../../src/cli/context.js';
import { registerSimScheduler } from '../../src/cli/commands/sim-scheduler.js';
import { writeOpenbPodList } from '../../src/sim/synthetic-traces.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'llmos-sim-sched-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PODS = 1500;
const trace = writeOpenbPodList(path.join(dir, 'openb_pod_list_default.csv'), { seed: 11, pods: PODS });

async function run(args: string[]): Promise<string> {
  const program = new Command('llmos').option('--json').exitOverride();
  registerSimScheduler(program.command('sim'), createContext(program));
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'llmos', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test('sim scheduler replays an Alibaba-format trace per profile', async () => {
  const r = JSON.parse(await run(['--json', 'sim', 'scheduler', '--trace', trace, '--nodes', '6'])) as { pods: number; results: Array<{ profile: string; placed: number; rejected: number; meanNodesUsed: number; fragmentationPct: number; latencyMicros: { p99: number } }> };
  assert.equal(r.pods, PODS);
  assert.deepEqual(r.results.map((x) => x.profile), ['default', 'binpack', 'balanced']);
  const by = Object.fromEntries(r.results.map((x) => [x.profile, x]));
  for (const x of r.results) {
    assert.equal(x.placed + x.rejected, PODS);
    assert.ok(x.rejected < PODS * 0.05, `${x.profile} rejects under 5%`);
    assert.ok(x.latencyMicros.p99 > 0);
  }
  // Bin-packing keeps fewer nodes busy than spreading does.
  assert.ok(by.binpack!.meanNodesUsed < by.default!.meanNodesUsed);
  const human = await run(['sim', 'scheduler', '--trace', trace, '--nodes', '6', '--profile', 'binpack']);
  assert.match(human, new RegExp(`^${PODS} pods replayed onto 6 nodes x 128 CPUs / 768Gi`));
  assert.match(human, /\nbinpack\s+\d+/);
});

test('sim scheduler refuses bad input with a reason', async () => {
  await assert.rejects(run(['sim', 'scheduler', '--trace', '/nonexistent.csv']), /cannot read trace \/nonexistent.csv/);
  await assert.rejects(run(['sim', 'scheduler', '--trace', trace, '--profile', 'nope']), /unknown scheduling profile nope/);
  await assert.rejects(run(['sim', 'scheduler', '--trace', trace, '--nodes', '0']), /--nodes must be a whole number from 1 to/);
});
