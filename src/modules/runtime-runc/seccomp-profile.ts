// The default seccomp allowlist as data, with the semantics of Docker's default profile
// (moby profiles/seccomp/default.json): everything not listed fails with EPERM; each group is
// allowed unconditionally, or only with argument filters, or only when the container holds a
// capability (`caps`), or only on some architectures (`arches`, Node's process.arch names).
// seccomp.ts turns this into the OCI profile for one container's capabilities and architecture.
// Deliberately stricter than Docker: ptrace, process_vm_readv/writev need CAP_SYS_PTRACE (Docker
// allows them on kernels >= 4.8), and the io_uring syscalls are never allowed.

export interface ProfileArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: 'SCMP_CMP_EQ' | 'SCMP_CMP_NE' | 'SCMP_CMP_MASKED_EQ';
}

export interface ProfileGroup {
  /** Why the group exists (kept in the data, not in the generated profile). */
  why: string;
  names: readonly string[];
  action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  errnoRet?: number;
  args?: readonly ProfileArg[];
  /** Applies only when the container holds every one of these capabilities. */
  caps?: readonly string[];
  /** Applies only when the container holds none of these capabilities. */
  notCaps?: readonly string[];
  /** Applies only on these architectures (process.arch names). */
  arches?: readonly string[];
}

export const EPERM = 1;
export const ENOSYS = 38;

/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET = 0x7E020000. */
export const namespaceCloneMask = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

/** AF_VSOCK: talks to the hypervisor, not the container's network. */
const AF_VSOCK = 40;

/** personality(2) values a process may set: PER_LINUX, PER_LINUX32, UNAME26, both, and the query 0xffffffff. */
export const allowedPersonalities: readonly number[] = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

