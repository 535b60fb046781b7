// The spec's number parsers: a duration, a size or an integer within a range, refused outside it
// with the range in the message (no silent clamping). Pure.
import { InvalidArgument } from '../../kernel/errors.js';
import { formatMemory, formatMs, parseDuration, parseMemory } from '../../kernel/quantity.js';

export type Range = readonly [number, number];

/** A duration (text or ms) within range, rounded to whole ms. */
export function ms(v: string | number | undefined, def: number, [lo, hi]: Range, what: string): number {
  if (v === undefined) return def;
  const n = typeof v === 'number' ? v : parseDuration(v, what);
  if (!Number.isFinite(n) || n < lo || n > hi) throw new InvalidArgument(`${what} must be from ${formatMs(lo)} to ${formatMs(hi)}, got ${JSON.stringify(v)}`);
  return Math.round(n);
}

/** A size (text or bytes) within range. */
export function size(v: string | number | undefined, def: number, [lo, hi]: Range, what: string): number {
  if (v === undefined) return def;
  const n = parseMemory(v, what);
  if (!Number.isFinite(n) || n < lo || n > hi) throw new InvalidArgument(`${what} must be from ${formatMemory(lo)} to ${formatMemory(hi)}, got ${JSON.stringify(v)}`);
  return n;
}

export function int(v: number | undefined, def: number, [lo, hi]: Range, what: string): number {
  const n = v ?? def;
  if (!Number.isInteger(n) || n < lo || n > hi) throw new InvalidArgument(`${what} must be an integer from ${lo} to ${hi}, got ${JSON.stringify(v)}`);
  return n;
}
