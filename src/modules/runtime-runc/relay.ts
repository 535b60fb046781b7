// The relay helper: Node cannot open conmon's SOCK_SEQPACKET attach socket nor receive the pty
// master runc passes over a console socket (SCM_RIGHTS), so a small C program does both and
// speaks plain pipes to the daemon: stdin in, Docker's 8-byte frames out (stream 1/2; 9 says
// "connected"). It is built once with the host's gcc (a host dependency) and cached by hash.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FailedPrecondition } from '../../kernel/errors.js';

const source = `// llmos-relay: bridges a container's terminal/stdin to a byte pipe the daemon can use.
//  attach SOCK: connects to conmon's SOCK_SEQPACKET attach socket; stdin -> packets,
//    packets ([stream byte][data]) -> Docker frames on stdout; stdin EOF shuts down the write side.
//  console SOCK PIDFILE -- RUNC ARGS...: listens on SOCK, runs \`runc exec -d -t --console-socket\`,
//    receives the pty master, relays stdin -> master, master -> frames; fd 3 carries "H W\\n" resizes.
//    Exits with the process's exit code (a subreaper: the detached process is our child).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_all(int fd, const char *b, size_t n) {
  while (n) {
    ssize_t w = write(fd, b, n);
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    b += w; n -= (size_t)w;
  }
  return 0;
}

static int frame(int stream, const char *b, size_t n) {
  unsigned char h[8] = {(unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n};
  if (write_all(1, (const char *)h, 8) < 0) return -1;
  return write_all(1, b, n);
}

// Unix socket paths are limited to 108 bytes: address the socket through its directory's fd.
static void sock_addr(const char *path, struct sockaddr_un *a, int *dirfd) {
  char *d = strdup(path), *f = strdup(path);
  *dirfd = open(dirname(d), O_PATH | O_DIRECTORY);
  if (*dirfd < 0) { perror("open socket dir"); exit(125); }
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  snprintf(a->sun_path, sizeof a->sun_path, "/proc/self/fd/%d/%s", *dirfd, basename(f));
}

static int do_attach(const char *path) {
  struct sockaddr_un a; int dfd;
  sock_addr(path, &a, &dfd);
  int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect attach socket"); return 125; }
  if (frame(9, "", 0) < 0) return 0;  // connected: the daemon may start the process now
  static char buf[65536], in[4096];
  ssize_t pending = 0;
  int in_open = 1;
  // Input waits in the in buffer until conmon takes it (never block on the socket while its output waits
  // for us: conmon would block writing to us and we on writing to it).
  for (;;) {
    struct pollfd p[2] = {{s, POLLIN | (pending ? POLLOUT : 0), 0}, {0, POLLIN, 0}};
    if (poll(p, in_open && !pending ? 2 : 1, -1) < 0) { if (errno == EINTR) continue; return 125; }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = recv(s, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return 0;
      if (n > 1 && (buf[0] == 2 || buf[0] == 3) && frame(buf[0] == 3 ? 2 : 1, buf + 1, (size_t)n - 1) < 0) return 0;
    }
    if (pending && (p[0].revents & POLLOUT)) {
      ssize_t w = send(s, in, (size_t)pending, MSG_DONTWAIT);
      if (w < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (w < 0) return 0;
      pending = 0;
      if (!in_open) shutdown(s, SHUT_WR);
    }
    if (in_open && !pending && p[1].revents) {
      // conmon reads at most 32 KiB a packet; stay well below.
      ssize_t n = read(0, in, sizeof in);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) { shutdown(s, SHUT_WR); in_open = 0; continue; }
      pending = n;
    }
  }
}

static int recv_fd(int c) {
  char data[256]; char ctl[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {data, sizeof data};
  struct msghdr m = {0}; m.msg_iov = &iov; m.msg_iovlen = 1; m.msg_control = ctl; m.msg_controllen = sizeof ctl;
  if (recvmsg(c, &m, 0) < 0) return -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  if (!cm || cm->cmsg_type != SCM_RIGHTS) return -1;
  int fd; memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return fd;
}

static int status_code(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

static int do_console(const char *path, const char *pidfile, char **argv) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  struct sockaddr_un a; int dfd;
  sock_addr(path, &a, &dfd);
  int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  unlinkat(dfd, basename(strdup(path)), 0);
  if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0) { perror("console socket"); return 125; }
  pid_t r = fork();
  if (r == 0) { dup2(2, 1); execv(argv[0], argv); perror("exec runc"); _exit(125); }
  int st;
  while (waitpid(r, &st, 0) < 0 && errno == EINTR) {}
  if (status_code(st) != 0) return status_code(st) == 125 ? 125 : 126;
  int c = accept(l, NULL, NULL);
  int m = c < 0 ? -1 : recv_fd(c);
  unlinkat(dfd, basename(strdup(path)), 0);
  if (m < 0) { fprintf(stderr, "no console from runc\\n"); return 125; }
  if (frame(9, "", 0) < 0) return 125;
  char pb[32] = {0}; int pf = open(pidfile, O_RDONLY);
  if (pf < 0 || read(pf, pb, sizeof pb - 1) <= 0) { fprintf(stderr, "no pid file\\n"); return 125; }
  pid_t child = (pid_t)atoi(pb);
  static char buf[65536]; char rz[64]; size_t rzn = 0;
  int in_open = 1, rz_open = fcntl(3, F_GETFD) >= 0;
  for (;;) {
    struct pollfd p[3] = {{m, POLLIN, 0}, {0, in_open ? POLLIN : 0, 0}, {3, rz_open ? POLLIN : 0, 0}};
    if (poll(p, rz_open ? 3 : 2, -1) < 0) { if (errno == EINTR) continue; break; }
    if (p[0].revents) {
      ssize_t n = read(m, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EIO: every slave end closed, the process ended
      if (frame(1, buf, (size_t)n) < 0) break;
    }
    if (in_open && p[1].revents) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n <= 0) in_open = 0; else if (write_all(m, buf, (size_t)n) < 0) in_open = 0;
    }
    if (rz_open && p[2].revents) {
      ssize_t n = read(3, rz + rzn, sizeof rz - 1 - rzn);
      if (n <= 0) { rz_open = 0; continue; }
      rzn += (size_t)n; rz[rzn] = 0;
      char *nl;
      while ((nl = strchr(rz, '\\n'))) {
        *nl = 0; unsigned h = 0, w = 0;
        if (sscanf(rz, "%u %u", &h, &w) == 2) { struct winsize ws = {(unsigned short)h, (unsigned short)w, 0, 0}; ioctl(m, TIOCSWINSZ, &ws); }
        memmove(rz, nl + 1, strlen(nl + 1) + 1); rzn = strlen(rz);
      }
      if (rzn >= sizeof rz - 1) rzn = 0;
    }
  }
  while (waitpid(child, &st, 0) < 0) { if (errno != EINTR) return 125; }
  return status_code(st);
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc == 3 && !strcmp(argv[1], "attach")) return do_attach(argv[2]);
  if (argc > 5 && !strcmp(argv[1], "console") && !strcmp(argv[4], "--")) return do_console(argv[2], argv[3], argv + 5);
  fprintf(stderr, "usage: llmos-relay attach SOCK | console SOCK PIDFILE -- RUNC ARGS...\\n");
  return 125;
}
`;

const built = new Map<string, Promise<string>>();

/** The relay binary in `dir` (built on first use). */
export function relayBinary(dir: string): Promise<string> {
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const bin = path.join(dir, `llmos-relay-${hash}`);
  let p = built.get(bin);
  if (!p) {
    p = build(dir, bin);
    built.set(bin, p);
    p.catch(() => built.delete(bin));
  }
  return p;
}

async function build(dir: string, bin: string): Promise<string> {
  if (await access(bin).then(() => true, () => false)) return bin;
  await mkdir(dir, { recursive: true });
  const tmp = `${bin}.${randomBytes(4).toString('hex')}`;
  await writeFile(`${tmp}.c`, source);
  try {
    await new Promise<void>((resolve, reject) =>
      execFile('gcc', ['-O2', '-o', tmp, `${tmp}.c`], { timeout: 60_000 }, (err, _o, stderr) => (err ? reject(new FailedPrecondition(`terminals and stdin need the host's gcc to build their relay helper (scripts/install-host-deps.sh installs it): ${(stderr || err.message).trim().split('\n')[0]}`)) : resolve())),
    );
    await rename(tmp, bin);
  } finally {
    await rm(`${tmp}.c`, { force: true });
    await rm(tmp, { force: true });
  }
  return bin;
}
