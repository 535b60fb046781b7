// How long a fuzz property runs: a bounded number of cases under `npm test`, or, when
// LLMOS_FUZZ_MINUTES is set (`npm run fuzz -- --minutes N`), as many as fit in that time. Each
// suite shares the time among its properties by passing its share.
import fc from 'fast-check';

const minutes = Number(process.env.LLMOS_FUZZ_MINUTES ?? 0);
export const longRun = Number.isFinite(minutes) && minutes > 0;

/** fast-check parameters: `runs` cases normally; in a long run, `share` of the minutes (0..1). */
export function budget(runs: number, share = 1): fc.Parameters<unknown> {
  if (!longRun) return { numRuns: runs };
  return { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: minutes * 60_000 * share, markInterruptAsFailure: false };
}

/** Runs a property with the budget and returns how many cases ran (for the report). */
export async function runProperty<Ts extends [unknown, ...unknown[]]>(p: fc.IAsyncPropertyWithHooks<Ts> | fc.IPropertyWithHooks<Ts>, runs: number, share = 1): Promise<number> {
  const out = await fc.check(p as fc.IAsyncProperty<Ts>, budget(runs, share) as fc.Parameters<Ts>);
  if (out.failed) throw new Error(`${fc.defaultReportMessage(out) ?? 'property failed'}\n${out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance)}`);
  return out.numRuns;
}
