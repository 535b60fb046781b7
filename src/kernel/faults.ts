// Fault injection for the crash-consistency suite (test/faults/). Code that creates or removes a
// host resource marks each step with faultPoint('containers.create.netns') and the like. In
// normal runs this is one env lookup. Under test:
//   LLMOS_FAULT_TRACE=FILE     appends every step name reached, one per line (to count the steps)
//   LLMOS_FAULT_SCOPE=PREFIX   only steps whose name starts with PREFIX count (default: all)
//   LLMOS_FAULT_KILL_AT=N      SIGKILLs this process at the Nth counted step, before it runs
// so a test runs an operation once with a trace, then once per step with KILL_AT=1..last, and
// checks after each restart that nothing acknowledged was lost and nothing leaked.
import { appendFileSync } from 'node:fs';

const trace = process.env.LLMOS_FAULT_TRACE;
const scope = process.env.LLMOS_FAULT_SCOPE ?? '';
const killAt = Number(process.env.LLMOS_FAULT_KILL_AT ?? 0);
const active = Boolean(trace) || killAt > 0;
let counted = 0;

export function faultPoint(step: string): void {
  if (!active || !step.startsWith(scope)) return;
  counted++;
  if (trace) appendFileSync(trace, `${step}\n`);
  if (counted === killAt) process.kill(process.pid, 'SIGKILL');
}
