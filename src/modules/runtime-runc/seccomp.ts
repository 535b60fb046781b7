// The OCI seccomp profile of one container, generated from the allowlist data in
// seccomp-profile.ts for the container's capabilities and the host's architecture: every syscall
// not allowed fails with EPERM (Docker's default semantics). runc skips names the host's
// libseccomp does not know, and answers ENOSYS for syscalls newer than the profile.
import { EPERM, profileGroups, type ProfileArg, type ProfileGroup } from './seccomp-profile.js';

export interface SeccompRule {
  names: string[];
  action: 'SCMP_ACT_ERRNO' | 'SCMP_ACT_ALLOW';
  errnoRet?: number;
  args?: ProfileArg[];
}

export interface SeccompProfile {
  defaultAction: 'SCMP_ACT_ERRNO';
  defaultErrnoRet: number;
  architectures: string[];
  syscalls: SeccompRule[];
}

const architecturesFor = (arch: string): string[] =>
  arch === 'arm64' ? ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'] : arch === 'x64' ? ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] : [];

/** The architectures whose syscall tables a process on `arch` can use (a 64-bit host runs 32-bit code). */
const archFamily = (arch: string): string[] => (arch === 'x64' ? ['x64', 'ia32'] : arch === 'arm64' ? ['arm64', 'arm'] : [arch]);

function applies(g: ProfileGroup, caps: ReadonlySet<string>, arch: string): boolean {
  if (g.caps && !g.caps.every((c) => caps.has(c))) return false;
  if (g.notCaps && g.notCaps.some((c) => caps.has(c))) return false;
  if (g.arches && !archFamily(arch).some((a) => g.arches!.includes(a))) return false;
  return true;
}

/**
 * The profile for a container whose bounding set is `capabilities` (a capability the process can
 * never hold earns no syscalls). Pure: the same inputs give the same profile.
 */
export function defaultSeccompProfile(capabilities: readonly string[], arch: string = process.arch): SeccompProfile {
  const caps = new Set(capabilities);
  const syscalls: SeccompRule[] = profileGroups
    .filter((g) => applies(g, caps, arch))
    .map((g) => ({ names: [...g.names], action: g.action, ...(g.errnoRet !== undefined ? { errnoRet: g.errnoRet } : {}), ...(g.args ? { args: g.args.map((a) => ({ ...a })) } : {}) }));
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: EPERM, architectures: architecturesFor(arch), syscalls };
}

/** Whether `name` is allowed without argument filters under the profile (for tests and docs). */
export function allowsOutright(p: SeccompProfile, name: string): boolean {
  return p.syscalls.some((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args && r.names.includes(name));
}
