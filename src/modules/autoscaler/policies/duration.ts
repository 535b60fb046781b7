// Durations in flags and specs: "30s", "10m", "4h", "250ms", or a bare number of milliseconds.
import { parseDuration } from '../../../kernel/quantity.js';

/** The one bounded duration parser (finite, non-negative, at most a year), under the name policies use. */
export const parseDurationMs = (text: string, what = 'duration'): number => parseDuration(text, what);

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
