// Interactive and streaming operations on containers of other nodes, from the server's CLI
// (issue 19): 3 netns nodes, a server on a 3-member etcd, a real container on each node placed
// with `llmos run --node`. exec -it through a real pty (util-linux script: stdin, TTY, size,
// exit code, detach keys), exec -i with a pipe, run -it --node and attach, stats with a NODE
// column, a client that goes away mid-stream (no exec process left on the node), and a node
// whose agent stops answering (503 "node h3 is not connected", not a hang). Leak-checked on
// every node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { llmosBin } from '../support/daemon.js';
import { nodesJson, startNetnsCluster, type NetnsCluster } from '../support/cluster.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import { Pty } from '../docker-cli-parity/pty.js';

const exec = promisify(execFile);
const skip = process.getuid?.() !== 0 ? 'needs root (netns)' : !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : !existsSync('/usr/bin/script') ? 'util-linux script missing' : registrySkipReason();

/** Host processes whose command line matches (a container's processes are visible from the root pid namespace). */
const procs = async (pattern: string): Promise<string[]> => {
  const { stdout } = await exec('ps', ['-eo', 'pid,args']);
  return stdout.split('\n').filter((l) => l.includes(pattern) && !l.includes('ps -eo'));
};

/** One API call to the server (TLS with its cluster CA, as the CLI trusts it). */
function api<T>(c: NetnsCluster, method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
  const url = new URL(p, c.server.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca: readFileSync(path.join(c.server.dataDir, 'ca', 'ca.crt')), timeout: 30_000, headers: { authorization: `Bearer ${c.server.token}`, ...(payload ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body: parsed as T });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${p} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

describe('remote streams: exec -it/-i, attach, run --node, stats across nodes', { skip, concurrency: false, timeout: 280_000 }, () => {
  let cluster: NetnsCluster;
  let reg: TestRegistry | undefined;
  let image = '';
  const ptys: Pty[] = [];
  const env = () => ({ LLMOS_HOST: cluster.server.url, LLMOS_DATA_DIR: cluster.server.dataDir });
  const pty = (cmd: string) => {
    const p = new Pty(cmd, env());
    ptys.push(p);
    return p;
  };
  const cli = (args: string[], input?: string) => cluster.server.cli(args, { timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) } as never);
  const ok = async (args: string[]) => {
    const r = await cli(args);
    assert.equal(r.code, 0, `llmos ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    cluster = await startNetnsCluster(3, {
      beforeNodes: async (ip) => {
        reg = await startRegistry({ host: ip });
        image = (await pushBusyboxImage(reg, 'test/busybox-remote', { tag: '1', cmd: ['/bin/sh'] })).ref;
      },
      nodeModules: () => ({ images: { insecureRegistries: [reg!.host] } }),
    });
    await until('3 Ready, connected nodes', async () => {
      const n = (await nodesJson(cluster.server)) as Array<{ status: string; connected?: boolean }>;
      return n.length === 3 && n.every((x) => x.status === 'Ready' && x.connected);
    }, 60_000, 200);
  });

  after(async () => {
    for (const p of ptys) p.kill();
    try {
      await cluster?.stop();
    } finally {
      await reg?.stop();
    }
    if (cluster) assert.deepEqual(await cluster.leftovers(), []);
  });

  test('run -d --node N puts the container on node N; an unknown or cordoned node is refused in one line', async () => {
    for (const n of cluster.nodes) {
      const id = (await ok(['run', '-d', '--node', n.name, '--name', `c-${n.name}`, image, 'sh', '-c', 'echo started; exec sleep 100000'])).trim();
      assert.match(id, /^[0-9a-f]{64}$/);
    }
    const ps = JSON.parse(await ok(['ps', '--json'])) as Array<{ name: string; node?: string }>;
    for (const n of cluster.nodes) assert.equal(ps.find((c) => c.name === `c-${n.name}`)?.node, n.name);
    const onH2 = JSON.parse(await ok(['ps', '--json', '--node', 'h2'])) as Array<{ name: string }>;
    assert.deepEqual(onH2.map((c) => c.name), ['c-h2']);
    await until('c-h3 logs', async () => /started/.test(await ok(['logs', 'c-h3'])));

    const unknown = await cli(['run', '-d', '--node', 'nope', image, 'true']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr.trim().split('\n').length, 1, unknown.stderr);
    assert.match(unknown.stderr, /node nope/);
    await ok(['node', 'cordon', 'h1']);
    try {
      const cordoned = await cli(['run', '-d', '--node', 'h1', image, 'true']);
      assert.equal(cordoned.code, 1);
      assert.equal(cordoned.stderr.trim().split('\n').length, 1, cordoned.stderr);
      assert.match(cordoned.stderr, /node h1 is cordoned/);
    } finally {
      await ok(['node', 'uncordon', 'h1']);
    }
    assert.equal((JSON.parse(await ok(['ps', '-a', '--json', '--node', 'h1'])) as unknown[]).length, 1);
  });

  test('exec -i with a pipe into a container on another node: stdin in, stdout and stderr out, the exit code', async () => {
    const r = await cli(['exec', '-i', 'c-h2', 'sh', '-c', 'tr a-z A-Z; echo err >&2; exit 7'], 'hello from the server\n');
    assert.equal(r.stdout, 'HELLO FROM THE SERVER\n', r.stderr);
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.code, 7);
  });

  test('exec -it through a real pty into a container on another node: a TTY of the client\'s size, typed input, the exit code, detach keys', async () => {
    const t = pty(`stty rows 33 cols 77; ${llmosBin} exec -it c-h1 sh`);
    await t.expect(/# /);
    let m = t.mark();
    t.type('echo $((6*7)); tty\r');
    await t.expect(/42\r+\n\/dev\/pts\/\d+/, m);
    m = t.mark();
    t.type('stty size\r');
    await t.expect(/33 77/, m);
    t.type('exit 5\r');
    assert.equal(await t.exited, 5);

    // Detach keys: the exec'd shell stays until its container stops; the client returns 0.
    const d = pty(`${llmosBin} exec -it --detach-keys ctrl-x,y c-h3 sh -c 'echo marker-$((40+2)); exec sleep 4244'`);
    await d.expect(/marker-42/);
    await until('the exec\'d sleep runs on h3', async () => (await procs('sleep 4244')).length > 0);
    d.type('\x18y');
    assert.equal(await d.exited, 0);
  });

  test('run -it --node N: interactive on node N; ctrl-p ctrl-q detaches; attach reattaches, and the exit code comes back', async () => {
    const t = pty(`stty rows 20 cols 60; ${llmosBin} run -it --node h2 --name it-h2 ${image} sh`);
    await t.expect(/# /);
    let m = t.mark();
    t.type('echo on-$(hostname)-$((1+1)); stty size\r');
    await t.expect(/on-\S+-2\r+\n20 60/, m);
    t.type('\x10\x11');
    assert.equal(await t.exited, 0);
    const ps = JSON.parse(await ok(['ps', '--json'])) as Array<{ name: string; node?: string; state: string }>;
    assert.deepEqual(ps.filter((c) => c.name === 'it-h2').map((c) => [c.node, c.state]), [['h2', 'running']]);

    // The resize endpoint of a remote container (proxied through the tunnel).
    const rs = await api(cluster, 'POST', '/v1/containers/it-h2/resize', { rows: 25, cols: 90 });
    assert.equal(rs.status, 204, JSON.stringify(rs.body));
    // attach from a terminal of another size: the client's size reaches the container's TTY.
    const a = pty(`stty rows 30 cols 100; ${llmosBin} attach it-h2`);
    await until('attached', async () => (a.type('\r'), /# /.test(a.text)), 20_000, 300);
    m = a.mark();
    a.type('echo attached-$((1+1)); stty size\r');
    await a.expect(/attached-2\r+\n30 100/, m);
    a.type('exit 4\r');
    assert.equal(await a.exited, 4);
    await until('it-h2 exited', async () => (JSON.parse(await ok(['inspect', 'it-h2'])) as Array<{ state: string }>)[0]!.state === 'exited');
    await ok(['rm', 'it-h2']);
  });

  test('stats: every node\'s containers with a NODE column; one remote container by name; the API answers its node', async () => {
    const rows = JSON.parse(await ok(['stats', '--no-stream', '--json'])) as Array<{ name: string; node?: string; pids: number }>;
    for (const n of cluster.nodes) {
      const r = rows.find((x) => x.name === `c-${n.name}`);
      assert.equal(r?.node, n.name, JSON.stringify(rows));
      assert.ok(r.pids >= 1);
    }
    const table = await ok(['stats', '--no-stream']);
    assert.match(table.split('\n')[0]!, /NODE/);
    assert.match(table, /c-h3\s.*\sh3\s*$/m);
    const one = JSON.parse(await ok(['stats', '--no-stream', '--json', 'c-h2'])) as Array<{ name: string; node?: string }>;
    assert.deepEqual(one.map((r) => [r.name, r.node]), [['c-h2', 'h2']]);
    const a = await api<{ name: string; node?: string; memoryUsage: number }>(cluster, 'GET', '/v1/containers/c-h1/stats');
    assert.equal(a.status, 200);
    assert.equal(a.body.node, 'h1');
    assert.ok(a.body.memoryUsage > 0);
  });

  test('a client that disconnects mid-stream leaves no exec process on the node', async () => {
    const p = spawn(llmosBin, ['exec', '-i', 'c-h2', 'sleep', '4243'], { env: { ...process.env, ...env() }, stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      await until('the exec\'d sleep runs on h2', async () => (await procs('sleep 4243')).length > 0);
    } finally {
      p.kill('SIGKILL');
    }
    await until('no exec process left', async () => (await procs('sleep 4243')).length === 0, 20_000);
    // The container itself is untouched.
    assert.equal((JSON.parse(await ok(['inspect', 'c-h2'])) as Array<{ state: string }>)[0]!.state, 'running');
  });

  test('a node whose agent stops answering: 503 "node h3 is not connected" in one line, not a hang; it comes back', async () => {
    const h3 = cluster.nodes[2]!;
    process.kill(h3.proc!.pid!, 'SIGSTOP');
    try {
      await until('h3 not connected', async () => !((await nodesJson(cluster.server)) as Array<{ name: string; connected?: boolean }>).find((n) => n.name === 'h3')?.connected, 30_000, 200);
      const t0 = Date.now();
      const r = await api<{ error: string }>(cluster, 'GET', '/v1/containers/c-h3?node=h3');
      assert.equal(r.status, 503);
      assert.match(r.body.error, /node h3 is not connected/);
      const e = await cli(['exec', 'c-h3', 'true']);
      assert.equal(e.code, 1);
      assert.match(e.stderr, /node h3 is not connected/);
      assert.equal(e.stderr.trim().split('\n').length, 1, e.stderr);
      const it = await cli(['exec', '-i', 'c-h3', 'true'], '');
      assert.equal(it.code, 1);
      assert.match(it.stderr, /node h3 is not connected/);
      assert.ok(Date.now() - t0 < 30_000, 'answered without hanging');
      await until('h3 NotReady', async () => (await nodesJson(cluster.server)).find((n) => n.name === 'h3')?.status === 'NotReady', 30_000, 200);
      const nr = await cli(['run', '-d', '--node', 'h3', image, 'true']);
      assert.equal(nr.code, 1);
      assert.match(nr.stderr, /node h3 is NotReady/);
    } finally {
      process.kill(h3.proc!.pid!, 'SIGCONT');
    }
    await until('h3 back', async () => {
      const n = (await nodesJson(cluster.server)).find((x) => x.name === 'h3') as { status: string; connected?: boolean } | undefined;
      return n?.status === 'Ready' && !!n.connected;
    }, 60_000, 200).catch((e: Error) => {
      throw new Error(`${e.message}\nh3: ${h3.output().slice(-3000)}\nserver: ${cluster.server.output().slice(-3000)}`);
    });
    assert.match(await ok(['exec', 'c-h3', 'echo', 'back']), /^back$/m);
  });
});
