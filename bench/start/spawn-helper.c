/* bench/start/spawn-cost's helper: a small process that starts commands for a big one. It reads one
 * command per line (arguments separated by spaces), starts it with posix_spawn (stdout and stderr
 * to /dev/null), waits for it and writes its exit code on a line. Forking this ~1 MiB process costs
 * next to nothing, where Node forks its whole address space for every child. A prototype for the
 * measurement only: no quoting, no environment or working directory per command. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int main(void) {
  char line[8192];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    char *argv[128];
    int n = 0;
    for (char *t = strtok(line, " \n"); t && n < 127; t = strtok(NULL, " \n")) argv[n++] = t;
    argv[n] = NULL;
    if (n == 0) continue;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int st = 127 << 8;
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) == 0) waitpid(pid, &st, 0);
    posix_spawn_file_actions_destroy(&fa);
    printf("%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  }
  return 0;
}
