// [docker-api] cp, archives and images through the real docker CLI 20.10, dockerode and `llmos`
// against a test daemon's socket: copies both ways on running and stopped containers, a hostile
// container that tries to make cp read or write outside its root, docker save | load, podman's
// archives, push to a real registry, and pause/rename/update mapped onto the runtime.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { llmosBin, startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import { client, dockerBin, dockerSkip, socketOf } from './support.js';
import { makeTar, tarNames, type TarEntry } from './tar-util.js';

const havePodman = existsSync('/usr/bin/podman');

/** A raw request with a binary body on the socket. */
function put(sock: string, p: string, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method: 'PUT', path: p, headers: { 'content-type': 'application/x-tar', 'content-length': body.length } }, (res) => {
      let text = '';
      res.on('data', (b: Buffer) => (text += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('[docker-api] cp, archives, save/load, push, pause/rename/update', { skip: dockerSkip(), concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;
  let sock: string;
  let tmp: string;
  let hostDir: string;
  const docker = (...args: string[]) => client(dockerBin, args, sock);
  const bash = (cmd: string, input?: Buffer) => {
    try {
      return { code: 0, stdout: execFileSync('bash', ['-c', cmd], { input, env: { ...process.env, DOCKER_HOST: `unix://${sock}`, LLMOS_DATA_DIR: d.dataDir, LLMOS_HOST: d.host, LLMOS: llmosBin }, stdio: ['pipe', 'pipe', 'pipe'] }) };
    } catch (e) {
      const x = e as { status?: number; stdout?: Buffer; stderr?: Buffer };
      return { code: x.status ?? 1, stdout: x.stdout ?? Buffer.alloc(0), stderr: x.stderr?.toString() };
    }
  };

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/cp', { cmd: ['/bin/sh'], files: { '/etc/motd': 'hello\n', '/data/seed': 'seed\n' } })).ref;
    d = await startDaemon();
    sock = socketOf(d);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-cp-'));
    hostDir = path.join(tmp, 'host-only');
    await mkdir(hostDir);
    await writeFile(path.join(hostDir, 'secret'), 'host-secret\n');
    await writeFile(path.join(hostDir, 'target'), 'host-target\n');
    await writeFile(path.join(tmp, 'in.txt'), 'from-host\n');
    assert.equal((await docker('pull', image)).code, 0);
  });
  after(async () => {
    await d?.finish();
    await reg?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('docker cp and llmos cp copy both ways (files, directories, -, -a, -L) on running and stopped containers', async () => {
    assert.equal((await docker('run', '-d', '--name', 'cp1', image, 'sh', '-c', 'ln -s /etc/motd /tmp/lnk; exec sleep 600')).code, 0);
    const cat = async (p: string) => (await docker('exec', 'cp1', 'cat', p)).stdout;
    const into = await docker('cp', path.join(tmp, 'in.txt'), 'cp1:/tmp/');
    assert.equal(into.code, 0, into.stderr);
    assert.equal(await cat('/tmp/in.txt'), 'from-host\n');
    assert.equal((await docker('cp', path.join(tmp, 'in.txt'), 'cp1:/tmp/renamed.txt')).code, 0);
    assert.equal(await cat('/tmp/renamed.txt'), 'from-host\n');
    const out = await docker('cp', 'cp1:/etc/motd', path.join(tmp, 'motd'));
    assert.equal(out.code, 0, out.stderr);
    assert.equal(await readFile(path.join(tmp, 'motd'), 'utf8'), 'hello\n');
    assert.equal((await docker('cp', 'cp1:/data', path.join(tmp, 'data-out'))).code, 0);
    assert.equal(await readFile(path.join(tmp, 'data-out', 'seed'), 'utf8'), 'seed\n');
    const missing = await docker('cp', 'cp1:/no/such', path.join(tmp, 'x'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such container:path: cp1:\/no\/such|Could not find the file/);
    // -L follows the link (inside the container); without it the link itself is copied.
    assert.equal((await docker('cp', '-L', 'cp1:/tmp/lnk', path.join(tmp, 'lnk-followed'))).code, 0);
    assert.equal(await readFile(path.join(tmp, 'lnk-followed'), 'utf8'), 'hello\n');
    assert.equal((await docker('cp', 'cp1:/tmp/lnk', path.join(tmp, 'lnk-itself'))).code, 0);
    assert.ok(lstatSync(path.join(tmp, 'lnk-itself')).isSymbolicLink());

    // llmos cp: both ways, a new name, and `-` for a tar on stdout/stdin.
    const l1 = await d.cli(['cp', path.join(tmp, 'in.txt'), 'cp1:/root/x.txt']);
    assert.equal(l1.code, 0, l1.stderr);
    assert.equal(await cat('/root/x.txt'), 'from-host\n');
    assert.equal((await d.cli(['cp', 'cp1:/root/x.txt', path.join(tmp, 'x2')])).code, 0);
    assert.equal(await readFile(path.join(tmp, 'x2'), 'utf8'), 'from-host\n');
    const tarOut = bash(`$LLMOS cp cp1:/etc/motd -`);
    assert.equal(tarOut.code, 0, tarOut.stderr);
    assert.deepEqual(tarNames(tarOut.stdout), ['motd']);
    const owned: TarEntry[] = [{ name: 'own.txt', body: 'o', uid: 1234, gid: 4321 }];
    assert.equal(bash(`$LLMOS cp -a - cp1:/tmp`, makeTar(owned)).code, 0);
    assert.equal((await docker('exec', 'cp1', 'stat', '-c', '%u:%g', '/tmp/own.txt')).stdout.trim(), '1234:4321', '-a keeps the owners');
    assert.equal(bash(`$LLMOS cp - cp1:/root`, makeTar(owned)).code, 0);
    assert.equal((await docker('exec', 'cp1', 'stat', '-c', '%u:%g', '/root/own.txt')).stdout.trim(), '0:0', 'without -a the files are root\'s');
    const bad = await d.cli(['cp', 'cp1:/etc/motd', 'cp1:/tmp']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /between containers/);
    assert.equal((await d.cli(['cp', path.join(tmp, 'in.txt'), 'nope:/tmp'])).code, 1);

    // A stopped container: its root filesystem is still there.
    assert.equal((await docker('stop', '-t', '0', 'cp1')).code, 0);
    assert.equal((await d.cli(['cp', 'cp1:/tmp/in.txt', path.join(tmp, 'stopped.txt')])).code, 0);
    assert.equal(await readFile(path.join(tmp, 'stopped.txt'), 'utf8'), 'from-host\n');
    assert.equal((await docker('cp', path.join(tmp, 'in.txt'), 'cp1:/tmp/after-stop.txt')).code, 0);
    assert.equal((await docker('start', 'cp1')).code, 0);
    assert.equal(await cat('/tmp/after-stop.txt'), 'from-host\n');
    assert.equal((await docker('rm', '-f', 'cp1')).code, 0);
  });

  test('a hostile container cannot make cp read or write outside its root (links out, .., links through links)', async () => {
    const script = `mkdir -p ${hostDir} /d && ln -s ${hostDir} /escape && ln -s ../../../../../../../..${hostDir} /up && ln -s ${hostDir}/target /d/f && touch /ready && exec sleep 600`;
    assert.equal((await docker('run', '-d', '--name', 'evil', image, 'sh', '-c', script)).code, 0);
    await until('the links are made', async () => (await docker('exec', 'evil', 'ls', '/ready')).code === 0);
    // Reads: /escape and /up lead to the container's own (empty) copy of the path, never the host's.
    for (const src of ['evil:/escape/secret', 'evil:/up/secret']) {
      const r = await docker('cp', src, path.join(tmp, 'stolen'));
      assert.equal(r.code, 1, `${src}: ${r.stdout} ${r.stderr}`);
      assert.ok(!existsSync(path.join(tmp, 'stolen')), `${src} read the host's file`);
      assert.equal((await d.cli(['cp', src, path.join(tmp, 'stolen')])).code, 1);
      assert.ok(!existsSync(path.join(tmp, 'stolen')));
    }
    const followed = await d.cli(['cp', '-L', 'evil:/escape', path.join(tmp, 'followed')]);
    assert.equal(followed.code, 0, followed.stderr);
    assert.ok(!existsSync(path.join(tmp, 'followed', 'secret')), '-L follows the link inside the root only');
    const asLink = bash(`$LLMOS cp evil:/escape -`);
    assert.deepEqual(tarNames(asLink.stdout), ['escape'], 'the link itself, not what it points to on the host');
    // Writes through the links land inside the container.
    assert.equal((await docker('cp', path.join(tmp, 'in.txt'), 'evil:/escape/pwn')).code, 0);
    assert.ok(!existsSync(path.join(hostDir, 'pwn')), 'written on the host through /escape');
    assert.equal((await docker('exec', 'evil', 'cat', `${hostDir}/pwn`)).stdout, 'from-host\n');
    assert.equal((await d.cli(['cp', path.join(tmp, 'in.txt'), 'evil:/up/pwn2'])).code, 0);
    assert.ok(!existsSync(path.join(hostDir, 'pwn2')));
    // A file over an existing link replaces the link, never writes where it points.
    assert.equal((await docker('cp', path.join(tmp, 'in.txt'), 'evil:/d/f')).code, 0);
    assert.equal(readFileSync(path.join(hostDir, 'target'), 'utf8'), 'host-target\n');
    assert.equal((await docker('exec', 'evil', 'cat', '/d/f')).stdout, 'from-host\n');
    // Hostile archives straight to the endpoint: each a 400, nothing on the host.
    const attacks: Array<[string, TarEntry[], string]> = [
      ['dot-dot', [{ name: `../../../../../../../..${hostDir}/dotdot`, body: 'x' }], 'dotdot'],
      ['through a new link', [{ name: 'lnk', type: 'symlink', linkname: hostDir }, { name: 'lnk/through', body: 'x' }], 'through'],
      ['through an existing link', [{ name: 'escape/existing', body: 'x' }], 'existing'],
      ['a hard link through a link', [{ name: 'hl', type: 'hardlink', linkname: 'escape/secret' }], 'hl'],
    ];
    for (const [what, entries, leaf] of attacks) {
      const r = await put(sock, '/v1.41/containers/evil/archive?path=/', makeTar(entries));
      assert.equal(r.status, 400, `${what}: ${r.status} ${r.body}`);
      assert.ok(JSON.parse(r.body).message, what);
      assert.ok(!existsSync(path.join(hostDir, leaf)), `${what} wrote on the host`);
    }
    assert.equal(statSync(path.join(hostDir, 'secret')).nlink, 1, 'no hard link to the host file was made');
    assert.notEqual((await docker('exec', 'evil', 'cat', '/hl')).stdout, 'host-secret\n');
    assert.equal((await put(sock, '/v1.41/containers/evil/archive?path=/etc/motd', makeTar([{ name: 'a', body: 'x' }]))).status, 400, 'not a directory');
    assert.equal((await put(sock, '/v1.41/containers/evil/archive?path=/nope', makeTar([{ name: 'a', body: 'x' }]))).status, 404);
    assert.equal((await docker('exec', 'evil', 'true')).code, 0, 'the container runs again after the frozen copy');
    assert.equal((await docker('rm', '-f', 'evil')).code, 0);
  });

  test('dockerode getArchive, putArchive and infoArchive', async () => {
    const dk = new Docker({ socketPath: sock });
    const c = await dk.createContainer({ Image: image, Cmd: ['sleep', '600'], name: 'dode' });
    await c.start();
    await c.putArchive(makeTar([{ name: 'dode.txt', body: 'via dockerode' }]), { path: '/tmp' });
    const statOf = async (p: string) => {
      const res = (await c.infoArchive({ path: p })) as unknown as http.IncomingMessage;
      res.resume();
      return JSON.parse(Buffer.from(String(res.headers['x-docker-container-path-stat']), 'base64').toString()) as { name: string; size: number; mode: number };
    };
    const info = await statOf('/tmp/dode.txt');
    assert.equal(info.name, 'dode.txt');
    assert.equal(info.size, 13);
    const dirInfo = await statOf('/tmp');
    assert.ok(dirInfo.mode >= 2 ** 31, 'a directory has Go\'s ModeDir bit');
    const stream = (await c.getArchive({ path: '/tmp/dode.txt' })) as unknown as NodeJS.ReadableStream;
    const chunks: Buffer[] = [];
    for await (const ch of stream) chunks.push(ch as Buffer);
    assert.deepEqual(tarNames(Buffer.concat(chunks)), ['dode.txt']);
    await c.remove({ force: true });
  });

  test('docker save | docker load round-trips; llmos save/load; podman\'s docker and OCI archives load', async () => {
    await d.removeContainers(); // an image in use cannot be removed and loaded again
    const file = path.join(tmp, 'saved.tar');
    const s = await docker('save', '-o', file, image);
    assert.equal(s.code, 0, s.stderr);
    const names = tarNames(readFileSync(file));
    for (const n of ['manifest.json', 'repositories']) assert.ok(names.includes(n), names.join(' '));
    assert.ok(names.some((n) => /^[0-9a-f]{64}\/layer\.tar$/.test(n)), names.join(' '));
    const rmi = await docker('rmi', image);
    assert.equal(rmi.code, 0, rmi.stderr);
    const l = await docker('load', '-i', file);
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, new RegExp(`Loaded image: ${image.replace(/[.]/g, '\\.')}`));
    const piped = bash(`docker save ${image} | docker load`);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal((await docker('run', '--rm', image, 'cat', '/etc/motd')).stdout, 'hello\n');
    const ls = await d.cli(['save', '-o', path.join(tmp, 'llmos.tar'), image]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal((await d.cli(['rmi', image])).code, 0);
    const ll = await d.cli(['load', '-i', path.join(tmp, 'llmos.tar')]);
    assert.equal(ll.code, 0, ll.stderr);
    assert.match(ll.stdout, /Loaded image/);
    assert.equal((await d.cli(['save', 'no/such:image'])).code, 1);
    if (!havePodman) return;
    const proot = path.join(tmp, 'podman');
    const podman = (args: string) => execFileSync('bash', ['-c', `podman --root ${proot}/root --runroot ${proot}/run --storage-driver vfs ${args}`], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    try {
      podman(`pull -q --tls-verify=false ${image}`);
      podman(`save --format docker-archive -o ${tmp}/podman-docker.tar ${image}`);
      podman(`save --format oci-archive -o ${tmp}/podman-oci.tar ${image}`);
      // And podman reads ours.
      podman(`load -q -i ${file}`);
    } finally {
      execFileSync('bash', ['-c', `podman --root ${proot}/root --runroot ${proot}/run --storage-driver vfs rmi -af >/dev/null 2>&1; umount -R ${proot}/root 2>/dev/null; true`]);
    }
    for (const f of ['podman-docker.tar', 'podman-oci.tar']) {
      await docker('rmi', image);
      const r = await docker('load', '-i', path.join(tmp, f));
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
      const run = await docker('run', '--rm', image, 'cat', '/etc/motd');
      assert.equal(run.stdout, 'hello\n', `${f}: ${run.stderr}`);
    }
  });

  test('docker push to a real registry with progress; pause, unpause, rename and update map onto the runtime', async () => {
    const t = `${reg.host}/test/pushed:1`;
    assert.equal((await docker('tag', image, t)).code, 0);
    const p = await docker('push', t);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /The push refers to repository/);
    assert.match(p.stdout, /digest: sha256:[0-9a-f]{64}/);
    const m = await fetch(`${reg.url}/v2/test/pushed/manifests/1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(m.status, 200, 'the registry has the pushed manifest');
    assert.equal((await docker('run', '-d', '--name', 'ctl', image, 'sleep', '600')).code, 0);
    assert.equal((await docker('pause', 'ctl')).code, 0);
    assert.equal((await docker('inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'ctl')).stdout.trim(), 'paused true');
    assert.equal((await docker('pause', 'ctl')).code, 1, 'already paused');
    assert.equal((await docker('unpause', 'ctl')).code, 0);
    assert.equal((await docker('inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'ctl')).stdout.trim(), 'running false');
    assert.equal((await docker('rename', 'ctl', 'ctl2')).code, 0);
    assert.match((await d.cli(['ps'])).stdout, /ctl2/);
    const u = await docker('update', '--memory', '96m', '--cpus', '0.5', 'ctl2');
    assert.equal(u.code, 0, u.stderr);
    assert.equal((await docker('inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}', 'ctl2')).stdout.trim(), `${96 * 2 ** 20} 500000000`);
    const bad = await docker('update', '--blkio-weight', '300', 'ctl2');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /BlkioWeight is not supported by LLMOS/);
    assert.equal((await docker('rm', '-f', 'ctl2')).code, 0);
  });
});
