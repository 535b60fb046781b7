// Durations in flags and specs: "30s", "10m", "4h", "250ms", or a bare number of milliseconds.
import { InvalidArgument } from '../../../kernel/errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDurationMs(text: string, what = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) throw new InvalidArgument(`${what} "${text}" is not a duration like 30s, 10m or 4h`);
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
  if (!Number.isFinite(ms)) throw new InvalidArgument(`${what} "${text}" is too large`);
  return ms;
}

/** Short human form: 90000 -> "1.5m", 600000 -> "10m". */
export function formatMs(ms: number): string {
  if (ms === 0) return '0s';
  if (ms >= 3_600_000) return `${trim(ms / 3_600_000)}h`;
  if (ms >= 60_000) return `${trim(ms / 60_000)}m`;
  if (ms >= 1000) return `${trim(ms / 1000)}s`;
  return `${trim(ms)}ms`;
}

function trim(v: number): string {
  return String(Math.round(v * 10) / 10);
}
