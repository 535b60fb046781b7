// One parser for every whole-number flag, so each command refuses the same typos with the same
// one-line message naming the flag (the server still bounds each field for API callers).
import { InvalidArgument } from '../kernel/errors.js';

/** `v` as a whole number from `min` to `max`; more than 9 digits is a typo, not a count. */
export function wholeNumber(flag: string, v: string, min = 0, max = 999_999_999): number {
  const shown = v.length > 40 ? `${v.slice(0, 40)}...` : v;
  if (!/^\d{1,9}$/.test(v.trim())) throw new InvalidArgument(`${flag} must be a whole number from ${min} to ${max}, got "${shown}"`);
  const n = Number(v);
  if (n < min || n > max) throw new InvalidArgument(`${flag} must be a whole number from ${min} to ${max}, got "${shown}"`);
  return n;
}

/** The same as a commander option parser. */
export const wholeNumberFlag = (flag: string, min?: number, max?: number) => (v: string): number => wholeNumber(flag, v, min, max);
