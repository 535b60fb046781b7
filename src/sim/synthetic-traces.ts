// Small seeded traces in the public traces' own file formats, so the simulator's tests run on a
// fresh clone that has none of the real data. Same seed, same bytes. The shapes mimic what the
// real traces show (timer-driven functions, rare ones, busy ones; a diurnal web series with a
// match-day spike; pods of a few sizes arriving and leaving) at a size that replays in well under
// a second. Formats: the Azure Functions 2019 samples (both published layouts), the Azure
// Functions 2021 invocation trace, WorldCup98 requests per minute, Alibaba's openb pod list.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Rng, seededRng } from './rng.js';

const hex = (rng: Rng) => Array.from({ length: 64 }, () => Math.floor(rng() * 16).toString(16)).join('');

function write(file: string, lines: string[]): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** One function's invocations per minute: a mix of the patterns the Azure trace is known for. */
function minuteCounts(rng: Rng, minutes: number): Uint32Array {
  const c = new Uint32Array(minutes);
  const kind = rng();
  if (kind < 0.35) {
    // Timer-triggered: every `period` minutes, from a random phase.
    const period = [1, 5, 10, 15, 30, 60][Math.floor(rng() * 6)]!;
    for (let m = Math.floor(rng() * period); m < minutes; m += period) c[m] = 1;
  } else if (kind < 0.7) {
    // Rare: a handful of invocations at random minutes (idle times longer than any fixed keep-alive).
    const n = 1 + Math.floor(rng() * 6);
    for (let i = 0; i < n; i++) c[Math.floor(rng() * minutes)]! += 1;
  } else if (kind < 0.9) {
    // Busy: several per minute, with quiet spells.
    const rate = 1 + rng() * 8;
    for (let m = 0; m < minutes; m++) c[m] = rng() < 0.15 ? 0 : Math.round(rate * (0.5 + rng()));
  } else {
    // Bursty: a few bursts of activity, nothing in between.
    for (let b = 0; b < 3; b++) {
      const at = Math.floor(rng() * minutes);
      for (let m = at; m < Math.min(minutes, at + 1 + Math.floor(rng() * 20)); m++) c[m] = 1 + Math.floor(rng() * 5);
    }
  }
  return c;
}

const pcts = (avg: number, lo: number[], hi: number[]) => [...lo.map((f) => Math.round(avg * f)), ...hi.map((f) => Math.round(avg * f))];

export interface Azure2019Options {
  seed?: number;
  /** Functions in the sample (spread over apps of 1-4 functions). */
  functions?: number;
  /**
   * `8h`: the dirigent sample (invocations.csv with a Trigger column and minute labels 480..959,
   * durations.csv, memory.csv with one row per function); `fullday`: the invitro sample
   * (1000_inv.csv with minute_1..minute_1440, 1000_run.csv, 1000_mem.csv with one row per app).
   */
  layout?: '8h' | 'fullday';
}

/** Writes an Azure Functions 2019 sample folder; returns the folder. */
export function writeAzure2019Sample(dir: string, o: Azure2019Options = {}): string {
  const rng = seededRng(o.seed ?? 1);
  const layout = o.layout ?? '8h';
  const n = o.functions ?? 40;
  const [first, minutes] = layout === '8h' ? [480, 480] : [1, 1440];
  const fns: Array<{ owner: string; app: string; fn: string; trigger: string; counts: Uint32Array; avgMs: number; memMb: number }> = [];
  while (fns.length < n) {
    const owner = hex(rng);
    const app = hex(rng);
    const memMb = 20 + Math.round(rng() * 300);
    const size = Math.min(n - fns.length, 1 + Math.floor(rng() * 4));
    for (let i = 0; i < size; i++) {
      const counts = minuteCounts(rng, minutes);
      const trigger = ['http', 'timer', 'queue', 'event'][Math.floor(rng() * 4)]!;
      fns.push({ owner, app, fn: hex(rng), trigger, counts, avgMs: 10 + Math.round(rng() * rng() * 20_000), memMb: Math.max(1, Math.round(memMb / size)) });
    }
  }
  const minuteHeader = Array.from({ length: minutes }, (_, i) => (layout === '8h' ? String(first + i) : `minute_${first + i}`));
  const durHeader = 'Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100';
  const memHeader = 'SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,AverageAllocatedMb_pct100';
  const durRow = (f: (typeof fns)[number]) => {
    const count = f.counts.reduce((a, b) => a + b, 0);
    return [f.avgMs, count, Math.round(f.avgMs * 0.5).toFixed(1), Math.round(f.avgMs * 2).toFixed(1), ...pcts(f.avgMs, [0.5, 0.6, 0.9, 1], [1.1, 1.8, 2])].join(',');
  };
  const memRow = (mb: number) => [100 + Math.floor(rng() * 20_000), mb, ...pcts(mb, [0.8, 0.85, 0.95, 1], [1.05, 1.1, 1.15, 1.2])].join(',');
  if (layout === '8h') {
    write(join(dir, 'invocations.csv'), [`HashOwner,HashApp,HashFunction,Trigger,${minuteHeader.join(',')}`, ...fns.map((f) => [f.owner, f.app, f.fn, f.trigger, ...f.counts].join(','))]);
    write(join(dir, 'durations.csv'), [`HashOwner,HashApp,HashFunction,${durHeader}`, ...fns.map((f) => `${f.owner},${f.app},${f.fn},${durRow(f)}`)]);
    write(join(dir, 'memory.csv'), [`HashFunction,HashOwner,HashApp,${memHeader}`, ...fns.map((f) => `${f.fn},${f.owner},${f.app},${memRow(f.memMb)}`)]);
  } else {
    // The invitro sampler overwrote owner and app with the function hash: each function is its own app.
    write(join(dir, `${n}_inv.csv`), [`HashFunction,HashOwner,HashApp,${minuteHeader.join(',')}`, ...fns.map((f) => [f.fn, f.fn, f.fn, ...f.counts].join(','))]);
    write(join(dir, `${n}_run.csv`), [`HashOwner,HashApp,HashFunction,${durHeader}`, ...fns.map((f) => `${f.fn},${f.fn},${f.fn},${durRow(f)}`)]);
    write(join(dir, `${n}_mem.csv`), [`HashOwner,HashApp,${memHeader}`, ...fns.map((f) => `${f.fn},${f.fn},${memRow(f.memMb)}`)]);
  }
  return dir;
}

