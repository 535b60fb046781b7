// seccomp-exec: installs a syscall deny-list and execs argv[1..]. The daemon spawns its
// function-host processes through it (Node cannot install a seccomp filter on itself).
// Raw BPF with linux/seccomp.h + linux/filter.h, not libseccomp: one static list, no runtime
// library to install on the host or to trust, and the whole filter is readable in this file.
// Denied calls return EPERM (a clear error, not a crash); a foreign arch (x86_64 only) is killed,
// as are x32 syscall numbers, so the list cannot be bypassed through another syscall table.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __x86_64__
#error "seccomp-exec: only x86_64 is supported"
#endif

// Calls a function host never needs and that widen the kernel surface or escape confinement.
static const int denied[] = {
    SYS_mount, SYS_umount2, SYS_pivot_root, SYS_chroot, SYS_ptrace, SYS_process_vm_readv,
    SYS_process_vm_writev, SYS_kexec_load, SYS_kexec_file_load, SYS_init_module,
    SYS_finit_module, SYS_delete_module, SYS_bpf, SYS_perf_event_open, SYS_keyctl, SYS_add_key,
    SYS_request_key, SYS_unshare, SYS_setns, SYS_userfaultfd, SYS_open_by_handle_at,
    SYS_name_to_handle_at, SYS_swapon, SYS_swapoff, SYS_reboot, SYS_acct, SYS_quotactl,
    SYS_clock_settime, SYS_settimeofday, SYS_clock_adjtime, SYS_adjtimex, SYS_iopl, SYS_ioperm,
    SYS_lookup_dcookie, SYS_fsopen, SYS_fsmount, SYS_fsconfig, SYS_fspick, SYS_move_mount,
    SYS_open_tree, SYS_sethostname, SYS_setdomainname, SYS_personality, SYS_vhangup,
    SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register, SYS_kcmp, SYS_syslog,
};
#define N_DENIED (sizeof(denied) / sizeof(denied[0]))
// clone() flags that make namespaces (unshare's other door).
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: seccomp-exec PROGRAM [ARGS...]\n");
    return 2;
  }
  struct sock_filter f[N_DENIED + 16];
  unsigned n = 0;
  f[n++] = (struct sock_filter)LD(offsetof(struct seccomp_data, arch));
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  f[n++] = (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS);
  f[n++] = (struct sock_filter)LD(offsetof(struct seccomp_data, nr));
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1); // x32 ABI
  f[n++] = (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS);
  // clone3 passes its flags in memory BPF cannot read: ENOSYS makes libc fall back to clone().
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1);
  f[n++] = (struct sock_filter)RET(SECCOMP_RET_ERRNO | ENOSYS);
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3);
  f[n++] = (struct sock_filter)LD(offsetof(struct seccomp_data, args[0])); // low 32 bits hold the flags
  f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1);
  f[n++] = (struct sock_filter)RET(SECCOMP_RET_ERRNO | EPERM);
  // (clone without namespace flags, and the reload below, fall through to the list.)
  f[n++] = (struct sock_filter)LD(offsetof(struct seccomp_data, nr));
  for (unsigned i = 0; i < N_DENIED; i++) {
    // Match: jump over the remaining checks and the ALLOW to the EPERM at the end.
    unsigned left = N_DENIED - 1 - i;
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)denied[i], left + 1, 0);
  }
  f[n++] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
  f[n++] = (struct sock_filter)RET(SECCOMP_RET_ERRNO | EPERM);
  struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};

  // Without no_new_privs an unprivileged caller could not install a filter, and a setuid exec
  // inside could shed it.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    fprintf(stderr, "seccomp-exec: PR_SET_NO_NEW_PRIVS: %s\n", strerror(errno));
    return 126;
  }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0) {
    fprintf(stderr, "seccomp-exec: installing the filter: %s\n", strerror(errno));
    return 126;
  }
  execvp(argv[1], argv + 1);
  fprintf(stderr, "seccomp-exec: %s: %s\n", argv[1], strerror(errno));
  return 127;
}
