// Syscall probes for the seccomp tests: `sysprobe NAME...` runs each probe and prints
// "NAME ok" or "NAME errno=N (text)". The must-fail probes are calls any unprivileged process
// may make without seccomp (so only the profile stops them), except mount, bpf and perf_event_open,
// which capabilities refuse as well. The must-work probes are what ordinary programs do.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif

static long fail(void) { return -1; }

/* Must fail. */
static long p_io_uring_setup(void) { char params[120] = {0}; return syscall(SYS_io_uring_setup, 4, params); }
static long p_personality_addr_no_randomize(void) { return syscall(SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */); }
static long p_personality_read_implies_exec(void) { return syscall(SYS_personality, 0x0400000); }
static long p_mount(void) { mkdir("/tmp/m", 0700); return mount("none", "/tmp/m", "tmpfs", 0, NULL); }
static long p_unshare_user(void) { return unshare(CLONE_NEWUSER); }
static long p_unshare_net(void) { return unshare(CLONE_NEWNET); }
static long p_clone_newuser(void) {
  long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  return pid;
}
static long p_keyctl(void) { return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 1); }
static long p_add_key(void) { return syscall(SYS_add_key, "user", "llmos-probe", "x", 1, -3); }
static long p_bpf(void) { char attr[128] = {0}; return syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, attr, sizeof attr); }
static long p_perf_event_open(void) { char attr[128] = {0}; attr[4] = 112; /* size */ return syscall(SYS_perf_event_open, attr, 0, -1, -1, 0); }
static long p_ptrace_traceme(void) {
  pid_t pid = fork();
  if (pid == 0) _exit(ptrace(PTRACE_TRACEME, 0, 0, 0) == 0 ? 0 : errno);
  int st = 0;
  waitpid(pid, &st, 0);
  if (WEXITSTATUS(st)) { errno = WEXITSTATUS(st); return -1; }
  return 0;
}
static long p_userfaultfd(void) { return syscall(SYS_userfaultfd, 0); }
static long p_setns(void) { int fd = open("/proc/self/ns/net", O_RDONLY); return fd < 0 ? fd : setns(fd, 0); }