/** Writes an Azure Functions 2021 invocation trace (`app,func,end_timestamp,duration`, seconds); returns the file. */
export function writeAzure2021Sample(file: string, o: { seed?: number; functions?: number; hours?: number } = {}): string {
  const rng = seededRng(o.seed ?? 1);
  const horizon = (o.hours ?? 2) * 3600;
  const rows: Array<[string, string, number, number]> = [];
  const apps: string[] = [];
  for (let i = 0; i < (o.functions ?? 12); i++) {
    if (apps.length === 0 || rng() < 0.5) apps.push(hex(rng));
    const app = apps[apps.length - 1]!;
    const func = hex(rng);
    const meanDur = 0.01 + rng() * rng() * 30;
    // Poisson arrivals at a per-function rate between one an hour and one every few seconds.
    const rate = Math.exp(Math.log(1 / 3600) + rng() * Math.log(3600 / 3));
    for (let t = -Math.log(1 - rng()) / rate; t < horizon; t += -Math.log(1 - rng()) / rate) {
      const d = meanDur * (0.5 + rng());
      rows.push([app, func, t + d, d]);
    }
  }
  rows.sort((a, b) => a[2] - b[2]);
  return write(file, ['app,func,end_timestamp,duration', ...rows.map(([a, f, end, d]) => `${a},${f},${end},${d.toFixed(3)}`)]);
}

/** Writes a WorldCup98-style `period,count` series, one row per minute from `from` (UTC) for `days`; returns the file. */
export function writeWorldCupSeries(file: string, o: { seed?: number; from?: string; days?: number } = {}): string {
  const rng = seededRng(o.seed ?? 1);
  const start = Date.parse(`${o.from ?? '1998-06-30'}T00:00:00Z`);
  const lines = ['period,count'];
  const minutes = (o.days ?? 1) * 1440;
  for (let m = 0; m < minutes; m++) {
    const t = start + m * 60_000;
    const hour = (m % 1440) / 60;
    // Diurnal load peaking in the European evening, with a two-hour spike during the day's match.
    const diurnal = 3000 + 9000 * Math.max(0, Math.sin(((hour - 6) / 24) * 2 * Math.PI));
    const match = hour >= 16 && hour < 18 ? 30_000 * Math.sin(((hour - 16) / 2) * Math.PI) : 0;
    const count = Math.round((diurnal + match) * (0.9 + 0.2 * rng()));
    lines.push(`${new Date(t).toISOString().slice(0, 19).replace('T', ' ')},${count}`);
  }
  return write(file, lines);
}

/** Writes an Alibaba openb pod list (`cluster-trace-gpu-v2023` columns, times in s); returns the file. */
export function writeOpenbPodList(file: string, o: { seed?: number; pods?: number } = {}): string {
  const rng = seededRng(o.seed ?? 1);
  const lines = ['name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time'];
  let t = 0;
  const n = o.pods ?? 400;
  for (let i = 0; i < n; i++) {
    t += Math.round(-Math.log(1 - rng()) * 600);
    const cpu = [1000, 2000, 4000, 6000, 8000, 12000, 16000][Math.floor(rng() * 7)]!;
    const mem = cpu * (1 + Math.floor(rng() * 3));
    const gpus = rng() < 0.7 ? 1 : 0;
    const qos = ['LS', 'LS', 'BE', 'Burstable', 'Guaranteed'][Math.floor(rng() * 5)]!;
    // A few pods never leave (empty deletion_time), as in the real list.
    const del = rng() < 0.03 ? '' : String(t + Math.round(600 + rng() * 20_000));
    const name = `openb-pod-${String(i).padStart(4, '0')}`;
    lines.push([name, cpu, mem, gpus, gpus ? Math.round(100 + rng() * 900) : 0, gpus && rng() < 0.3 ? 'V100M32' : '', qos, del ? 'Succeeded' : 'Running', t, del, t].join(','));
  }
  return write(file, lines);
}

/** The layout `llmos sim report` expects (`--trace DIR`), filled with generated traces; returns DIR. */
export function writeTraceFolder(dir: string, seed = 1): string {
  writeAzure2019Sample(join(dir, 'azure2019-fullday-1000'), { seed, layout: 'fullday', functions: 60 });
  writeAzure2019Sample(join(dir, 'azure2019-8h-250'), { seed: seed + 1, layout: '8h', functions: 40 });
  writeAzure2021Sample(join(dir, 'azure2021-sample', 'Azure2021_200.csv'), { seed: seed + 2 });
  writeWorldCupSeries(join(dir, 'worldcup98', 'invocation_count.csv'), { seed: seed + 3, from: '1998-06-29', days: 2 });
  writeOpenbPodList(join(dir, 'alibaba-gpu2023', 'openb_pod_list_default.csv'), { seed: seed + 4 });
  return dir;
}
