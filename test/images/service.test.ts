// The images service in-process against a real docker-registry: bearer-token auth with a token
// server written here, a multi-platform index, a corrupted blob, a transfer cut off halfway,
// zstd layers, whiteouts, overlayfs and copied root filesystems, and garbage collection.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSign, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, open, readFile, readdir, rm, stat, writeFile, access } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sha256 } from '../../src/modules/images/blob-store.js';
import { mountsUnder } from '../../src/modules/images/rootfs.js';
import { MT } from '../../src/modules/images/media-types.js';
import { parseRef } from '../../src/modules/images/reference.js';
import { imagesService, type TestImages, type TestImagesOptions } from './archive-fixture.js';
import { freePort, pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';

const run = promisify(execFile);
const skip = registrySkipReason();
let tmp: string;
let reg: TestRegistry;

/** The service the tests drive: the shared fixture, resuming transfers as the module does by default. */
const newService = (opts: TestImagesOptions = {}): Promise<TestImages> => imagesService(tmp, { retries: 3, ...opts });

before(async () => {
  if (skip) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-images-svc-'));
  reg = await startRegistry();
});

after(async () => {
  if (skip) return;
  await reg?.stop();
  await rm(tmp, { recursive: true, force: true });
});

test('bearer token auth: the realm/service/scope challenge is answered from a token server', { skip }, async () => {
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(tmp, 'key.pem'), '-out', path.join(tmp, 'cert.pem'), '-days', '1', '-subj', '/CN=llmos-test-token']);
  const key = await readFile(path.join(tmp, 'key.pem'), 'utf8');
  const certDer = (await readFile(path.join(tmp, 'cert.pem'), 'utf8')).replace(/-----[^-]+-----|\s/g, '');
  const scopes: string[] = [];
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const tokens = http.createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    const auth = req.headers.authorization ?? '';
    if (auth !== `Basic ${Buffer.from('bob:hunter2').toString('base64')}`) {
      res.writeHead(401).end();
      return;
    }
    const scope = u.searchParams.get('scope') ?? '';
    scopes.push(scope);
    const [, name, actions] = scope.split(':');
    const now = Math.floor(Date.now() / 1000);
    const head = b64({ alg: 'RS256', typ: 'JWT', x5c: [certDer] });
    const claims = b64({ iss: 'llmos-test', sub: 'bob', aud: u.searchParams.get('service'), exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access: name ? [{ type: 'repository', name, actions: actions!.split(',') }] : [] });
    const sig = createSign('RSA-SHA256').update(`${head}.${claims}`).sign(key).toString('base64url');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${head}.${claims}.${sig}` }));
  });
  const port = await freePort();
  await new Promise<void>((r) => tokens.listen(port, '127.0.0.1', r));
  const treg = await startRegistry({ auth: { token: { realm: `http://127.0.0.1:${port}/token`, service: 'llmos-test-registry', issuer: 'llmos-test', certFile: path.join(tmp, 'cert.pem') } } });
  const s = await newService({ creds: { username: 'bob', password: 'hunter2' } });
  const anon = await newService();
  try {
    treg.creds = 'bob:hunter2';
    const pushed = await pushBusyboxImage(treg, 'secure/app', { cmd: ['id'] });
    const img = await s.svc.pull(pushed.ref);
    assert.equal(img.digest, pushed.digest);
    assert.ok(scopes.includes('repository:secure/app:pull'), `token requested with the pull scope (${scopes.join(' ')})`);
    await assert.rejects(anon.svc.pull(pushed.ref), /token server .* refused anonymous access/);
  } finally {
    await s.close();
    await anon.close();
    await treg.stop();
    tokens.close();
  }
});

test('multi-platform index: default linux/amd64, or the requested platform', { skip }, async () => {
  const amd = await pushBusyboxImage(reg, 'multi', { tag: 'amd', cmd: ['amd'] });
  const arm = await pushBusyboxImage(reg, 'multi', { tag: 'arm', cmd: ['arm'], architecture: 'arm64' });
  const size = async (d: string) => (await (await fetch(`${reg.url}/v2/multi/manifests/${d}`, { headers: { accept: MT.ociManifest } })).arrayBuffer()).byteLength;
  const index = {
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests: [
      { mediaType: MT.ociManifest, digest: arm.digest, size: await size(arm.digest), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: MT.ociManifest, digest: amd.digest, size: await size(amd.digest), platform: { os: 'linux', architecture: 'amd64' } },
    ],
  };
  const put = await fetch(`${reg.url}/v2/multi/manifests/latest`, { method: 'PUT', headers: { 'content-type': MT.ociIndex }, body: JSON.stringify(index) });
  assert.equal(put.status, 201, await put.text());
  const s = await newService();
  try {
    const def = await s.svc.pull(`${reg.host}/multi:latest`);
    assert.deepEqual([def.digest, def.platform.architecture, def.config.cmd], [amd.digest, 'amd64', ['amd']]);
    const a = await s.svc.pull(`${reg.host}/multi:latest`, { platform: 'linux/arm64' });
    assert.deepEqual([a.digest, a.platform.architecture, a.config.cmd], [arm.digest, 'arm64', ['arm']]);
    await assert.rejects(s.svc.pull(`${reg.host}/multi:latest`, { platform: 'linux/riscv64' }), /no image for platform linux\/riscv64/);
  } finally {
    await s.close();
  }
});

