// The real docker CLI on the server's Docker socket, for containers on other nodes (issue 19): 2
// netns nodes and a server on a 3-member etcd. `docker create` is placed as `llmos run` is (the
// scheduler, or a `llmos.io/node` label), then `docker start`; `docker run -d`; `docker exec`
// plain (output and exit code), with stdin (-i) and with a TTY (-t); `docker restart`; pause,
// unpause, rename, update, top and cp both ways. A label naming no node is refused with one line
// and nothing is created.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { nodesJson } from '../support/cluster.js';
import { withImageCluster } from '../support/image-cluster.js';
import { registrySkipReason } from '../support/registry.js';
import { until } from '../support/until.js';
import { client as dockerClient, socketOf } from '../docker/support.js';

const skip = process.getuid?.() !== 0 ? 'needs root (netns)' : !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : !existsSync('/usr/bin/docker') ? 'docker CLI (docker.io) missing' : !existsSync('/usr/bin/script') ? 'script (bsdutils) missing' : registrySkipReason();

interface Ps { id: string; name: string; node?: string; state: string }

test('docker create/start/run -d/exec/restart/pause/rename/update/top/cp through the server\'s socket run on the nodes', { skip, timeout: 300_000 }, async () => {
  await withImageCluster(2, {}, async ({ cluster: c, image, cli }) => {
    const sock = socketOf(c.server);
    const docker = async (args: string[], input?: string) => {
      const r = await dockerClient('docker', args, sock, { timeoutMs: 90_000, ...(input !== undefined ? { input } : {}) });
      assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const ps = async () => JSON.parse(await cli(['ps', '-a', '--json'])) as Ps[];
    await until('2 Ready, connected nodes', async () => {
      const n = (await nodesJson(c.server)) as Array<{ status: string; connected?: boolean }>;
      return n.length === 2 && n.every((x) => x.status === 'Ready' && x.connected);
    }, 60_000, 200);

    // create on the node a label names (the node pulls the image), then start.
    const id = (await docker(['create', '--name', 'pinned', '-l', 'llmos.io/node=h2', image, 'sleep', '300'])).trim();
    assert.match(id, /^[0-9a-f]{12,64}$/);
    let list = await ps();
    assert.equal(list.find((x) => x.name === 'pinned')?.node, 'h2', JSON.stringify(list));
    await docker(['start', 'pinned']);
    await until('pinned running on h2', async () => (await ps()).find((x) => x.name === 'pinned')?.state === 'running', 30_000, 200);

    // run -d without a label: the scheduler places it on a node, never the server.
    await docker(['run', '-d', '--name', 'placed', image, 'sh', '-c', 'echo placed-says-hi; exec sleep 300']);
    list = await ps();
    assert.ok(['h1', 'h2'].includes(list.find((x) => x.name === 'placed')?.node ?? ''), JSON.stringify(list));
    await until('docker logs of the placed container', async () => /placed-says-hi/.test(await docker(['logs', 'placed'])), 30_000, 300);

    // exec: output and exit code, stdin, a TTY.
    const plain = await dockerClient('docker', ['exec', 'pinned', 'sh', '-c', 'echo $((6*7)); echo to-err >&2; exit 3'], sock, { timeoutMs: 60_000 });
    assert.equal(plain.code, 3, plain.stderr);
    assert.equal(plain.stdout, '42\n');
    assert.equal(plain.stderr, 'to-err\n');
    assert.equal(await docker(['exec', '-i', 'pinned', 'sh', '-c', 'tr a-z A-Z'], 'from-stdin\n'), 'FROM-STDIN\n');
    assert.equal(await docker(['exec', '-e', 'WHO=env-var', 'placed', 'sh', '-c', 'echo $WHO']), 'env-var\n');
    // -t needs a terminal on the client's side: script(1) gives it one.
    const tty = await dockerClient('script', ['-qec', `docker -H unix://${sock} exec -t pinned sh -c 'test -t 1 && echo has-a-tty'`, '/dev/null'], sock, { timeoutMs: 60_000 });
    assert.equal(tty.code, 0, tty.stdout + tty.stderr);
    assert.match(tty.stdout, /has-a-tty/);

    // restart: stopped and started on its node.
    await docker(['restart', '-t', '1', 'pinned']);
    assert.equal((await ps()).find((x) => x.name === 'pinned')?.state, 'running');
    assert.equal(await docker(['exec', 'pinned', 'echo', 'after-restart']), 'after-restart\n');

    // pause/unpause, rename, update, top and cp of a node's container: its node does each.
    const status = async (name: string) => (await docker(['inspect', '-f', '{{.State.Status}}', name])).trim();
    await docker(['pause', 'pinned']);
    assert.equal(await status('pinned'), 'paused');
    assert.notEqual((await dockerClient('docker', ['exec', 'pinned', 'true'], sock, { timeoutMs: 60_000 })).code, 0, 'exec into a paused container is refused');
    await docker(['unpause', 'pinned']);
    assert.equal(await status('pinned'), 'running');
    await docker(['rename', 'pinned', 'pinned2']);
    assert.equal((await ps()).find((x) => x.name === 'pinned2')?.node, 'h2');
    await docker(['update', '--memory', '96m', 'pinned2']);
    assert.equal(await docker(['exec', 'pinned2', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes']), `${96 * 2 ** 20}\n`);
    const top = await docker(['top', 'pinned2']);
    assert.match(top, /^UID\s+PID\s+PPID\s+CMD\n/);
    assert.match(top, /sleep 300/);
    const here = await mkdtemp(path.join(os.tmpdir(), 'llmos-rcp-'));
    try {
      await docker(['exec', 'pinned2', 'sh', '-c', 'echo from-the-node > /tmp/out.txt']);
      await docker(['cp', 'pinned2:/tmp/out.txt', path.join(here, 'out.txt')]);
      assert.equal(await readFile(path.join(here, 'out.txt'), 'utf8'), 'from-the-node\n');
      await writeFile(path.join(here, 'in.txt'), 'from-the-server\n');
      await docker(['cp', path.join(here, 'in.txt'), 'pinned2:/tmp/']);
      assert.equal(await docker(['exec', 'pinned2', 'cat', '/tmp/in.txt']), 'from-the-server\n');
      const nothing = await dockerClient('docker', ['cp', 'pinned2:/no/such/file', here], sock, { timeoutMs: 60_000 });
      assert.notEqual(nothing.code, 0);
      assert.match(nothing.stderr, /Could not find the file|No such/i, nothing.stderr);
    } finally {
      await rm(here, { recursive: true, force: true });
    }

    // run attached (no -d): the node's output comes back, and the exit code.
    const attached = await dockerClient('docker', ['run', '--name', 'attached', '-l', 'llmos.io/node=h1', image, 'sh', '-c', 'echo attached-out; exit 4'], sock, { timeoutMs: 90_000 });
    assert.equal(attached.code, 4, attached.stderr);
    assert.match(attached.stdout, /attached-out/);
    assert.equal((await ps()).find((x) => x.name === 'attached')?.node, 'h1');
    await docker(['rm', 'attached']);

    // A label naming no node: one line, nothing created.
    const bad = await dockerClient('docker', ['run', '-d', '--name', 'nowhere', '-l', 'llmos.io/node=no-such-node', image, 'sleep', '1'], sock, { timeoutMs: 60_000 });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /no node for container nowhere/);
    // The CLI adds its own "Run 'docker run --help'" line.
    assert.equal(bad.stderr.trim().split('\n').filter((l) => l.trim() && !/'docker run --help'/.test(l)).length, 1, bad.stderr);
    assert.equal((await ps()).some((x) => x.name === 'nowhere'), false);
    const missing = await dockerClient('docker', ['exec', 'no-such-one', 'true'], sock);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No such container/);

    await docker(['rm', '-f', 'pinned2', 'placed']);
    assert.deepEqual((await ps()).filter((x) => ['pinned2', 'placed'].includes(x.name)), []);
  });
});
