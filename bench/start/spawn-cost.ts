// bench/start/spawn-cost: what one child process costs the daemon, by the daemon's size. Node 20
// starts every child with fork(), on the main thread, so the cost grows with the parent's resident
// memory (page tables to copy). Measured here, interleaved, in a Node process grown to the daemon's
// idle size and beyond: `execFile(runc --version)` as the runtime does, against the same command
// started by a small helper process (spawn-helper.c, built with gcc into a temp dir) that the big
// process talks to over a pipe. This is the measurement behind "a spawn helper" in bench/start/README.md.
// Run: npm run build && node --optimize-for-size --max-semi-space-size=2 dist/bench/start/spawn-cost.js [iterations] [MiB...]
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const n = Number(process.argv[2] ?? 40);
const sizes = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [0, 40, 90];
const cmd = ['/usr/sbin/runc', '--version'];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;

const dir = mkdtempSync(path.join(os.tmpdir(), 'llmos-spawn-cost-'));
const src = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../bench/start/spawn-helper.c');
const bin = path.join(dir, 'spawn-helper');
execFileSync('gcc', ['-O2', '-o', bin, src]);
const helper = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
let waiting: (() => void) | undefined;
let buf = '';
helper.stdout.on('data', (d: Buffer) => {
  buf += d.toString();
  while (buf.includes('\n')) {
    buf = buf.slice(buf.indexOf('\n') + 1);
    waiting?.();
  }
});
const viaHelper = () => new Promise<void>((resolve) => ((waiting = resolve), helper.stdin.write(cmd.join(' ') + '\n')));
const ballast: number[][] = [];
console.log(`bench/spawn-cost: ${cmd.join(' ')}, ${n} interleaved runs per size, medians; load average ${os.loadavg()[0]!.toFixed(1)}`);
try {
  for (const mb of sizes) {
    while (rssMiB() < 40 + mb && mb > 0) ballast.push(new Array(128 * 1024).fill(ballast.length)); // ~1 MiB each, touched
    const d: number[] = [];
    const blocked: number[] = [];
    const h: number[] = [];
    for (let i = 0; i < n; i++) {
      let t0 = performance.now();
      await new Promise<void>((resolve, reject) => {
        const s0 = performance.now();
        execFile(cmd[0]!, cmd.slice(1), (err) => (err ? reject(err) : resolve()));
        blocked.push(performance.now() - s0);
      });
      d.push(performance.now() - t0);
      t0 = performance.now();
      await viaHelper();
      h.push(performance.now() - t0);
    }
    console.log(`  RSS ${rssMiB().toFixed(0).padStart(4)} MiB: execFile ${median(d).toFixed(2).padStart(6)} ms (main thread in spawn() ${median(blocked).toFixed(2)} ms); through the helper ${median(h).toFixed(2).padStart(6)} ms (main thread ~0)`);
  }
} finally {
  helper.stdin.end();
  rmSync(dir, { recursive: true, force: true });
}