test('a corrupted blob is rejected and nothing of it is stored', { skip }, async () => {
  const creg = await startRegistry();
  const s = await newService();
  try {
    const pushed = await pushBusyboxImage(creg, 'corrupt', {});
    const manifest = (await (await fetch(`${creg.url}/v2/corrupt/manifests/latest`, { headers: { accept: MT.ociManifest } })).json()) as { layers: Array<{ digest: string }> };
    const layer = manifest.layers[0]!.digest.slice(7);
    const data = path.join(creg.storage, 'docker/registry/v2/blobs/sha256', layer.slice(0, 2), layer, 'data');
    const fh = await open(data, 'r+');
    await fh.write(Buffer.from('CORRUPTED!'), 0, 10, 5000);
    await fh.close();
    // gzip's own check or the digest check fires first, depending on where the damage is.
    await assert.rejects(s.svc.pull(pushed.ref), /layer sha256:[a-f0-9]+ is corrupt|blob sha256:[a-f0-9]+ .* is corrupt/);
    assert.equal(await s.svc.blobs.has(`sha256:${layer}`), false);
    assert.deepEqual(await readdir(s.svc.blobs.ingestDir), []);
    assert.deepEqual(await readdir(s.svc.snapshots.root), []);
    assert.deepEqual(await s.svc.list(), []);
    assert.deepEqual(await s.svc.blobs.list(), []);
  } finally {
    await s.close();
    await creg.stop();
  }
});

test('a hostile image (symlink planted in one layer, written through in the next) is rejected, nothing kept', { skip }, async () => {
  const s = await newService();
  try {
    const { makeTar } = await import('../../src/modules/images/tar-fixture.test-util.js');
    const l1 = makeTar([{ path: 'etc', type: 'SymbolicLink', linkpath: '/' }]);
    const l2 = makeTar([{ path: 'etc/passwd', body: 'root::0:0::/:/bin/sh\n' }]);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(l1), sha256(l2)] } }));
    const ref = parseRef(`${reg.host}/hostile:1`);
    for (const b of [l1, l2, config]) await s.svc.client.uploadBlob(ref, sha256(b), b.length, () => b);
    const man = { schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: sha256(config), size: config.length }, layers: [l1, l2].map((l) => ({ mediaType: MT.ociLayer, digest: sha256(l), size: l.length })) };
    await s.svc.client.putManifest(ref, '1', Buffer.from(JSON.stringify(man)), MT.ociManifest);
    await assert.rejects(s.svc.pull(`${reg.host}/hostile:1`), /lower layer made a symlink/);
    assert.deepEqual(await s.svc.list(), []);
    assert.deepEqual(await s.svc.snapshots.list(), []);
    assert.deepEqual((await readdir(s.svc.snapshots.root)).filter((n) => n.startsWith('.tmp')), []);
    assert.deepEqual(await s.svc.blobs.list(), []);
    assert.doesNotMatch(await readFile('/etc/passwd', 'utf8'), /^root::0:0::\/:\/bin\/sh$/m, 'the host file is untouched');
  } finally {
    await s.close();
  }
});

