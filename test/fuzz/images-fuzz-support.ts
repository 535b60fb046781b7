// Shared by the image fuzz suites: a bounded number of runs for `npm test`, or as many as fit in
// LLMOS_FUZZ_MINUTES (`npm run fuzz -- --minutes N`); a canary tree outside every data dir whose
// fingerprint must never change; and the rule that bad data is an InvalidArgument (a 4xx).
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, readlink, writeFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { LlmosError } from '../../src/kernel/errors.js';
import { toHttp } from '../../src/modules/api/errors-http.js';

const minutes = Number(process.env.LLMOS_FUZZ_MINUTES ?? 0);

/** fast-check parameters: `runs` cases, or a time budget when LLMOS_FUZZ_MINUTES is set. */
export function budget(runs: number, share = 1): fc.Parameters<unknown> {
  if (minutes > 0) return { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: minutes * 60_000 * share, markInterruptAsFailure: false };
  return { numRuns: runs };
}

/** Runs an async property, logs how many cases ran, and fails with fast-check's report. */
export async function fuzz<T>(name: string, arb: fc.Arbitrary<T>, prop: (v: T) => Promise<void>, params: fc.Parameters<unknown>): Promise<number> {
  const details = await fc.check(fc.asyncProperty(arb, prop), params as fc.Parameters<[T]>);
  console.log(`# fuzz ${name}: ${details.numRuns} cases${details.interrupted ? ' (time budget)' : ''}, ${details.failed ? 'FAILED' : 'no failure'}`);
  if (details.failed) {
    const cause = details.errorInstance;
    throw new Error(`${fc.defaultReportMessage(details) ?? `fuzz ${name} failed`}\nError: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
  }
  return details.numRuns;
}

/** Bad data must be refused as the caller's problem: an LlmosError that maps to a 4xx. */
export function assertClientError(e: unknown, what: string): void {
  if (!(e instanceof LlmosError)) throw new Error(`${what}: not an LlmosError (would be a 500): ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
  const { status } = toHttp(e);
  if (status >= 500) throw new Error(`${what}: ${e.name} maps to HTTP ${status}: ${e.message}`);
}

/** A small tree outside the data dir that hostile layers aim at. */
export async function makeCanary(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'dir/sub'), { recursive: true });
  await writeFile(path.join(dir, 'secret.txt'), 'host secret');
  await writeFile(path.join(dir, 'dir/file'), 'host file');
  await writeFile(path.join(dir, 'dir/sub/deep'), 'deep');
  await symlink('secret.txt', path.join(dir, 'link'));
}

/** Every path, type, mode, size, content hash and link target under dir. */
export async function fingerprint(dir: string): Promise<string> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    const p = path.join(dir, rel);
    const st = await lstat(p);
    let extra = '';
    if (st.isFile()) extra = createHash('sha256').update(await readFile(p)).digest('hex');
    else if (st.isSymbolicLink()) extra = await readlink(p);
    out.push(`${rel} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${extra}`);
    if (st.isDirectory()) for (const n of (await readdir(p)).sort()) await walk(rel ? `${rel}/${n}` : n);
  };
  await walk('');
  return out.join('\n');
}