const plain: readonly string[] = [
  'accept', 'accept4', 'access', 'adjtimex', 'alarm', 'bind', 'brk', 'cachestat', 'capget', 'capset',
  'chdir', 'chmod', 'chown', 'chown32', 'clock_adjtime', 'clock_adjtime64', 'clock_getres',
  'clock_getres_time64', 'clock_gettime', 'clock_gettime64', 'clock_nanosleep', 'clock_nanosleep_time64',
  'close', 'close_range', 'connect', 'copy_file_range', 'creat', 'dup', 'dup2', 'dup3', 'epoll_create',
  'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_pwait', 'epoll_pwait2', 'epoll_wait', 'epoll_wait_old',
  'eventfd', 'eventfd2', 'execve', 'execveat', 'exit', 'exit_group', 'faccessat', 'faccessat2', 'fadvise64',
  'fadvise64_64', 'fallocate', 'fanotify_mark', 'fchdir', 'fchmod', 'fchmodat', 'fchmodat2', 'fchown',
  'fchown32', 'fchownat', 'fcntl', 'fcntl64', 'fdatasync', 'fgetxattr', 'flistxattr', 'flock', 'fork',
  'fremovexattr', 'fsetxattr', 'fstat', 'fstat64', 'fstatat64', 'fstatfs', 'fstatfs64', 'fsync', 'ftruncate',
  'ftruncate64', 'futex', 'futex_requeue', 'futex_time64', 'futex_wait', 'futex_waitv', 'futex_wake',
  'futimesat', 'getcpu', 'getcwd', 'getdents', 'getdents64', 'getegid', 'getegid32', 'geteuid', 'geteuid32',
  'getgid', 'getgid32', 'getgroups', 'getgroups32', 'getitimer', 'getpeername', 'getpgid', 'getpgrp',
  'getpid', 'getppid', 'getpriority', 'getrandom', 'getresgid', 'getresgid32', 'getresuid', 'getresuid32',
  'getrlimit', 'get_robust_list', 'getrusage', 'getsid', 'getsockname', 'getsockopt', 'get_thread_area',
  'gettid', 'gettimeofday', 'getuid', 'getuid32', 'getxattr', 'inotify_add_watch', 'inotify_init',
  'inotify_init1', 'inotify_rm_watch', 'io_cancel', 'ioctl', 'io_destroy', 'io_getevents', 'io_pgetevents',
  'io_pgetevents_time64', 'ioprio_get', 'ioprio_set', 'io_setup', 'io_submit', 'ipc', 'kill',
  'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self', 'lchown', 'lchown32',
  'lgetxattr', 'link', 'linkat', 'listen', 'listxattr', 'llistxattr', '_llseek', 'lremovexattr', 'lseek',
  'lsetxattr', 'lstat', 'lstat64', 'madvise', 'map_shadow_stack', 'membarrier', 'memfd_create',
  'memfd_secret', 'mincore', 'mkdir', 'mkdirat', 'mknod', 'mknodat', 'mlock', 'mlock2', 'mlockall', 'mmap',
  'mmap2', 'mprotect', 'mq_getsetattr', 'mq_notify', 'mq_open', 'mq_timedreceive', 'mq_timedreceive_time64',
  'mq_timedsend', 'mq_timedsend_time64', 'mq_unlink', 'mremap', 'msgctl', 'msgget', 'msgrcv', 'msgsnd',
  'msync', 'munlock', 'munlockall', 'munmap', 'nanosleep', 'newfstatat', '_newselect', 'open', 'openat',
  'openat2', 'pause', 'pidfd_open', 'pidfd_send_signal', 'pipe', 'pipe2', 'pkey_alloc', 'pkey_free',
  'pkey_mprotect', 'poll', 'ppoll', 'ppoll_time64', 'prctl', 'pread64', 'preadv', 'preadv2', 'prlimit64',
  'process_mrelease', 'pselect6', 'pselect6_time64', 'pwrite64', 'pwritev', 'pwritev2', 'read', 'readahead',
  'readlink', 'readlinkat', 'readv', 'recv', 'recvfrom', 'recvmmsg', 'recvmmsg_time64', 'recvmsg',
  'remap_file_pages', 'removexattr', 'rename', 'renameat', 'renameat2', 'restart_syscall', 'rmdir', 'rseq',
  'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend',
  'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo', 'sched_getaffinity', 'sched_getattr',
  'sched_getparam', 'sched_get_priority_max', 'sched_get_priority_min', 'sched_getscheduler',
  'sched_rr_get_interval', 'sched_rr_get_interval_time64', 'sched_setaffinity', 'sched_setattr',
  'sched_setparam', 'sched_setscheduler', 'sched_yield', 'seccomp', 'select', 'semctl', 'semget', 'semop',
  'semtimedop', 'semtimedop_time64', 'send', 'sendfile', 'sendfile64', 'sendmmsg', 'sendmsg', 'sendto',
  'setfsgid', 'setfsgid32', 'setfsuid', 'setfsuid32', 'setgid', 'setgid32', 'setgroups', 'setgroups32',
  'setitimer', 'setpgid', 'setpriority', 'setregid', 'setregid32', 'setresgid', 'setresgid32', 'setresuid',
  'setresuid32', 'setreuid', 'setreuid32', 'setrlimit', 'set_robust_list', 'setsid', 'setsockopt',
  'set_thread_area', 'set_tid_address', 'setuid', 'setuid32', 'setxattr', 'shmat', 'shmctl', 'shmdt',
  'shmget', 'shutdown', 'sigaltstack', 'signalfd', 'signalfd4', 'sigprocmask', 'sigreturn', 'socketcall',
  'socketpair', 'splice', 'stat', 'stat64', 'statfs', 'statfs64', 'statx', 'symlink', 'symlinkat', 'sync',
  'sync_file_range', 'syncfs', 'sysinfo', 'tee', 'tgkill', 'time', 'timer_create', 'timer_delete',
  'timer_getoverrun', 'timer_gettime', 'timer_gettime64', 'timer_settime', 'timer_settime64',
  'timerfd_create', 'timerfd_gettime', 'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64', 'times',
  'tkill', 'truncate', 'truncate64', 'ugetrlimit', 'umask', 'uname', 'unlink', 'unlinkat', 'utime',
  'utimensat', 'utimensat_time64', 'utimes', 'vfork', 'vmsplice', 'wait4', 'waitid', 'waitpid', 'write',
  'writev',
];

