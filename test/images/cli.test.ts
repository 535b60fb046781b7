// End to end: a real daemon and a real docker-registry, driven through the real CLI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';

const run = promisify(execFile);
const skip = registrySkipReason();
let reg: TestRegistry;
let authReg: TestRegistry;
let d: TestDaemon;
let tmp: string;

before(async () => {
  if (skip) return;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-images-cli-'));
  [reg, authReg, d] = await Promise.all([startRegistry(), startRegistry({ auth: { basic: { username: 'alice', password: 's3cret' } } }), startDaemon()]);
});

after(async () => {
  if (skip) return;
  await Promise.all([d?.stop(), reg?.stop(), authReg?.stop(), tmp && rm(tmp, { recursive: true, force: true })]);
});

test('pull (OCI and Docker v2s2), images, rmi, prune through the CLI', { skip }, async () => {
  const oci = await pushBusyboxImage(reg, 'team/app', { tag: '1.0', cmd: ['echo', 'hi'], exposedPorts: ['8080/tcp'] });
  const v2 = await pushBusyboxImage(reg, 'team/legacy', { format: 'v2s2', files: { 'app/run.sh': { content: '#!/bin/sh\necho run\n', mode: 0o755 } } });

  const p1 = await d.cli(['pull', oci.ref]);
  assert.equal(p1.code, 0, p1.stderr);
  assert.match(p1.stdout, /Pull complete/);
  assert.match(p1.stdout, new RegExp(`Digest: ${oci.digest}`));

  const p2 = await d.cli(['--json', 'pull', v2.ref]);
  assert.equal(p2.code, 0, p2.stderr);
  const img = JSON.parse(p2.stdout) as { digest: string; layers: string[]; config: { cmd: string[] } };
  assert.equal(img.digest, v2.digest);
  assert.equal(img.layers.length, 2);

  // The shared busybox layer is stored once: the second pull reports it as present.
  const again = await d.cli(['pull', oci.ref]);
  assert.match(again.stdout, /Already exists/);

  const ls = await d.cli(['images']);
  assert.match(ls.stdout, /REPOSITORY\s+TAG\s+IMAGE ID/);
  assert.match(ls.stdout, new RegExp(`${reg.host}/team/app\\s+1\\.0`));
  // The rest through the API directly: each CLI run is a process start on a busy machine.
  const lsJson = (await d.api<{ images: Array<{ repoTags: string[]; config: { exposedPorts?: string[] } }> }>('GET', '/v1/images')).body.images;
  assert.deepEqual(lsJson.find((i) => i.repoTags.includes(oci.ref))?.config.exposedPorts, ['8080/tcp']);

  const bad = await d.cli(['pull', 'Bad//Ref']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /reference/);
  const missing = await d.api<{ error: string }>('POST', '/v1/images/pull', { ref: `${reg.host}/team/nope:1` });
  assert.equal(missing.status, 404);
  assert.match(missing.body.error, /not found/);
  const plat = await d.api<{ error: string }>('POST', '/v1/images/pull', { ref: oci.ref, platform: 'linux/arm64' });
  assert.equal(plat.status, 404);
  assert.match(plat.body.error, /linux\/amd64, not linux\/arm64/);

  const rmi = await d.cli(['rmi', oci.ref]);
  assert.equal(rmi.code, 0, rmi.stderr);
  assert.match(rmi.stdout, /Deleted: sha256:/);
  const prune = await d.cli(['--json', 'image', 'prune']);
  assert.equal(prune.code, 0, prune.stderr);
  const gone = await d.api<{ images: Array<{ repoTags: string[] }> }>('GET', '/v1/images');
  assert.deepEqual(gone.body.images.map((i) => i.repoTags).flat(), [v2.ref]);
});

