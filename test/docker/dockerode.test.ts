// [docker-api] dockerode (npm, the Docker client of Node tools) on the LLMOS socket: the calls
// such tools make, each checked by its real outcome (traffic on the published port, the cgroup,
// the container's own view, the files copied), with real runc, conmon, CNI and a local registry.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type http from 'node:http';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import { client, dockerBin, dockerSkip, raw, socketOf } from './support.js';
import { makeTar, tarNames } from './tar-util.js';

/** Docker's multiplexed stream (8-byte headers: stream 1 stdout, 2 stderr, then the length). */
export function demux(b: Buffer): { stdout: string; stderr: string } {
  const out: Record<number, Buffer[]> = { 1: [], 2: [] };
  for (let i = 0; i + 8 <= b.length; ) {
    const n = b.readUInt32BE(i + 4);
    out[b[i]!]?.push(b.subarray(i + 8, i + 8 + n));
    i += 8 + n;
  }
  return { stdout: Buffer.concat(out[1]!).toString(), stderr: Buffer.concat(out[2]!).toString() };
}

const drain = (s: Readable): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (b: Buffer) => parts.push(b));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });

/** The first `n` JSON lines of a stream, then the stream is closed (stats and events stream forever). */
function firstJson<T>(s: Readable, n: number): Promise<T[]> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const got: T[] = [];
    s.on('data', (b: Buffer) => {
      buf += b.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) got.push(JSON.parse(line) as T);
        if (got.length === n) {
          s.destroy();
          resolve(got);
          return;
        }
      }
    });
    s.on('error', reject);
    s.on('end', () => resolve(got));
  });
}

interface Stats {
  memory_stats: { limit: number };
  cpu_stats: { cpu_usage: { total_usage: number } };
  pids_stats: { current: number };
}
interface Event {
  Type: string;
  Action: string;
  Actor?: { Attributes?: Record<string, string> };
}

