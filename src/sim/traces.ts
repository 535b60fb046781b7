// Trace readers. Folders are recognised by their CSV headers, whatever the files are called:
//  - invocations: HashFunction + HashApp + per-minute columns ("minute_1".. or "480"..)
//  - durations:   HashFunction + Average + percentile_Average_*
//  - memory:      HashApp + AverageAllocatedMb
//  - the Azure 2021 invocation log: "app,func,end_timestamp,duration" (azure2021.ts)
//  - a service series: a two-column CSV "time,count" (WorldCup98: "period,count").
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgument, NotFound } from '../kernel/errors.js';
import { AZURE2021_HEADER, loadAzure2021 } from './azure2021.js';

export interface FunctionTrace {
  /** Minute label of the first column (e.g. 480 for a trace starting at 08:00). */
  startMinute: number;
  minutes: number;
  apps: AppTrace[];
}

export interface AppTrace {
  id: string;
  memoryMb: number;
  functions: Array<{ id: string; trigger?: string; durationMs: number; perMinute: Uint32Array }>;
}

function readLines(file: string): string[] {
  return readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
}

function firstLine(file: string): string {
  const text = readFileSync(file, 'utf8');
  const nl = text.indexOf('\n');
  return (nl < 0 ? text : text.slice(0, nl)).trim();
}

export interface FunctionTraceOptions {
  /** Keep only these functions. */
  filter?: (fnId: string, index: number) => boolean;
  /** Keep only the minute columns [from, to) (0-based column offsets). */
  columns?: [number, number];
}

export function loadFunctionTrace(dir: string, opts: FunctionTraceOptions = {}): FunctionTrace {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new InvalidArgument(`${dir} is not a directory of Azure Functions CSV files`);
    entries = readdirSync(dir).filter((f) => f.endsWith('.csv'));
  } catch (e) {
    if (e instanceof InvalidArgument) throw e;
    throw new NotFound(`trace folder ${dir} not found`, { cause: e });
  }
  let inv: string | undefined;
  let dur: string | undefined;
  let mem: string | undefined;
  let log2021: string | undefined;
  for (const f of entries) {
    const line = firstLine(join(dir, f));
    if (line === AZURE2021_HEADER) log2021 = join(dir, f);
    const h = line.split(',');
    if (h.includes('HashFunction') && h.includes('HashApp') && h.some((c) => /^(minute_)?\d+$/.test(c))) inv = join(dir, f);
    else if (h.includes('Average') && h.some((c) => c.startsWith('percentile_Average'))) dur = join(dir, f);
    else if (h.includes('AverageAllocatedMb') && h.includes('HashApp')) mem = join(dir, f);
  }
  if (!inv && log2021) return loadAzure2021(log2021, opts);
  if (!inv) throw new InvalidArgument(`${dir} holds no invocation CSV (header HashOwner,HashApp,HashFunction,<minute columns>)`);

  const durations = new Map<string, number>();
  if (dur) {
    const [head, ...rows] = readLines(dur);
    const h = head!.split(',');
    const fi = h.indexOf('HashFunction');
    const ai = h.indexOf('Average');
    for (const r of rows) {
      const c = r.split(',');
      const v = Number(c[ai]);
      if (Number.isFinite(v) && v >= 0) durations.set(c[fi]!, v);
    }
  }
  const memory = new Map<string, { mb: number; perFunction: boolean }>();
  if (mem) {
    const [head, ...rows] = readLines(mem);
    const h = head!.split(',');
    const ai = h.indexOf('HashApp');
    const fi = h.indexOf('HashFunction');
    const mi = h.indexOf('AverageAllocatedMb');
    for (const r of rows) {
      const c = r.split(',');
      const v = Number(c[mi]);
      if (!Number.isFinite(v) || v <= 0) continue;
      // Files that split an app's memory across its functions list one row per function: sum them.
      const key = c[ai]!;
      const prev = memory.get(key);
      memory.set(key, { mb: (prev && fi >= 0 ? prev.mb : 0) + v, perFunction: fi >= 0 });
    }
  }
  const knownMem = [...memory.values()].map((m) => m.mb).sort((a, b) => a - b);
  const defaultMb = knownMem.length ? knownMem[Math.floor(knownMem.length / 2)]! : 150;
  const knownDur = [...durations.values()].sort((a, b) => a - b);
  const defaultDur = knownDur.length ? knownDur[Math.floor(knownDur.length / 2)]! : 1000;

  const [head, ...rows] = readLines(inv);
  const h = head!.split(',');
  const fi = h.indexOf('HashFunction');
  const ai = h.indexOf('HashApp');
  const oi = h.indexOf('HashOwner');
  const ti = h.indexOf('Trigger');
  let minuteCols: number[] = [];
  h.forEach((c, i) => {
    if (/^(minute_)?\d+$/.test(c)) minuteCols.push(i);
  });
  if (opts.columns) minuteCols = minuteCols.slice(opts.columns[0], opts.columns[1]);
  if (minuteCols.length === 0) throw new InvalidArgument(`${inv}: no minute columns in the chosen range`);
  const label = (i: number) => Number(h[i]!.replace('minute_', ''));
  // "minute_1" is the first minute of the day: shift to 0-based minutes since midnight.
  const startMinute = h[minuteCols[0]!]!.startsWith('minute_') ? label(minuteCols[0]!) - 1 : label(minuteCols[0]!);
  const apps = new Map<string, AppTrace>();
  rows.forEach((r, index) => {
    const c = r.split(',');
    const fnId = c[fi]!;
    if (opts.filter && !opts.filter(fnId, index)) return;
    const appId = `${oi >= 0 ? c[oi] : ''}/${c[ai]}`;
    const perMinute = new Uint32Array(minuteCols.length);
    for (let k = 0; k < minuteCols.length; k++) perMinute[k] = Number(c[minuteCols[k]!]) || 0;
    let app = apps.get(appId);
    if (!app) {
      app = { id: appId, memoryMb: memory.get(c[ai]!)?.mb ?? defaultMb, functions: [] };
      apps.set(appId, app);
    }
    app.functions.push({ id: fnId, trigger: ti >= 0 ? c[ti] : undefined, durationMs: durations.get(fnId) ?? defaultDur, perMinute });
  });
  return { startMinute, minutes: minuteCols.length, apps: [...apps.values()] };
}

