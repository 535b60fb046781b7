// bench/cli: CLI start-up against bare Node, interleaved in one run.
//   `llmos --version` and `llmos ps` (against a daemon on loopback) vs `node -e 0`.
//   Target (issue 18): each <= 1.5x bare `node -e 0`.
// Also printed: how many of Node's built-in modules each command loads (a count that does not move
// with the machine's load; each one not in Node's start-up snapshot is compiled at its first use).
// With --cpu-prof, one more run of each command under V8's CPU profiler, summarised
// (bench/profile-summary.ts).
// Run: npm run build && node dist/bench/cli/run.js [iterations] [--cpu-prof]
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { llmosBin, startDaemon } from '../../test/support/daemon.js';
import { summarizeProfile } from '../profile-summary.js';

const n = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 20);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cliMain = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src/cli-bundle/main.mjs');

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; err: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve({ ms: performance.now() - t0, err }) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code} ${err}`))));
  });
}

const d = await startDaemon();
const tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-bench-cli-'));
try {
  const env = { ...process.env, LLMOS_HOST: d.host, LLMOS_DATA_DIR: d.dataDir };
  const cases: Array<[string, string, string[]]> = [
    ['node -e 0', process.execPath, ['-e', '0']],
    ['llmos --version', llmosBin, ['--version']],
    ['llmos ps', llmosBin, ['ps']],
  ];
  const t = new Map(cases.map(([k]) => [k, [] as number[]]));
  for (const [, cmd, args] of cases) await timed(cmd, args, env); // page cache
  for (let i = 0; i < n; i++) for (const [k, cmd, args] of cases) t.get(k)!.push((await timed(cmd, args, env)).ms);
  const base = median(t.get('node -e 0')!);
  console.log(`bench/cli: ${n} interleaved runs each, medians; ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}`);
  for (const [k] of cases) {
    const m = median(t.get(k)!);
    console.log(`  ${k.padEnd(16)} ${m.toFixed(1).padStart(7)} ms  (min ${Math.min(...t.get(k)!).toFixed(1)})  ${(m / base).toFixed(2)}x node -e 0${k === 'node -e 0' ? '' : m / base <= 1.5 ? '  target 1.5x MET' : '  target 1.5x NOT MET'}`);
  }
  // The built-ins each command loads: a preload prints the count at exit.
  const counter = path.join(tmp, 'count.cjs');
  await writeFile(counter, "process.on('exit', () => process.stderr.write('builtins ' + process.moduleLoadList.filter((x) => x.startsWith('NativeModule')).length + '\\n'));\n");
  const count = async (args: string[]) => /builtins (\d+)/.exec((await timed(process.execPath, ['-r', counter, ...args], env)).err)?.[1];
  console.log(`  Node built-in modules loaded: node -e 0 ${await count(['-e', '0'])}, --version ${await count([cliMain, '--version'])}, ps ${await count([cliMain, 'ps'])}`);
  if (process.argv.includes('--cpu-prof')) {
    for (const args of [['--version'], ['ps']]) {
      const dir = await mkdtemp(path.join(tmp, 'prof-'));
      await timed(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval', '250', cliMain, ...args], env);
      for (const f of await readdir(dir)) console.log([`llmos ${args.join(' ')}:`, ...summarizeProfile(path.join(dir, f), 20)].join('\n'));
    }
  }
} finally {
  await d.stop();
  await rm(tmp, { recursive: true, force: true });
}