test('login to a basic-auth registry, pull, and push under a new name', { skip }, async () => {
  const pushed = await pushBusyboxImage(authReg, 'private/app', { cmd: ['true'] });
  const denied = await d.cli(['pull', pushed.ref]);
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /requires authentication: run `llmos login/);

  const wrong = await d.cli(['login', authReg.host, '-u', 'alice', '--password-stdin'], { input: 'nope\n' });
  assert.equal(wrong.code, 1);
  const ok = await d.cli(['login', authReg.host, '-u', 'alice', '--password-stdin'], { input: 's3cret\n' });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /Login Succeeded/);
  assert.equal((await stat(path.join(d.dataDir, 'registry-auth.json'))).mode & 0o777, 0o600);

  const pulled = await d.cli(['pull', pushed.ref]);
  assert.equal(pulled.code, 0, pulled.stderr);
  // Copy it to the open registry: tag, then push.
  const copyRef = `${reg.host}/mirror/app:1`;
  assert.equal((await d.cli(['tag', pushed.ref, copyRef])).code, 0);
  const mirrored = await d.cli(['push', copyRef]);
  assert.equal(mirrored.code, 0, mirrored.stderr);
  const m = await fetch(`${reg.url}/v2/mirror/app/manifests/1`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(m.headers.get('docker-content-digest'), pushed.digest, 'pushed byte for byte: same digest');

  // An imported image pushed to the authenticated registry.
  const target = `${authReg.host}/private/copy:2`;
  const imp = await d.cli(['import', await busyboxTar(), target]);
  assert.equal(imp.code, 0, imp.stderr);
  const push = await d.cli(['push', target]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /digest: sha256:/);
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--creds', 'alice:s3cret', `docker://${target}`]);
  assert.equal((JSON.parse(stdout) as { Layers: string[] }).Layers.length, 1);
});

test('load a docker-archive and an OCI archive made by skopeo', { skip }, async () => {
  const src = await pushBusyboxImage(reg, 'team/saved', { cmd: ['echo', 'saved'] });
  const dockerTar = path.join(tmp, 'docker.tar');
  const ociTar = path.join(tmp, 'oci.tar');
  await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${src.ref}`, `docker-archive:${dockerTar}:${reg.host}/team/saved:archived`]);
  await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${src.ref}`, `oci-archive:${ociTar}:${reg.host}/team/saved:oci`]);
  const l1 = await d.cli(['load', '-i', dockerTar]);
  assert.equal(l1.code, 0, l1.stderr);
  assert.match(l1.stdout, new RegExp(`Loaded image: ${reg.host}/team/saved:archived`));
  const l2 = await d.cli(['--json', 'load', '-i', ociTar]);
  assert.equal(l2.code, 0, l2.stderr);
  const [img] = JSON.parse(l2.stdout) as Array<{ config: { cmd: string[] } }>;
  assert.deepEqual(img!.config.cmd, ['echo', 'saved']);
  // An OCI layout directory: the CLI tars it on the fly. Its ref name is only a tag: untagged.
  const layout = path.join(tmp, 'layout');
  await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${src.ref}`, `oci:${layout}:v1`]);
  const l3 = await d.cli(['--json', 'load', '-i', layout]);
  assert.equal(l3.code, 0, l3.stderr);
  assert.deepEqual((JSON.parse(l3.stdout) as Array<{ config: { cmd: string[] } }>)[0]!.config.cmd, ['echo', 'saved']);
  const junk = path.join(tmp, 'junk.tar');
  await writeFile(junk, 'not an archive');
  const bad = await d.cli(['load', '-i', junk]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /archive/);
});

async function busyboxTar(): Promise<string> {
  const root = path.join(tmp, 'rootfs');
  await run('sh', ['-c', `mkdir -p ${root}/bin && cp /bin/busybox ${root}/bin/ && ln -sf busybox ${root}/bin/sh`]);
  const file = path.join(tmp, 'rootfs.tar');
  await run('tar', ['-cf', file, '-C', root, '.']);
  return file;
}