describe('[docker-api] dockerode on the LLMOS socket', { skip: dockerSkip(), concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  let dk: Docker;

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/dockerode', { cmd: ['/bin/sh'], env: ['PATH=/bin'], exposedPorts: ['8080/tcp'] })).ref;
    d = await startDaemon();
    dk = new Docker({ socketPath: socketOf(d) });
  });
  after(async () => {
    await d?.finish();
    await reg?.stop();
  });

  test('images: pull with progress, list with a filter, inspect, tag, remove; a missing image is a 404', async () => {
    await assert.rejects(dk.createContainer({ Image: image }), (e: { statusCode?: number; message?: string }) => e.statusCode === 404 && /No such image/.test(String(e.message)), 'create never pulls (as dockerd): the client does');
    const progress = await new Promise<Array<{ status?: string }>>((resolve, reject) =>
      dk.pull(image, {}, (err: unknown, stream?: NodeJS.ReadableStream) => {
        if (err || !stream) return reject(err);
        dk.modem.followProgress(stream, (e: unknown, out: Array<{ status?: string }>) => (e ? reject(e) : resolve(out)));
      }),
    );
    assert.ok(progress.some((p) => /^Digest: sha256:/.test(p.status ?? '')), JSON.stringify(progress));
    const listed = await dk.listImages({ filters: JSON.stringify({ reference: [image] }) });
    assert.equal(listed.length, 1);
    assert.deepEqual(listed[0]!.RepoTags, [image]);
    const ins = await dk.getImage(image).inspect();
    assert.deepEqual([ins.Os, ins.Architecture, ins.Config.Cmd], ['linux', 'amd64', ['/bin/sh']]);
    assert.deepEqual(Object.keys(ins.Config.ExposedPorts ?? {}), ['8080/tcp']);
    await dk.getImage(image).tag({ repo: `${reg.host}/test/dockerode-tag`, tag: 'v2' });
    assert.equal((await dk.listImages({ filters: JSON.stringify({ reference: [`${reg.host}/test/dockerode-tag:v2`] }) })).length, 1);
    const removed = (await dk.getImage(`${reg.host}/test/dockerode-tag:v2`).remove()) as Array<{ Untagged?: string }>;
    assert.ok(removed.some((r) => r.Untagged?.includes('dockerode-tag:v2')), JSON.stringify(removed));
    await assert.rejects(dk.getImage(`${reg.host}/no/such:x`).inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
  });

  test('containers: create with HostConfig, start, inspect, list with filters, top, logs (multiplexed), stats stream, exec, restart, stop, kill, wait, remove', async () => {
    const c = await dk.createContainer({
      Image: image,
      name: 'dko',
      Cmd: ['sh', '-c', 'echo out; echo err >&2; ulimit -n; grep CapBnd /proc/self/status; ls -d /scr; exec httpd -f -p 8080 -h /etc'],
      Env: ['A=1'],
      Labels: { via: 'dockerode' },
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: { Memory: 32 * 2 ** 20, PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, CapDrop: ['ALL'], CapAdd: ['NET_BIND_SERVICE'], Ulimits: [{ Name: 'nofile', Soft: 256, Hard: 512 }], Tmpfs: { '/scr': 'size=1m' }, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } },
    });
    await c.start();
    const info = await c.inspect();
    assert.deepEqual([info.Name, info.State.Running, info.HostConfig.Memory, info.HostConfig.RestartPolicy?.Name], ['/dko', true, 32 * 2 ** 20, 'on-failure']);
    const hostPort = info.NetworkSettings.Ports['8080/tcp']![0]!.HostPort;
    // Traffic through the published port reaches the container.
    assert.match(await until('http', () => fetch(`http://127.0.0.1:${hostPort}/passwd`).then((r) => r.text(), () => undefined)), /^root:x:0:0/);
    assert.deepEqual((await dk.listContainers({ filters: JSON.stringify({ label: ['via=dockerode'], status: ['running'] }) })).map((x) => x.Names[0]), ['/dko']);
    assert.deepEqual(await dk.listContainers({ all: true, filters: JSON.stringify({ name: ['nomatch'] }) }), []);
    const top = await c.top();
    assert.ok(top.Titles.includes('PID'));
    assert.ok(top.Processes.some((p: string[]) => p.join(' ').includes('httpd -f -p 8080')), JSON.stringify(top));
    // The container's own view of its HostConfig: the ulimit, the capability (bit 10) and the tmpfs.
    const logs = await until('logs', async () => {
      const l = demux((await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
      return l.stdout.includes('/scr') && l;
    });
    assert.equal(logs.stdout, 'out\n256\nCapBnd:\t0000000000000400\n/scr\n');
    assert.equal(logs.stderr, 'err\n');
    const stats = await firstJson<Stats>((await c.stats({ stream: true })) as unknown as Readable, 2);
    assert.equal(stats.length, 2, 'a stream: one object a second');
    assert.equal(stats[1]!.memory_stats.limit, 32 * 2 ** 20);
    assert.ok(stats[1]!.cpu_stats.cpu_usage.total_usage > 0);
    assert.ok(stats[1]!.pids_stats.current >= 1);
    const once = (await c.stats({ stream: false })) as unknown as { memory_stats: { usage: number } };
    assert.ok(once.memory_stats.usage > 0);
    const ex = await c.exec({ Cmd: ['sh', '-c', 'echo "$A $(id -u) $(pwd)"'], AttachStdout: true, AttachStderr: true, User: 'nobody', WorkingDir: '/tmp' });
    const exOut = demux(await drain((await ex.start({ hijack: true, stdin: false })) as unknown as Readable));
    assert.equal(exOut.stdout, '1 65534 /tmp\n', exOut.stderr);
    assert.equal((await ex.inspect()).ExitCode, 0);
    const startedAt = info.State.StartedAt;
    await c.restart({ t: 1 });
    const again = await c.inspect();
    assert.equal(again.State.Running, true);
    assert.notEqual(again.State.StartedAt, startedAt);
    await c.stop({ t: 1 });
    assert.equal((await c.inspect()).State.Status, 'exited');
    await assert.rejects(c.kill(), (e: { statusCode?: number }) => e.statusCode === 409, 'kill of a stopped container');
    await c.start();
    const waited = c.wait();
    await c.kill({ signal: 'KILL' });
    assert.equal((await waited).StatusCode, 137);
    const removed = c.wait({ condition: 'removed' });
    await c.remove();
    assert.equal((await removed).StatusCode, 137);
    await assert.rejects(c.inspect(), (e: { statusCode?: number; message?: string }) => e.statusCode === 404 && /No such container/.test(String(e.message)));
    await assert.rejects(dk.createContainer({ Image: image, HostConfig: { OomScoreAdj: 500 } }), (e: { statusCode?: number; message?: string }) => e.statusCode === 400 && /OomScoreAdj is not supported/.test(String(e.message)));
  });

  test('attach before start: a container the client starts late still sends all its output (docker run under load printed nothing)', async () => {
    await new Promise<void>((resolve, reject) => dk.pull(image, {}, (err: unknown, s?: NodeJS.ReadableStream) => (err || !s ? reject(err) : dk.modem.followProgress(s, (e: unknown) => (e ? reject(e) : resolve())))));
    const c = await dk.createContainer({ Image: image, Cmd: ['sh', '-c', 'echo late-start; echo err >&2'] });
    const stream = (await c.attach({ stream: true, stdout: true, stderr: true, hijack: true })) as unknown as Readable;
    const got = drain(stream);
    // The fault is time: the docker CLI starts a container only after the attach answer, and a
    // loaded machine delays that start; the log follower gave up on a not-yet-started container after ~40 ms.
    await new Promise((r) => setTimeout(r, 500));
    await c.start();
    assert.deepEqual(demux(await got), { stdout: 'late-start\n', stderr: 'err\n' });
    await c.remove();
  });

  test('archive: putArchive writes into the container, getArchive and infoArchive read it back', async () => {
    const c = await dk.createContainer({ Image: image, Cmd: ['sleep', '300'], name: 'arch' });
    await c.start();
    await c.putArchive(makeTar([{ name: 'dir/hello.txt', body: 'from dockerode\n' }, { name: 'dir', type: 'dir' }]), { path: '/tmp' });
    const ex = await c.exec({ Cmd: ['cat', '/tmp/dir/hello.txt'], AttachStdout: true });
    assert.equal(demux(await drain((await ex.start({ hijack: true, stdin: false })) as unknown as Readable)).stdout, 'from dockerode\n');
    const tar = await drain((await c.getArchive({ path: '/tmp/dir' })) as unknown as Readable);
    assert.deepEqual(tarNames(tar).sort(), ['dir/', 'dir/hello.txt']);
    assert.equal(execFileSync('tar', ['-xOf', '-', 'dir/hello.txt'], { input: tar }).toString(), 'from dockerode\n');
    // infoArchive answers the HEAD: the stat is in Docker's header, base64 JSON.
    const res = (await c.infoArchive({ path: '/tmp/dir/hello.txt' })) as unknown as http.IncomingMessage;
    res.resume();
    const stat = JSON.parse(Buffer.from(String(res.headers['x-docker-container-path-stat']), 'base64').toString()) as { name: string; size: number };
    assert.deepEqual([stat.name, stat.size], ['hello.txt', 15]);
    await c.remove({ force: true });
  });

  test('volumes and networks: create, list, inspect, use, refuse removal in use, remove, prune', async () => {
    await dk.createVolume({ Name: 'dkv', Labels: { team: 'a' } });
    assert.ok((await dk.listVolumes()).Volumes.some((v) => v.Name === 'dkv'));
    assert.deepEqual((await dk.getVolume('dkv').inspect()).Labels, { team: 'a' });
    const net = await dk.createNetwork({ Name: 'dknet', Driver: 'bridge' });
    const ni = await net.inspect();
    assert.equal(ni.Name, 'dknet');
    assert.match(String(ni.IPAM?.Config?.[0]?.Subnet), /^\d+\.\d+\.\d+\.\d+\/\d+$/);
    assert.ok((await dk.listNetworks({ filters: JSON.stringify({ name: ['dknet'] }) })).some((n) => n.Name === 'dknet'));
    const srv = await dk.createContainer({ Image: image, name: 'dksrv', Cmd: ['sh', '-c', 'echo kept > /data/v; sleep 300'], HostConfig: { Binds: ['dkv:/data'], NetworkMode: 'dknet' }, NetworkingConfig: { EndpointsConfig: { dknet: { Aliases: ['store'] } } } });
    await srv.start();
    const cli = await dk.createContainer({ Image: image, name: 'dkcli', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'dknet' } });
    await cli.start();
    const srvIp = (await srv.inspect()).NetworkSettings.Networks.dknet!.IPAddress;
    const resolved = await until('the alias resolves on the network', async () => {
      const ex = await cli.exec({ Cmd: ['nslookup', 'store'], AttachStdout: true, AttachStderr: true });
      const o = demux(await drain((await ex.start({ hijack: true, stdin: false })) as unknown as Readable)).stdout;
      return o.includes(srvIp) && o;
    });
    assert.ok(resolved.includes(srvIp));
    await assert.rejects(dk.getVolume('dkv').remove(), (e: { statusCode?: number }) => e.statusCode === 409, 'in use');
    await assert.rejects(net.remove(), (e: { statusCode?: number }) => e.statusCode === 403, 'containers attached');
    await srv.remove({ force: true });
    await cli.remove({ force: true });
    const mp = (await dk.getVolume('dkv').inspect()).Mountpoint;
    assert.equal(execFileSync('cat', [`${mp}/v`]).toString(), 'kept\n', 'the data outlived the container');
    await net.remove();
    await dk.createVolume({ Name: 'dkspare' });
    const pruned = (await dk.pruneVolumes()) as { VolumesDeleted: string[] };
    assert.deepEqual(pruned.VolumesDeleted.sort(), ['dkspare', 'dkv']);
    assert.deepEqual((await dk.listVolumes()).Volumes, []);
  });

  test('an endpoint LLMOS does not serve answers 501 naming it (raw requests, dockerode and the docker CLI), never a silent success', async () => {
    const sock = socketOf(d);
    const c = await dk.createContainer({ Image: image, name: 'nosvc', Cmd: ['sleep', '300'] });
    const cases: Array<[string, string, RegExp]> = [
      ['GET', `/v1.41/images/${encodeURIComponent(image)}/history`, /docker history .* is not implemented by LLMOS/],
      ['GET', '/v1.41/containers/nosvc/export', /docker export is not implemented by LLMOS/],
      ['GET', '/v1.41/containers/nosvc/changes', /docker diff is not implemented by LLMOS/],
      ['POST', '/v1.41/commit?container=nosvc', /docker commit is not implemented by LLMOS/],
      ['POST', '/v1.41/build', /docker build is not implemented by LLMOS/],
      ['POST', '/v1.41/build/prune', /POST \/build\/prune is not implemented by LLMOS/],
      ['GET', '/v1.41/system/df', /docker system df is not implemented by LLMOS/],
      ['GET', '/v1.41/images/search?term=x', /images\/search is not implemented by LLMOS/],
      ['POST', '/v1.41/images/create?fromSrc=-&repo=x', /image import .* is not implemented by LLMOS/],
      ['GET', '/v1.41/containers/nosvc/attach/ws', /GET \/containers\/nosvc\/attach\/ws is not implemented by LLMOS/],
      ['GET', '/v1.41/distribution/x/json', /distribution is not implemented by LLMOS/],
    ];
    for (const [method, p, re] of cases) {
      const r = await raw(sock, method, p);
      assert.equal(r.status, 501, `${method} ${p}: ${r.status} ${r.body}`);
      assert.match(JSON.parse(r.body).message, re, `${method} ${p}`);
    }
    await assert.rejects(c.export(), (e: { statusCode?: number }) => e.statusCode === 501);
    await assert.rejects(dk.getImage(image).history(), (e: { statusCode?: number }) => e.statusCode === 501);
    for (const args of [['history', image], ['export', 'nosvc'], ['diff', 'nosvc'], ['system', 'df'], ['commit', 'nosvc']]) {
      const r = await client(dockerBin, args, sock);
      assert.equal(r.code, 1, `docker ${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, /is not implemented by LLMOS/, `docker ${args.join(' ')}`);
    }
    await c.remove({ force: true });
  });

  test('events: create, start, die and destroy of a container, with since/until and a filter', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const c = await dk.createContainer({ Image: image, name: 'evd', Cmd: ['true'] });
    const w = c.wait({ condition: 'next-exit' });
    await c.start();
    await w;
    await c.remove();
    const until2 = Math.ceil(Date.now() / 1000) + 1;
    const evs = await firstJson<Event>((await dk.getEvents({ since, until: until2, filters: JSON.stringify({ container: ['evd'] }) })) as unknown as Readable, 100);
    const actions = evs.map((e) => `${e.Type} ${e.Action}`);
    for (const a of ['container create', 'container start', 'container die', 'container destroy']) assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
    assert.ok(evs.every((e) => e.Actor?.Attributes?.name === 'evd'), 'only the filtered container');
  });
});