/* Must work. */
static long p_personality_query(void) { return syscall(SYS_personality, 0xffffffff) < 0 ? -1 : 0; }
static long p_personality_linux(void) { return syscall(SYS_personality, 0) < 0 ? -1 : 0; }
static long p_fork(void) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) _exit(7);
  int st = 0;
  waitpid(pid, &st, 0);
  return WEXITSTATUS(st) == 7 ? 0 : fail();
}
static void *thread_main(void *arg) { *(int *)arg = 42; return NULL; }
static long p_threads(void) {
  pthread_t t[4];
  int v[4] = {0};
  for (int i = 0; i < 4; i++) if ((errno = pthread_create(&t[i], NULL, thread_main, &v[i]))) return -1;
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < 4; i++) if (v[i] != 42) return fail();
  return 0;
}
static long p_file_io(void) {
  int fd = open("/tmp/probe.txt", O_CREAT | O_TRUNC | O_RDWR, 0600);
  if (fd < 0) return -1;
  char buf[6] = {0};
  if (write(fd, "hello", 5) != 5 || fsync(fd) < 0 || pread(fd, buf, 5, 0) != 5 || strcmp(buf, "hello")) return -1;
  struct stat st;
  if (fstat(fd, &st) < 0 || close(fd) < 0) return -1;
  if (rename("/tmp/probe.txt", "/tmp/probe2.txt") < 0 || unlink("/tmp/probe2.txt") < 0) return -1;
  return 0;
}
static long p_tcp_loopback(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0 || c < 0) return -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t l = sizeof a;
  if (bind(s, (void *)&a, sizeof a) < 0 || listen(s, 1) < 0 || getsockname(s, (void *)&a, &l) < 0) return -1;
  if (connect(c, (void *)&a, sizeof a) < 0) return -1;
  int d = accept4(s, NULL, NULL, SOCK_CLOEXEC);
  char buf[3] = {0};
  if (d < 0 || send(c, "hi", 2, 0) != 2 || recv(d, buf, 2, MSG_WAITALL) != 2 || strcmp(buf, "hi")) return -1;
  close(d); close(c); close(s);
  return 0;
}
static long p_udp(void) { int s = socket(AF_INET, SOCK_DGRAM, 0); return s < 0 ? -1 : close(s); }
static long p_unix_socketpair(void) { int sv[2]; return socketpair(AF_UNIX, SOCK_STREAM, 0, sv); }
static long p_epoll_eventfd(void) {
  int ep = epoll_create1(EPOLL_CLOEXEC), ev = eventfd(0, EFD_NONBLOCK);
  if (ep < 0 || ev < 0) return -1;
  struct epoll_event e = {.events = EPOLLIN}, out;
  uint64_t one = 1;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e) < 0 || write(ev, &one, 8) != 8) return -1;
  return epoll_wait(ep, &out, 1, 1000) == 1 ? 0 : fail();
}
static long p_timerfd(void) {
  int t = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec its = {.it_value = {0, 1000000}};
  uint64_t n;
  if (t < 0 || timerfd_settime(t, 0, &its, NULL) < 0) return -1;
  return read(t, &n, 8) == 8 ? 0 : -1;
}
static long p_mmap(void) {
  void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return -1;
  memset(p, 1, 1 << 20);
  if (mprotect(p, 4096, PROT_READ) < 0) return -1;
  return munmap(p, 1 << 20);
}
static long p_getrandom(void) { char b[16]; return getrandom(b, sizeof b, 0) == 16 ? 0 : -1; }
static long p_memfd(void) { int fd = memfd_create("probe", MFD_CLOEXEC); return fd < 0 ? -1 : close(fd); }
static long p_uname(void) { struct utsname u; return uname(&u); }
static long p_pipe_poll(void) { int p[2]; return pipe2(p, O_CLOEXEC) < 0 || write(p[1], "x", 1) != 1 ? -1 : 0; }
static long p_socket_vsock(void) { return socket(40 /* AF_VSOCK */, SOCK_STREAM, 0); }

struct probe { const char *name; long (*fn)(void); };
static const struct probe probes[] = {
  {"io_uring_setup", p_io_uring_setup}, {"personality_addr_no_randomize", p_personality_addr_no_randomize},
  {"personality_read_implies_exec", p_personality_read_implies_exec}, {"mount", p_mount},
  {"unshare_user", p_unshare_user}, {"unshare_net", p_unshare_net}, {"clone_newuser", p_clone_newuser},
  {"keyctl", p_keyctl}, {"add_key", p_add_key}, {"bpf", p_bpf}, {"perf_event_open", p_perf_event_open},
  {"ptrace_traceme", p_ptrace_traceme}, {"userfaultfd", p_userfaultfd}, {"setns", p_setns},
  {"socket_vsock", p_socket_vsock},
  {"personality_query", p_personality_query}, {"personality_linux", p_personality_linux}, {"fork", p_fork},
  {"threads", p_threads}, {"file_io", p_file_io}, {"tcp_loopback", p_tcp_loopback}, {"udp", p_udp},
  {"unix_socketpair", p_unix_socketpair}, {"epoll_eventfd", p_epoll_eventfd}, {"timerfd", p_timerfd},
  {"mmap", p_mmap}, {"getrandom", p_getrandom}, {"memfd", p_memfd}, {"uname", p_uname},
  {"pipe_poll", p_pipe_poll},
};

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  for (int i = 1; i < argc; i++) {
    const struct probe *p = NULL;
    for (size_t j = 0; j < sizeof probes / sizeof *probes; j++) if (!strcmp(probes[j].name, argv[i])) p = &probes[j];
    if (!p) { printf("%s unknown\n", argv[i]); continue; }
    errno = 0;
    long r = p->fn();
    if (r < 0) printf("%s errno=%d (%s)\n", argv[i], errno, strerror(errno));
    else printf("%s ok\n", argv[i]);
  }
  return 0;
}
