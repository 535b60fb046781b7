import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowsOutright, defaultSeccompProfile } from './seccomp.js';
import { allowedPersonalities, namespaceCloneMask } from './seccomp-profile.js';
import { buildSpec, defaultCapabilities } from './spec.js';

test('seccomp: an allowlist, EPERM by default, for the host architecture family', () => {
  const p = defaultSeccompProfile(defaultCapabilities, 'x64');
  assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(p.defaultErrnoRet, 1);
  assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  for (const s of ['read', 'write', 'openat', 'execve', 'futex', 'epoll_wait', 'arch_prctl', 'chroot']) assert.ok(allowsOutright(p, s), `${s} allowed`);
  const named = new Set(p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names));
  for (const s of ['io_uring_setup', 'io_uring_enter', 'mount', 'unshare', 'setns', 'keyctl', 'add_key', 'bpf', 'perf_event_open', 'ptrace', 'kexec_load', 'init_module', 'reboot', 'userfaultfd', 'pivot_root', 'set_tls'])
    assert.ok(!named.has(s), `${s} not allowed`);
  const arm = defaultSeccompProfile(defaultCapabilities, 'arm64');
  assert.ok(!allowsOutright(arm, 'arch_prctl') && allowsOutright(arm, 'set_tls'), 'arch-specific groups follow the architecture');
});

test('seccomp: argument filters for personality, clone and socket', () => {
  const p = defaultSeccompProfile(defaultCapabilities, 'x64');
  const pers = p.syscalls.filter((r) => r.names.includes('personality'));
  assert.deepEqual(pers.map((r) => r.args![0]!.value), [...allowedPersonalities]);
  assert.ok(pers.every((r) => r.args!.length === 1 && r.args![0]!.op === 'SCMP_CMP_EQ'));
  // ADDR_NO_RANDOMIZE (0x0040000) is none of the allowed values.
  assert.ok(!allowedPersonalities.includes(0x0040000));
  const clone = p.syscalls.filter((r) => r.names.includes('clone'));
  assert.deepEqual(clone, [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: namespaceCloneMask, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] }]);
  assert.equal(namespaceCloneMask, 0x7e020000);
  assert.deepEqual(p.syscalls.find((r) => r.names.includes('clone3')), { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  assert.deepEqual(p.syscalls.find((r) => r.names.includes('socket'))!.args, [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }]);
});

test('seccomp: capability groups follow the bounding set', () => {
  const admin = defaultSeccompProfile([...defaultCapabilities, 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE'], 'x64');
  for (const s of ['mount', 'unshare', 'setns', 'ptrace', 'process_vm_readv']) assert.ok(allowsOutright(admin, s), s);
  assert.ok(allowsOutright(admin, 'clone'), 'CAP_SYS_ADMIN may clone with namespace flags');
  assert.ok(!admin.syscalls.some((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO'));
  const noChroot = defaultSeccompProfile(defaultCapabilities.filter((c) => c !== 'CAP_SYS_CHROOT'), 'x64');
  assert.ok(!allowsOutright(noChroot, 'chroot'));
});

test('spec: containers get the allowlist for their own capabilities, no NET_RAW, and ping through ICMP sockets', () => {
  const input = {
    id: 'abc', hostname: 'h', rootfs: '/r', image: { cmd: ['/bin/sh'] }, spec: { image: 'x' }, user: { uid: 0, gid: 0, additionalGids: [] },
    network: { mode: 'bridge' as const, netnsPath: '/var/run/netns/n' }, cgroupsPath: '/llmos/t/abc', etcFiles: { hosts: '/h', hostname: '/hn', resolvConf: '/rc' }, nofileHardLimit: 20000, arch: 'x64',
  };
  // The OCI spec is built as plain JSON; this test reads a few of its fields.
  type Built = { process: { capabilities: { bounding: string[] } }; linux: { seccomp: unknown; sysctl?: Record<string, string> } };
  const s = buildSpec(input) as Built;
  assert.ok(!s.process.capabilities.bounding.includes('CAP_NET_RAW'));
  assert.deepEqual(s.linux.seccomp, defaultSeccompProfile(defaultCapabilities, 'x64'));
  assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ping_group_range': '0 2147483647' });
  // net.* sysctls are per netns: on the host network they would change the host.
  assert.equal((buildSpec({ ...input, network: { mode: 'host' } }) as Built).linux.sysctl, undefined);
});