test('the same blob twice in one image (an empty layer repeated) is fetched once and unpacked at both places', { skip }, async () => {
  const s = await newService();
  try {
    const { makeTar } = await import('../../src/modules/images/tar-fixture.test-util.js');
    const { gzipSync } = await import('node:zlib');
    const emptyTar = makeTar([]);
    const empty = gzipSync(emptyTar);
    const files = makeTar([{ path: 'a.txt', body: 'A' }]);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(emptyTar), sha256(files), sha256(emptyTar)] } }));
    const ref = parseRef(`${reg.host}/dup:1`);
    for (const b of [empty, files, config]) await s.svc.client.uploadBlob(ref, sha256(b), b.length, () => b);
    const man = { schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: sha256(config), size: config.length }, layers: [empty, files, empty].map((l, i) => ({ mediaType: i === 1 ? MT.ociLayer : MT.ociLayerGzip, digest: sha256(l), size: l.length })) };
    await s.svc.client.putManifest(ref, '1', Buffer.from(JSON.stringify(man)), MT.ociManifest);
    const statuses: string[] = [];
    const img = await s.svc.pull(`${reg.host}/dup:1`, { onProgress: (p) => p.layer === sha256(empty) && statuses.push(p.status) });
    assert.equal(img.layers.length, 3);
    assert.equal((await s.svc.snapshots.list()).length, 3);
    assert.equal(statuses.filter((x) => x === 'downloading').length, 1, `one download of the shared blob (${statuses.join(' ')})`);
    const r = await s.svc.createRootfs(`${reg.host}/dup:1`, 'dup');
    assert.equal(await readFile(path.join(r.path, 'a.txt'), 'utf8'), 'A');
    // Two pulls of the same new image at once share the layer transfers.
    const other = await newService();
    try {
      const [a, b] = await Promise.all([other.svc.pull(`${reg.host}/dup:1`), other.svc.pull(`${reg.host}/dup:1`)]);
      assert.equal(a.id, b.id);
      assert.equal((await other.svc.snapshots.list()).length, 3);
      assert.equal((await other.svc.list()).length, 1);
    } finally {
      await other.close();
    }
  } finally {
    await s.close();
  }
});

test('disk pressure: a retagged (dangling) image and its layers are collected', { skip }, async () => {
  // minFreeRatio 1: every disk is "under pressure", so the sweep always runs.
  const s = await newService({ minFreeRatio: 0.999999 });
  try {
    const v1 = await pushBusyboxImage(reg, 'moving', { files: { 'v': '1' } });
    const old = await s.svc.pull(v1.ref);
    await pushBusyboxImage(reg, 'moving', { files: { 'v': '2' } });
    const cur = await s.svc.pull(v1.ref);
    assert.notEqual(cur.id, old.id);
    assert.deepEqual((await s.svc.get(old.id)).repoTags, [], 'the old image lost its tag');
    const snaps = (await s.svc.snapshots.list()).length;
    assert.equal(await s.svc.gcIfPressure(s.dir), true);
    await assert.rejects(s.svc.get(old.id), /not found/);
    assert.equal((await s.svc.snapshots.list()).length, snaps - 1, 'only the old top layer goes; the shared base stays');
    assert.equal((await s.svc.get(v1.ref)).id, cur.id);
  } finally {
    await s.close();
  }
});

test('a transfer cut off halfway resumes with an HTTP Range request', { skip }, async () => {
  const pushed = await pushBusyboxImage(reg, 'resume', {});
  const manifest = (await (await fetch(`${reg.url}/v2/resume/manifests/latest`, { headers: { accept: MT.ociManifest } })).json()) as { layers: Array<{ digest: string; size: number }> };
  const layer = manifest.layers[0]!;
  const ranges: string[] = [];
  let cut = false;
  // A proxy that drops the connection after 40 % of the layer, once.
  const proxy = http.createServer((req, res) => {
    if (req.url?.includes(`/blobs/${layer.digest}`) && req.headers.range) ranges.push(req.headers.range);
    const up = http.request(`${reg.url}${req.url}`, { method: req.method, headers: { ...req.headers, host: reg.host } }, (ur) => {
      res.writeHead(ur.statusCode!, ur.headers);
      if (!cut && req.url?.includes(`/blobs/${layer.digest}`) && req.method === 'GET') {
        cut = true;
        let sent = 0;
        ur.on('data', (c: Buffer) => {
          if (sent >= layer.size * 0.4) return;
          sent += c.length;
          res.write(c);
          if (sent >= layer.size * 0.4) setTimeout(() => res.socket?.destroy(), 50);
        });
        return;
      }
      ur.pipe(res);
    });
    req.pipe(up);
  });
  const port = await freePort();
  await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
  const s = await newService();
  try {
    const ref = pushed.ref.replace(reg.host, `127.0.0.1:${port}`);
    const img = await s.svc.pull(ref);
    assert.equal(img.digest, pushed.digest);
    assert.equal(ranges.length, 1, 'one resumed request');
    const from = Number(/^bytes=(\d+)-$/.exec(ranges[0]!)?.[1]);
    assert.ok(from > 0 && from < layer.size, `resumed from byte ${from} of ${layer.size}`);
    assert.equal(await s.svc.blobs.has(layer.digest), true);
  } finally {
    await s.close();
    proxy.close();
  }
});

