// fast-check parameters for the functions fuzz suites: a bounded number of runs in `npm test`, or
// LLMOS_FUZZ_MINUTES of running when set (`npm run fuzz -- --minutes N`).
import type { Parameters } from 'fast-check';

export function fuzzParams<T>(runs: number, extra: Parameters<T> = {}): Parameters<T> {
  const minutes = Number(process.env.LLMOS_FUZZ_MINUTES);
  if (Number.isFinite(minutes) && minutes > 0) return { ...extra, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: minutes * 60_000, markInterruptAsFailure: false };
  return { ...extra, numRuns: runs };
}

/** Test timeout matching the budget: the fuzz minutes plus slack, or the default. */
export function fuzzTimeoutMs(defaultMs: number): number {
  const minutes = Number(process.env.LLMOS_FUZZ_MINUTES);
  return Number.isFinite(minutes) && minutes > 0 ? minutes * 60_000 + 120_000 : defaultMs;
}