export const profileGroups: readonly ProfileGroup[] = [
  { why: 'what ordinary programs use', names: plain, action: 'SCMP_ACT_ALLOW' },
  {
    why: 'sockets of every family but AF_VSOCK',
    names: ['socket'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }],
  },
  // One rule per value: rules on the same syscall are OR-ed.
  ...allowedPersonalities.map(
    (v): ProfileGroup => ({ why: 'personality: only the harmless execution domains (no ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, ...)', names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: v, op: 'SCMP_CMP_EQ' }] }),
  ),
  { why: 'x86 thread areas and LDT', names: ['arch_prctl', 'modify_ldt'], action: 'SCMP_ACT_ALLOW', arches: ['x64', 'ia32'] },
  { why: 'arm specifics', names: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'], action: 'SCMP_ACT_ALLOW', arches: ['arm', 'arm64'] },
  {
    why: 'clone for threads and fork, without namespace flags, unless CAP_SYS_ADMIN',
    names: ['clone'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: namespaceCloneMask, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    notCaps: ['CAP_SYS_ADMIN'],
  },
  // clone3 passes its flags in memory that seccomp cannot read: ENOSYS makes libc fall back to clone.
  { why: 'clone3 flags cannot be inspected', names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, notCaps: ['CAP_SYS_ADMIN'] },
  {
    why: 'mounts, namespaces, host names, kernel log: CAP_SYS_ADMIN',
    names: ['bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie', 'mount', 'mount_setattr', 'move_mount', 'open_tree', 'perf_event_open', 'quotactl', 'quotactl_fd', 'setdomainname', 'sethostname', 'setns', 'syslog', 'umount', 'umount2', 'unshare'],
    action: 'SCMP_ACT_ALLOW',
    caps: ['CAP_SYS_ADMIN'],
  },
  { why: 'reboot: CAP_SYS_BOOT', names: ['reboot'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_BOOT'] },
  { why: 'chroot: CAP_SYS_CHROOT', names: ['chroot'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_CHROOT'] },
  { why: 'kernel modules: CAP_SYS_MODULE', names: ['delete_module', 'init_module', 'finit_module'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_MODULE'] },
  { why: 'process accounting: CAP_SYS_PACCT', names: ['acct'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_PACCT'] },
  {
    why: 'reading and tracing other processes: CAP_SYS_PTRACE',
    names: ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace'],
    action: 'SCMP_ACT_ALLOW',
    caps: ['CAP_SYS_PTRACE'],
  },
  { why: 'I/O ports: CAP_SYS_RAWIO', names: ['iopl', 'ioperm'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_RAWIO'] },
  { why: 'the clock: CAP_SYS_TIME', names: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_TIME'] },
  { why: 'vhangup: CAP_SYS_TTY_CONFIG', names: ['vhangup'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_TTY_CONFIG'] },
  { why: 'NUMA memory policy: CAP_SYS_NICE', names: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYS_NICE'] },
  { why: 'kernel log: CAP_SYSLOG', names: ['syslog'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_SYSLOG'] },
  { why: 'BPF: CAP_BPF', names: ['bpf'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_BPF'] },
  { why: 'perf: CAP_PERFMON', names: ['perf_event_open'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_PERFMON'] },
  { why: 'file handles bypass path checks: CAP_DAC_READ_SEARCH', names: ['name_to_handle_at', 'open_by_handle_at'], action: 'SCMP_ACT_ALLOW', caps: ['CAP_DAC_READ_SEARCH'] },
];
