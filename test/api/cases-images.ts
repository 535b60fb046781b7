// Route cases: images (the real images module on the temp data dir; no registry: pull, push and
// login are checked on a loopback port nothing listens on, which is their error path).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import * as tar from 'tar';
import type { ApiRig } from './harness.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function tarOf(dir: string, entries: string[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of tar.c({ cwd: dir, portable: true }, entries) as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** A loopback port with nothing listening (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** An OCI layout archive of one image with one uncompressed layer (its digest is its diff id). */
async function ociArchive(layer: Buffer, name: string): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-oci-'));
  try {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [sha(layer)] } }));
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }] }));
    await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    for (const b of [config, manifest, layer]) await writeFile(path.join(dir, 'blobs', 'sha256', sha(b).slice(7)), b);
    await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.length, annotations: { 'io.containerd.image.name': name } }] }));
    return await tarOf(dir, ['oci-layout', 'index.json', 'blobs']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function imageCases(t: TestContext, rig: ApiRig): Promise<void> {
  const { req } = rig;
  const root = await mkdtemp(path.join(os.tmpdir(), 'llmos-rootfs-'));
  await writeFile(path.join(root, 'hello.txt'), 'hello\n');
  const rootfs = await tarOf(root, ['hello.txt']);
  await rm(root, { recursive: true, force: true });
  const raw = { 'content-type': 'application/x-tar' };

  await t.test('images: import, list, inspect, tag, rootfs, remove, prune', async () => {
    const i = await req('POST', `/v1/images/import?ref=local/app:1&cmd=${encodeURIComponent('["/bin/sh"]')}`, rootfs, raw);
    assert.equal(i.statusCode, 200, i.body);
    const img = i.json() as J;
    assert.deepEqual(img.repoTags, ['docker.io/local/app:1']);
    assert.deepEqual(img.config.cmd, ['/bin/sh']);
    assert.equal((await req('POST', '/v1/images/import?ref=local/app:2&cmd=notjson', rootfs, raw)).statusCode, 400);
    const list = await req('GET', '/v1/images');
    assert.deepEqual((list.json() as J).images.map((x: J) => x.id), [img.id]);
    assert.deepEqual((await req('GET', '/v1/images/inspect?ref=local/app:1')).json(), img);
    assert.equal((await req('GET', '/v1/images/inspect?ref=local/none:1')).statusCode, 404);
    const tag = await req('POST', '/v1/images/tag', { source: 'local/app:1', target: 'local/app:latest' });
    assert.equal(tag.statusCode, 200, tag.body);
    assert.deepEqual((tag.json() as J).repoTags.sort(), ['docker.io/local/app:1', 'docker.io/local/app:latest']);
    assert.deepEqual((await req('GET', '/v1/images/rootfs')).json(), { rootfs: [] });
    const un = await req('DELETE', '/v1/images?ref=local/app:latest');
    assert.equal(un.statusCode, 200, un.body);
    assert.deepEqual((un.json() as J).untagged, ['docker.io/local/app:latest']);
    const gone = await req('DELETE', '/v1/images?ref=local/app:1');
    assert.equal((gone.json() as J).deleted, img.id);
    const p = await req('POST', '/v1/images/prune');
    assert.equal(p.statusCode, 200, p.body);
    assert.equal(typeof (p.json() as J).bytes, 'number');
  });
  await t.test('images: load an OCI archive; a tarball that is no archive is a 400', async () => {
    const l = await req('POST', '/v1/images/load', await ociArchive(rootfs, 'local/loaded:1'), raw);
    assert.equal(l.statusCode, 200, l.body);
    assert.deepEqual((l.json() as J).images.map((x: J) => x.repoTags), [['docker.io/local/loaded:1']]);
    const bad = await req('POST', '/v1/images/load', rootfs, raw);
    assert.equal(bad.statusCode, 400);
    assert.match((bad.json() as J).error, /neither manifest\.json/);
    await req('DELETE', '/v1/images?ref=local/loaded:1');
  });
  await t.test('images: pull, push and login against a registry that is not there', async () => {
    const port = await closedPort();
    assert.equal((await req('POST', '/v1/images/pull', { ref: 'UPPER/case' })).statusCode, 400);
    const pull = await req('POST', '/v1/images/pull', { ref: `127.0.0.1:${port}/x:1` });
    assert.ok(pull.statusCode >= 400 && pull.statusCode !== 500, `${pull.statusCode} ${pull.body}`);
    assert.ok((pull.json() as J).error);
    const nd = await req('POST', '/v1/images/pull', { ref: `127.0.0.1:${port}/x:1` }, { accept: 'application/x-ndjson' });
    assert.equal(nd.statusCode, 200);
    assert.equal((JSON.parse(nd.body.trim().split('\n').at(-1)!) as J).type, 'error');
    assert.equal((await req('POST', '/v1/images/push', { ref: 'local/none:1' })).statusCode, 404);
    const login = await req('POST', '/v1/images/login', { registry: `127.0.0.1:${port}`, username: 'u', password: 'p' });
    assert.ok(login.statusCode >= 400 && login.statusCode !== 500, `${login.statusCode} ${login.body}`);
    const out = await req('POST', '/v1/images/logout', { registry: `127.0.0.1:${port}` });
    assert.equal(out.statusCode, 200, out.body);
    assert.deepEqual(out.json(), { registry: `127.0.0.1:${port}`, stored: false });
  });
}