export interface ServiceTrace {
  /** Sample period (ms), inferred from the first two timestamps. */
  stepMs: number;
  /** Start time (ms since epoch, or 0 for relative traces). */
  startMs: number;
  /** Requests per step. */
  counts: Float64Array;
}

/** A "time,count" CSV: time as an ISO/"YYYY-MM-DD HH:MM:SS" date or as seconds; count per row. */
export function loadServiceTrace(file: string, opts: { fromMs?: number; toMs?: number } = {}): ServiceTrace {
  let lines: string[];
  try {
    lines = readLines(file);
  } catch (e) {
    throw new NotFound(`trace file ${file} not found`, { cause: e });
  }
  const [head, ...rows] = lines;
  const h = (head ?? '').split(',');
  if (h.length < 2 || !/count|requests|value/i.test(h[1]!)) throw new InvalidArgument(`${file} is not a time,count CSV (header: ${head})`);
  const times: number[] = [];
  const counts: number[] = [];
  let last = -Infinity;
  for (const r of rows) {
    const c = r.split(',');
    const t = parseTime(c[0]!);
    const v = Number(c[1]);
    if (!Number.isFinite(t) || !Number.isFinite(v)) throw new InvalidArgument(`${file}: bad row "${r}"`);
    // Out-of-order rows would land on (and overwrite) earlier steps: refuse them.
    if (t <= last) throw new InvalidArgument(`${file}: times must increase: row "${r}" is not after the one before`);
    last = t;
    if (opts.fromMs !== undefined && t < opts.fromMs) continue;
    if (opts.toMs !== undefined && t >= opts.toMs) continue;
    times.push(t);
    counts.push(v);
  }
  if (times.length < 2) throw new InvalidArgument(`${file}: fewer than 2 rows in the chosen range`);
  const stepMs = times[1]! - times[0]!;
  if (!(stepMs > 0)) throw new InvalidArgument(`${file}: times must increase`);
  // Fill gaps (missing rows mean no requests) so the series has a fixed step.
  const n = Math.round((times[times.length - 1]! - times[0]!) / stepMs) + 1;
  const out = new Float64Array(n);
  // Rows between steps add to the nearest step, so no requests are lost.
  for (let i = 0; i < times.length; i++) out[Math.round((times[i]! - times[0]!) / stepMs)]! += counts[i]!;
  return { stepMs, startMs: times[0]!, counts: out };
}

function parseTime(s: string): number {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  return Date.parse(s.includes('T') ? s : s.replace(' ', 'T') + 'Z');
}
