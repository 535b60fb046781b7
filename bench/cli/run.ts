// bench/cli: CLI start-up against bare Node, interleaved in one run.
//   `llmos --version` and `llmos ps` (against a daemon on loopback) vs `node -e 0`.
//   Target (issue 18): each <= 1.5x bare `node -e 0`.
// Run: npm run build && node dist/bench/cli/run.js [iterations]
import { spawn } from 'node:child_process';
import { llmosBin, startDaemon } from '../../test/support/daemon.js';

const n = Number(process.argv[2] ?? 20);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code} ${err}`))));
  });
}

const d = await startDaemon();
try {
  const env = { ...process.env, LLMOS_HOST: d.host, LLMOS_DATA_DIR: d.dataDir };
  const cases: Array<[string, string, string[]]> = [
    ['node -e 0', process.execPath, ['-e', '0']],
    ['llmos --version', llmosBin, ['--version']],
    ['llmos ps', llmosBin, ['ps']],
  ];
  const t = new Map(cases.map(([k]) => [k, [] as number[]]));
  for (const [, cmd, args] of cases) await timed(cmd, args, env); // page cache
  for (let i = 0; i < n; i++) for (const [k, cmd, args] of cases) t.get(k)!.push(await timed(cmd, args, env));
  const base = median(t.get('node -e 0')!);
  console.log(`bench/cli: ${n} interleaved runs each, medians`);
  for (const [k] of cases) {
    const m = median(t.get(k)!);
    console.log(`  ${k.padEnd(16)} ${m.toFixed(1).padStart(7)} ms  (min ${Math.min(...t.get(k)!).toFixed(1)})  ${(m / base).toFixed(2)}x node -e 0${k === 'node -e 0' ? '' : m / base <= 1.5 ? '  target 1.5x MET' : '  target 1.5x NOT MET'}`);
  }
} finally {
  await d.stop();
}
