// Summarises a V8 CPU profile (node --cpu-prof) as the bench READMEs quote it: self time by
// package or LLMOS directory (the daemon bundle's lines are mapped back to their source file through
// its source map, the bundle being one file), and the top functions.
// Run: node dist/bench/profile-summary.js FILE.cpuprofile [--top 25]; bench/boot and bench/start/breakdown
// call summarizeProfile for their --cpu-prof option.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SourceMap } from 'node:module';
import { pathToFileURL } from 'node:url';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const maps = new Map<string, SourceMap | null>();
const mapFor = (url: string): SourceMap | null => {
  if (!maps.has(url)) {
    try {
      const p = url.replace(/^file:\/\//, '');
      maps.set(url, /daemon-bundle\/daemon\.cjs$/.test(p) ? new SourceMap(JSON.parse(readFileSync(`${p}.map`, 'utf8'))) : null);
    } catch {
      maps.set(url, null);
    }
  }
  return maps.get(url)!;
};

/** A package ("fastify"), an LLMOS directory ("src/modules/api"), a Node internal ("node:internal"), or a V8 category. */
function where(n: Node): string {
  const { url, lineNumber, columnNumber, functionName } = n.callFrame;
  if (!url) return `(${functionName || 'native'})`;
  let src = url;
  const m = mapFor(url)?.findEntry(lineNumber, columnNumber);
  if (m && 'originalSource' in m && m.originalSource) src = m.originalSource;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(src);
  if (nm) return nm[1]!;
  const own = /(?:dist\/)?(src\/(?:modules\/[^/]+|[^/]+))/.exec(src);
  if (own) return own[1]!;
  if (src.startsWith('node:')) return src.split('/').slice(0, 2).join('/');
  return src.replace(/^.*\//, '');
}

/**
 * Self time by package or directory, and the top functions, of one .cpuprofile file; only the
 * samples after sinceUs (CLOCK_MONOTONIC in µs, as V8 stamps them: process.hrtime.bigint() / 1000n).
 */
export function summarizeProfile(file: string, top = 25, sinceUs = 0): string[] {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let total = 0;
  let at = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    at += prof.timeDeltas[i]!;
    if (at < sinceUs) continue;
    const dt = prof.timeDeltas[i + 1] ?? 0;
    selfUs.set(prof.samples[i]!, (selfUs.get(prof.samples[i]!) ?? 0) + dt);
    total += dt;
  }
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const g = where(n);
    groups.set(g, (groups.get(g) ?? 0) + us);
    const f = `${n.callFrame.functionName || '(anonymous)'}  [${g}]`;
    fns.set(f, (fns.get(f) ?? 0) + us);
  }
  const ms = (us: number) => (us / 1000).toFixed(1).padStart(7);
  return [
    `${file}: ${ms(total)} ms sampled`,
    'self time by package / directory:',
    ...[...groups].sort((a, b) => b[1] - a[1]).slice(0, top).map(([g, us]) => `  ${ms(us)} ms  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${g}`),
    'top functions (self):',
    ...[...fns].sort((a, b) => b[1] - a[1]).slice(0, top).map(([f, us]) => `  ${ms(us)} ms  ${f}`),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  if (!positionals[0]) {
    console.error('usage: node dist/bench/profile-summary.js FILE.cpuprofile [--top N]');
    process.exit(1);
  }
  console.log(summarizeProfile(positionals[0], Number(values.top)).join('\n'));
}
