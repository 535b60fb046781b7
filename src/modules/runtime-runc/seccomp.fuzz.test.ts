// Fuzzing the generated seccomp profile against an evaluator of the OCI semantics (a syscall is
// allowed when some ALLOW rule names it and all of that rule's argument conditions hold), for
// random capability sets, architectures, personality values and clone flags.
// LLMOS_FUZZ_MINUTES=N runs for N minutes instead of the bounded default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultSeccompProfile, type SeccompProfile, type SeccompRule } from './seccomp.js';
import { allowedPersonalities, namespaceCloneMask, profileGroups } from './seccomp-profile.js';

const minutes = Number(process.env.LLMOS_FUZZ_MINUTES ?? 0);
const params = minutes > 0 ? { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: minutes * 60_000 } : { numRuns: 2000 };

const capUniverse = [...new Set(['CAP_CHOWN', 'CAP_NET_RAW', 'CAP_NET_ADMIN', ...profileGroups.flatMap((g) => [...(g.caps ?? []), ...(g.notCaps ?? [])])])];

function holds(r: SeccompRule, args: readonly number[]): boolean {
  return (r.args ?? []).every((a) => {
    const v = args[a.index] ?? 0;
    if (a.op === 'SCMP_CMP_EQ') return v === a.value;
    if (a.op === 'SCMP_CMP_NE') return v !== a.value;
    return Number((BigInt(v) & BigInt(a.value)) === BigInt(a.valueTwo ?? 0));
  });
}

/** 'allow', or the errno the call fails with. */
function evaluate(p: SeccompProfile, name: string, args: readonly number[]): 'allow' | number {
  const matching = p.syscalls.filter((r) => r.names.includes(name) && holds(r, args));
  if (matching.some((r) => r.action === 'SCMP_ACT_ALLOW')) return 'allow';
  const errno = matching.find((r) => r.action === 'SCMP_ACT_ERRNO');
  return errno ? (errno.errnoRet ?? 1) : p.defaultErrnoRet;
}

const never = ['io_uring_setup', 'io_uring_enter', 'io_uring_register', 'keyctl', 'add_key', 'request_key', 'userfaultfd', 'kexec_load', 'kexec_file_load', 'pivot_root', 'swapon', 'swapoff', 'uselib', 'nfsservctl', 'vm86'];

test('fuzz: the profile follows capabilities and argument filters for any input', async (t) => {
  const input = fc.record({
    caps: fc.subarray(capUniverse),
    arch: fc.constantFrom('x64', 'arm64', 'riscv64'),
    persona: fc.oneof(fc.constantFrom(...allowedPersonalities, 0x0040000, 0x0400000, 0x0200000), fc.integer({ min: 0, max: 0xffffffff })),
    cloneFlags: fc.oneof(fc.constant(0x11), fc.integer({ min: 0, max: 0xffffffff })),
    family: fc.integer({ min: 0, max: 45 }),
  });
  const out = await fc.check(
    fc.property(input, ({ caps, arch, persona, cloneFlags, family }) => {
      const p = defaultSeccompProfile(caps, arch);
      assert.deepEqual(defaultSeccompProfile(caps, arch), p, 'pure');
      assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
      for (const r of p.syscalls) {
        assert.ok(r.names.length > 0);
        for (const a of r.args ?? []) assert.ok(a.index >= 0 && a.index <= 5);
      }
      for (const s of never) assert.equal(evaluate(p, s, []), 1, s);
      const has = (c: string) => caps.includes(c);
      assert.equal(evaluate(p, 'personality', [persona]) === 'allow', allowedPersonalities.includes(persona), `personality ${persona.toString(16)}`);
      const cloneOk = has('CAP_SYS_ADMIN') || (cloneFlags & namespaceCloneMask) === 0;
      assert.equal(evaluate(p, 'clone', [cloneFlags]) === 'allow', cloneOk, `clone ${cloneFlags.toString(16)}`);
      assert.equal(evaluate(p, 'clone3', []), has('CAP_SYS_ADMIN') ? 'allow' : 38);
      assert.equal(evaluate(p, 'socket', [family]) === 'allow', family !== 40);
      for (const [s, c] of [['mount', 'CAP_SYS_ADMIN'], ['unshare', 'CAP_SYS_ADMIN'], ['ptrace', 'CAP_SYS_PTRACE'], ['init_module', 'CAP_SYS_MODULE'], ['reboot', 'CAP_SYS_BOOT'], ['chroot', 'CAP_SYS_CHROOT'], ['settimeofday', 'CAP_SYS_TIME']] as const)
        assert.equal(evaluate(p, s, []) === 'allow', has(c), `${s} with${has(c) ? '' : 'out'} ${c}`);
      assert.equal(evaluate(p, 'bpf', []) === 'allow', has('CAP_SYS_ADMIN') || has('CAP_BPF'));
      assert.equal(evaluate(p, 'arch_prctl', []) === 'allow', arch === 'x64');
      for (const s of ['read', 'write', 'openat', 'execve', 'futex', 'exit_group']) assert.equal(evaluate(p, s, []), 'allow', s);
    }),
    params,
  );
  t.diagnostic(`seccomp fuzz: ${out.numRuns} cases`);
  assert.equal(out.failed, false, out.failed ? `counterexample ${JSON.stringify(out.counterexample)}: ${String(out.errorInstance)}` : '');
});