test('zstd layers, whiteouts, overlayfs and copied root filesystems, garbage collection', { skip }, async () => {
  const base = await pushBusyboxImage(reg, 'wh', { tag: 'base', cmd: ['sh'] });
  const derived = await pushBusyboxImage(reg, 'wh', { tag: 'derived', remove: ['etc/group'], files: { 'app/hello': 'hi' } });
  // A zstd image pushed with our own client: one layer, zstd-compressed by the zstd tool.
  const root = path.join(tmp, 'zroot');
  await run('sh', ['-c', `mkdir -p ${root}/bin && cp /bin/busybox ${root}/bin/ && ln -s busybox ${root}/bin/sh && echo z > ${root}/zfile && tar -cf ${tmp}/z.tar -C ${root} . && zstd -q -f ${tmp}/z.tar -o ${tmp}/z.tar.zst`]);
  const s = await newService();
  const copy = await newService({ overlay: false });
  try {
    const zst = await readFile(path.join(tmp, 'z.tar.zst'));
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [sha256(await readFile(path.join(tmp, 'z.tar')))] } }));
    const zref = parseRef(`${reg.host}/zstd:1`);
    for (const b of [zst, config]) await s.svc.client.uploadBlob(zref, sha256(b), b.length, () => b);
    const zman = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: sha256(config), size: config.length }, layers: [{ mediaType: MT.ociLayerZstd, digest: sha256(zst), size: zst.length }] }));
    await s.svc.client.putManifest(zref, '1', zman, MT.ociManifest);
    await s.svc.pull(`${reg.host}/zstd:1`);
    const z = await s.svc.createRootfs(`${reg.host}/zstd:1`, 'zc');
    assert.equal(await readFile(path.join(z.path, 'zfile'), 'utf8'), 'z\n');

    await s.svc.pull(base.ref);
    const r = await s.svc.createRootfs(derived.ref, 'c1'); // pulls on demand
    assert.ok((await mountsUnder(r.path)).includes(r.path), 'overlay mounted');
    assert.equal(await readFile(path.join(r.path, 'app/hello'), 'utf8'), 'hi');
    await assert.rejects(access(path.join(r.path, 'etc/group')), 'whiteout hides etc/group');
    await writeFile(path.join(r.path, 'etc/passwd'), 'changed');
    // After an unmount behind our back (a host reboot), createRootfs remounts the same upper dir.
    await run('umount', [r.path]);
    const again = await s.svc.createRootfs(derived.ref, 'c1');
    assert.equal(again.path, r.path);
    assert.equal(await readFile(path.join(r.path, 'etc/passwd'), 'utf8'), 'changed');
    const r2 = await s.svc.createRootfs(base.ref, 'c2');
    assert.match(await readFile(path.join(r2.path, 'etc/passwd'), 'utf8'), /^root:/, 'a container write stays in its upper dir');
    assert.deepEqual((await s.svc.listRootfs()).sort(), ['c1', 'c2', 'zc']);
    await assert.rejects(s.svc.remove(derived.ref), /used by container c1/);
    await s.svc.removeRootfs('c1');
    await s.svc.removeRootfs('c1'); // idempotent
    assert.deepEqual(await mountsUnder(r.path), []);
    await assert.rejects(stat(path.dirname(r.path)));

    // Without overlayfs the layers are copied, whiteouts applied.
    await copy.svc.pull(derived.ref);
    const c = await copy.svc.createRootfs(derived.ref, 'copy1');
    assert.deepEqual(await mountsUnder(c.path), []);
    assert.equal(await readFile(path.join(c.path, 'app/hello'), 'utf8'), 'hi');
    await assert.rejects(access(path.join(c.path, 'etc/group')));
    assert.equal((await stat(path.join(c.path, 'bin/busybox'))).mode & 0o777, 0o755);

    // GC: the base layer is shared, so removing the derived image keeps it.
    const before = (await s.svc.snapshots.list()).length;
    await s.svc.remove(derived.ref);
    assert.equal((await s.svc.snapshots.list()).length, before - 1);
    await s.svc.removeRootfs('c2');
    await s.svc.remove(base.ref);
    await s.svc.removeRootfs('zc');
    await s.svc.remove(`${reg.host}/zstd:1`);
    assert.deepEqual(await s.svc.snapshots.list(), []);
    assert.deepEqual(await s.svc.blobs.list(), []);
  } finally {
    await s.close();
    await copy.close();
  }
});
