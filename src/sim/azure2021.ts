// The Azure Functions 2021 invocation trace (`app,func,end_timestamp,duration`, seconds from the
// trace start) as a FunctionTrace: each invocation counts in the minute it started
// (end - duration); a function runs for its mean duration. The trace has no memory column, so
// every app gets the 2019 trace's median allocation.
import { readFileSync } from 'node:fs';
import { InvalidArgument } from '../kernel/errors.js';
import type { AppTrace, FunctionTrace, FunctionTraceOptions } from './traces.js';

export const AZURE2021_HEADER = 'app,func,end_timestamp,duration';
const DEFAULT_MEMORY_MB = 150;

export function loadAzure2021(file: string, opts: FunctionTraceOptions = {}): FunctionTrace {
  const [head, ...rows] = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  if (head?.trim() !== AZURE2021_HEADER) throw new InvalidArgument(`${file} is not an Azure 2021 invocation trace (header ${AZURE2021_HEADER})`);
  const fns = new Map<string, { app: string; starts: number[]; totalS: number }>();
  let first = Infinity;
  let last = -Infinity;
  for (const r of rows) {
    const [app, func, endS, durS] = r.split(',');
    const end = Number(endS);
    const dur = Number(durS);
    if (!app || !func || !Number.isFinite(end) || !Number.isFinite(dur) || dur < 0) throw new InvalidArgument(`${file}: bad row "${r}"`);
    const start = Math.max(0, end - dur);
    let f = fns.get(func);
    if (!f) fns.set(func, (f = { app, starts: [], totalS: 0 }));
    f.starts.push(start);
    f.totalS += dur;
    first = Math.min(first, start);
    last = Math.max(last, start);
  }
  if (fns.size === 0) throw new InvalidArgument(`${file}: no invocations`);
  const startMinute = Math.floor(first / 60);
  let from = 0;
  let to = Math.floor(last / 60) - startMinute + 1;
  if (opts.columns) [from, to] = [opts.columns[0], Math.min(to, opts.columns[1])];
  if (to <= from) throw new InvalidArgument(`${file}: no minutes in the chosen range`);
  const apps = new Map<string, AppTrace>();
  [...fns.entries()].forEach(([fnId, f], index) => {
    if (opts.filter && !opts.filter(fnId, index)) return;
    const perMinute = new Uint32Array(to - from);
    for (const s of f.starts) {
      const m = Math.floor(s / 60) - startMinute - from;
      if (m >= 0 && m < perMinute.length) perMinute[m]! += 1;
    }
    let app = apps.get(f.app);
    if (!app) apps.set(f.app, (app = { id: f.app, memoryMb: DEFAULT_MEMORY_MB, functions: [] }));
    app.functions.push({ id: fnId, durationMs: (1000 * f.totalS) / f.starts.length, perMinute });
  });
  return { startMinute: startMinute + from, minutes: to - from, apps: [...apps.values()] };
}
