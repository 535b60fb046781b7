// Resource quantities and durations as users type them, the one parser for flags, manifests and
// API bodies: CPU in cores or millicores ("2", "0.5", "500m"), memory in bytes with Kubernetes
// suffixes ("512Mi", "1Gi" binary; "1G", "1M" decimal) or Docker-style lowercase units ("64m", "1g",
// "512k", binary, with an optional "b"), durations ("250ms", "30s", "10m", "4h", "1d"). Internally
// CPU is millicores, memory bytes and durations milliseconds, each bounded (see the MAX_ constants).
import { InvalidArgument } from './errors.js';

const memSuffix: Record<string, number> = {
  '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50,
  b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40,
};

/**
 * Upper bounds far above any machine LLMOS runs on, so that absurd values ("1e308", 20 nines) are
 * refused at the edge instead of overflowing cgroup files, the ledger or a timer further in.
 */
export const MAX_CPU_MILLI = 1024 * 1000; // 1024 cores
export const MAX_MEMORY_BYTES = 2 ** 50; // 1 PiB
export const MAX_DURATION_MS = 365 * 86_400_000; // a year
/** Longer input than any real quantity: refused before the regex runs. */
const MAX_TEXT = 64;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "500m" → 500, "2" → 2000, "0.25" → 250 (millicores). */
export function parseCpu(s: string | number, what = 'cpu'): number {
  if (typeof s === 'number') return bounded(finite(s, `${what} quantity`) * 1000, String(s), what, MAX_CPU_MILLI, `${MAX_CPU_MILLI / 1000} cores`);
  if (typeof s !== 'string') throw new InvalidArgument(`${what} quantity must be a string or a number`);
  const m = s.length <= MAX_TEXT ? /^\s*(\d+(?:\.\d+)?)\s*(m?)\s*$/.exec(s) : null;
  if (!m) throw new InvalidArgument(`${what} quantity "${clip(s)}" is not like 2, 0.5 or 500m`);
  return bounded(m[2] ? Number(m[1]) : Number(m[1]) * 1000, s, what, MAX_CPU_MILLI, `${MAX_CPU_MILLI / 1000} cores`);
}

/** "512Mi" → 536870912, "1G" → 1e9, "64m" → 67108864, "1024" → 1024 (bytes). */
export function parseMemory(s: string | number, what = 'memory'): number {
  if (typeof s === 'number') return bounded(finite(s, `${what} quantity`), String(s), what, MAX_MEMORY_BYTES, '1Pi');
  if (typeof s !== 'string') throw new InvalidArgument(`${what} quantity must be a string or a number`);
  const m = s.length <= MAX_TEXT ? /^\s*(\d+(?:\.\d+)?)\s*([KMGTP]i|[KMGTP]|[bkmgt]b?|)\s*$/.exec(s) : null;
  const unit = m ? m[2]!.replace(/(.)b$/, '$1') : '';
  if (!m || memSuffix[unit] === undefined) throw new InvalidArgument(`${what} quantity "${clip(s)}" is not like 512Mi, 1Gi, 64m or 1000000`);
  return bounded(Number(m[1]) * memSuffix[unit]!, s, what, MAX_MEMORY_BYTES, '1Pi');
}

/** "30s" → 30000, "10m", "4h", "1d", "250ms", or a bare number of milliseconds. */
export function parseDuration(s: string | number, what = 'duration'): number {
  if (typeof s === 'number') return bounded(finite(s, what), String(s), what, MAX_DURATION_MS, '365d', 'duration');
  if (typeof s !== 'string') throw new InvalidArgument(`${what} must be a string or a number`);
  const m = s.length <= MAX_TEXT ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(s) : null;
  if (!m) throw new InvalidArgument(`${what} "${clip(s)}" is not a duration like 30s, 10m or 4h`);
  return bounded(Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!, s, what, MAX_DURATION_MS, '365d', 'duration');
}

/** A number given as a number (JSON, YAML): NaN, Infinity and negatives are refused as such. */
function finite(v: number, label: string): number {
  if (!Number.isFinite(v) || v < 0) throw new InvalidArgument(`${label} "${v}" must be a finite, non-negative number`);
  return v;
}

/** Rounds, and refuses what is over the bound (overflow to Infinity included: "1e308" cores is too large). */
function bounded(raw: number, s: string, what: string, max: number, maxText: string, noun = 'quantity'): number {
  const label = noun === 'quantity' ? `${what} quantity "${clip(s)}"` : `${what} "${clip(s)}"`;
  const v = Math.round(raw);
  if (Number.isNaN(v) || v < 0) throw new InvalidArgument(`${label} must be a finite, non-negative number`);
  if (v > max) throw new InvalidArgument(`${label} is too large (at most ${maxText})`);
  return v === 0 ? 0 : v; // never -0
}

const clip = (s: string): string => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}...` : s);

/** 1500 → "1500m", 2000 → "2" (whole cores shown as cores). */
export function formatCpu(milli: number): string {
  return milli % 1000 === 0 ? `${milli / 1000}` : `${milli}m`;
}

/** Bytes in the largest binary unit that keeps one decimal: 314572800 → "300Mi". */
export function formatMemory(bytes: number): string {
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = Number.isInteger(v) ? String(v) : v.toFixed(1).replace(/\.0$/, '');
  return `${s}${units[i]}`;
}

/**
 * Sizes for people, the one formatter of the CLI and the dashboard: 1536 → "1.5KiB" (the
 * dashboard passes sep " " for "1.5 KiB"); one decimal below 100, none from 100 up; "-" for no value.
 */
export function formatBytes(n: number | undefined | null, sep = ''): string {
  if (n === undefined || n === null || Number.isNaN(n)) return '-';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)}${sep}${u[i]}`;
}

/** "500m CPU", "512Mi memory", "20 pids": the amounts in rejection messages. */
export function formatResource(dim: 'cpu' | 'memory' | 'pids', v: number): string {
  if (dim === 'cpu') return `${v}m CPU`;
  if (dim === 'memory') return `${formatMemory(v)} memory`;
  return `${v} pids`;
}

/** The bare amount: "500m", "300Mi", "20". */
export function formatAmount(dim: 'cpu' | 'memory' | 'pids', v: number): string {
  if (dim === 'cpu') return `${v}m`;
  if (dim === 'memory') return formatMemory(v);
  return `${v}`;
}

/** Short human form of a duration: 90000 -> "1.5m", 600000 -> "10m". */
export function formatMs(ms: number): string {
  if (ms === 0) return '0s';
  if (ms >= 3_600_000) return `${tenths(ms / 3_600_000)}h`;
  if (ms >= 60_000) return `${tenths(ms / 60_000)}m`;
  if (ms >= 1000) return `${tenths(ms / 1000)}s`;
  return `${tenths(ms)}ms`;
}

const tenths = (v: number): string => String(Math.round(v * 10) / 10);
