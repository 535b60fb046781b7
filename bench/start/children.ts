// bench/start/children: how many processes the daemon starts per `llmos run --rm IMAGE /bin/true`
// on the bridge (CNI plugins and what they run included, the CLI left out), counted by strace on a
// daemon of this build or of another (the baseline), grouped by command. Unlike the timings, the
// count does not move with the machine's load.
// Run (root, strace): node dist/bench/start/children.js [runs] [--bin OTHER/bin/llmos]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { llmosBin } from '../../test/support/daemon.js';
import { pushBusyboxImage, startRegistry } from '../../test/support/registry.js';

const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 5);
const bin = args.includes('--bin') ? args[args.indexOf('--bin') + 1]! : llmosBin;

/** One line per started process: the command and its first arguments, with ids made generic. */
export function commandOf(line: string): string {
  const m = /execve\("([^"]+)", \[((?:"[^"]*"(?:\.\.\.)?(?:, )?)*)/.exec(line);
  if (!m) return line;
  const argv = [...m[2]!.matchAll(/"([^"]*)"/g)].map((x) => x[1]!).slice(1, 5).filter((a) => !a.startsWith('/'));
  return `${path.basename(m[1]!)} ${argv.join(' ')}`
    .replace(/CNI-[0-9a-f]+/g, 'CNI-X')
    .replace(/llmos-[0-9a-f]+-[0-9a-f]+/g, 'llmos-ID')
    .replace(/[0-9a-f]{16,}/g, 'ID')
    .replace(/--root=\S+/, '--root=...')
    .replace(/^exe init/, 'runc init')
    .trim();
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-children-'));
const trace = path.join(dir, 'trace');
const p = spawn('strace', ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', trace, bin, 'up', '--data-dir', path.join(dir, 'data'), '--listen', '127.0.0.1:0', '--gateway', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
p.stdout.on('data', (d: Buffer) => (out += d.toString()));
const host = await new Promise<string>((resolve, reject) => {
  const t = setTimeout(() => reject(new Error(`no API: ${out}`)), 120_000);
  p.stdout.on('data', () => {
    const m = /API on (http:\/\/\S+)/.exec(out);
    if (!m) return;
    clearTimeout(t);
    resolve(m[1]!);
  });
});
const reg = await startRegistry();
try {
  const image = (await pushBusyboxImage(reg, 'bench/busybox', { cmd: ['/bin/true'] })).ref;
  const env = { ...process.env, LLMOS_HOST: host, LLMOS_DATA_DIR: path.join(dir, 'data') };
  const execs = async () => (await readFile(trace, 'utf8')).split('\n').filter((l) => / execve\(/.test(l) && / = 0$/.test(l));
  execFileSync(bin, ['run', '--rm', image, '/bin/true'], { env }); // the pull and the first-use costs
  const before = (await execs()).length;
  for (let i = 0; i < n; i++) execFileSync(bin, ['run', '--rm', image, '/bin/true'], { env });
  // run --rm returns at the exit; the removal (runc delete, CNI DEL, umount) ends just after.
  const settled = async () => (await execs()).filter((l) => /umount/.test(l)).length;
  for (let last = -1, now = await settled(); now !== last; last = now, now = await settled()) await new Promise((r) => setTimeout(r, 1000));
  const lines = (await execs()).slice(before).filter((l) => !/cli-bundle|bin\/llmos|"node"/.test(l));
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(commandOf(l), (counts.get(commandOf(l)) ?? 0) + 1);
  console.log(`bench/start/children: ${bin}: ${(lines.length / n).toFixed(1)} processes per bridge container (run --rm /bin/true, CLI left out; ${n} runs; load average ${os.loadavg()[0]!.toFixed(1)})`);
  for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`  ${(v / n).toFixed(1).padStart(5)}  ${k.slice(0, 90)}`);
} finally {
  p.kill('SIGTERM');
  await new Promise((r) => p.once('exit', r));
  await reg.stop();
  await rm(dir, { recursive: true, force: true });
}
