// Finding 8 of issue 13: the seccomp profile was a denylist over SCMP_ACT_ALLOW, so io_uring,
// personality(ADDR_NO_RANDOMIZE) and every syscall nobody listed were allowed. Real containers
// run the static syscall probes (probes/sysprobe.c) under the default profile.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { untilNoLeaks } from '../support/leaks.js';
import { until } from '../support/until.js';
import { buildProbeRootfs, importProbeImage, probeSkipReason, removeDir } from './probe-image.js';

const skip = probeSkipReason();

/** Must fail with EPERM: what seccomp (and, for mount, bpf, perf_event_open, missing capabilities) refuses. */
const mustFail = [
  'io_uring_setup', 'personality_addr_no_randomize', 'personality_read_implies_exec', 'mount', 'unshare_user',
  'unshare_net', 'clone_newuser', 'keyctl', 'add_key', 'bpf', 'perf_event_open', 'ptrace_traceme', 'userfaultfd',
  'setns', 'socket_vsock',
];
/** Must work: what ordinary programs do. */
const mustWork = [
  'personality_query', 'personality_linux', 'fork', 'threads', 'file_io', 'tcp_loopback', 'udp', 'unix_socketpair',
  'epoll_eventfd', 'timerfd', 'mmap', 'getrandom', 'memfd', 'uname', 'pipe_poll',
];

const parse = (out: string): Map<string, string> => new Map(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));

describe('seccomp allowlist in real containers', { skip }, () => {
  let d: TestDaemon;
  let buildDir: string;
  let image: string;

  before(async () => {
    const built = await buildProbeRootfs();
    buildDir = built.dir;
    d = await startDaemon();
    image = await importProbeImage(d, built.tar);
  });

  after(async () => {
    if (d) {
      // `run --rm` removes its container after the exit is reported: wait for that before stopping.
      await until('every container removed', async () => (await d.cli(['ps', '-a', '-q'])).stdout.trim() === '', 30_000);
      await untilNoLeaks(d.dataDir);
      await d.stop();
    }
    await removeDir(buildDir);
  });

  for (const user of [[], ['--user', 'nobody']]) {
    test(`refused syscalls fail with EPERM and ordinary ones work${user.length ? ' (as nobody)' : ''}`, async () => {
      const r = await d.cli(['run', '--rm', ...user, image, '/probe/sysprobe', ...mustFail, ...mustWork]);
      assert.equal(r.code, 0, r.stderr);
      const got = parse(r.stdout);
      const wrong = [
        ...mustFail.filter((p) => !/^errno=1 /.test(got.get(p) ?? '')).map((p) => `${p} must be refused: ${got.get(p)}`),
        ...mustWork.filter((p) => got.get(p) !== 'ok').map((p) => `${p} must work: ${got.get(p)}`),
      ];
      assert.deepEqual(wrong, []);
    });
  }

  test('exec into a running container gets the same profile', async () => {
    const r = await d.cli(['run', '-d', '--name', 'probed', image, 'sleep', '600']);
    assert.equal(r.code, 0, r.stderr);
    try {
      const e = await d.cli(['exec', 'probed', '/probe/sysprobe', 'io_uring_setup', 'personality_addr_no_randomize', 'threads', 'fork']);
      assert.equal(e.code, 0, e.stderr);
      assert.deepEqual([...parse(e.stdout)], [
        ['io_uring_setup', 'errno=1 (Operation not permitted)'],
        ['personality_addr_no_randomize', 'errno=1 (Operation not permitted)'],
        ['threads', 'ok'],
        ['fork', 'ok'],
      ]);
    } finally {
      await d.cli(['rm', '-f', 'probed']);
    }
  });

  test('a shell workload: pipes, subshells, file tools, a server and its client', async () => {
    const script = [
      'set -e',
      'mkdir -p /tmp/w && cd /tmp/w',
      'seq 1 200 | sort -rn | head -n 3 > top.txt',
      'test "$(cat top.txt | tr "\\n" " ")" = "200 199 198 "',
      'echo data | gzip | gunzip | grep -q data',
      'cp top.txt copy.txt && mv copy.txt moved.txt && ln -s moved.txt link && cat link > /dev/null && rm moved.txt link',
      'touch -d "2020-01-01" t && stat t > /dev/null && chmod 600 t && chown nobody t',
      '(sleep 0.1; echo sub) & wait',
      'httpd -p 127.0.0.1:8081 -h /www && nc 127.0.0.1 8081 < /dev/null > /dev/null; echo GET / HTTP/1.0 | nc 127.0.0.1 8081 | grep -q published-port-ok',
      'date > /dev/null && hostname > /dev/null && ps > /dev/null && id -u',
    ].join('\n');
    const r = await d.cli(['run', '--rm', image, 'sh', '-c', script]);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.equal(r.stdout.trim().split('\n').at(-1), '0');
  });
});
