// Issue 13 finding 9 (images part): a registry's or an archive's bad data is a 400 naming the
// problem, never a 500. Before the fix, a WWW-Authenticate realm that is not a URL threw a
// TypeError from `new URL` (500), a malformed manifest.json / config in `llmos load` threw from
// JSON.parse or readFile (500), an unknown manifest media type threw a plain Error (500), and a
// config with `Env: "PATH=/bin"` (a string) was stored as is. A real daemon answers each one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { makeTar, type FixtureEntry } from '../../src/modules/images/tar-fixture.test-util.js';
import { MT } from '../../src/modules/images/media-types.js';
import { dockerSave } from './archive-fixture.js';
import { hostileRegistry, type Answer, type HostileRegistry } from './hostile-registry.js';

const sha = (b: string | Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
let d: TestDaemon;
let reg: HostileRegistry;
let tmp: string;

const json = (o: unknown, mediaType: string = MT.ociManifest): Answer => ({ headers: { 'content-type': mediaType }, body: typeof o === 'string' ? o : JSON.stringify(o) });
const cfgBad = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: 'PATH=/bin' }, rootfs: { type: 'layers', diff_ids: [] } });
const cfgNotJson = 'this is not { json';
const manifestFor = (config: string) => ({ schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: sha(config), size: Buffer.byteLength(config) }, layers: [] });

/** repository -> what /v2/<repo>/manifests/1 answers. */
const manifests: Record<string, (host: string) => Answer> = {
  'realm-malformed': () => ({ status: 401, headers: { 'www-authenticate': 'Bearer realm="::not a url",service="x"' } }),
  'realm-file': () => ({ status: 401, headers: { 'www-authenticate': 'Bearer realm="file:///etc/passwd"' } }),
  'realm-creds': (h) => ({ status: 401, headers: { 'www-authenticate': `Bearer realm="http://u:p@${h}/token"` } }),
  'realm-missing': () => ({ status: 401, headers: { 'www-authenticate': 'Bearer service="x"' } }),
  'token-not-json': (h) => ({ status: 401, headers: { 'www-authenticate': `Bearer realm="http://${h}/token/not-json"` } }),
  'token-crlf': (h) => ({ status: 401, headers: { 'www-authenticate': `Bearer realm="http://${h}/token/crlf"` } }),
  'token-number': (h) => ({ status: 401, headers: { 'www-authenticate': `Bearer realm="http://${h}/token/number"` } }),
  'redirect-malformed': () => ({ status: 307, headers: { location: 'http://[::1' } }),
  'redirect-file': () => ({ status: 307, headers: { location: 'file:///etc/passwd' } }),
  // Found by fuzzing (test/fuzz/images-registry): these were 503s for the registry's bad answers.
  'redirect-no-location': () => ({ status: 307 }),
  'redirect-loop': () => ({ status: 302, headers: { location: '/v2/redirect-loop/manifests/1' } }),
  'manifest-not-json': () => json('<html>'),
  'manifest-array': () => json([1, 2]),
  'manifest-media-type': () => json({ schemaVersion: 2, mediaType: 'text/html' }),
  'manifest-layers-string': () => json({ ...manifestFor(cfgBad), layers: 'x' }),
  'manifest-negative-size': () => json({ ...manifestFor(cfgBad), layers: [{ mediaType: MT.ociLayer, digest: sha('x'), size: -1 }] }),
  'index-bad-entry': () => json({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [{ digest: 5 }] }, MT.ociIndex),
  'config-env-string': () => json(manifestFor(cfgBad)),
  'config-not-json': () => json(manifestFor(cfgNotJson)),
};

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-bad-input-'));
  reg = await hostileRegistry((_m, u) => {
    const tok = /^\/token\/(.+)$/.exec(u.pathname);
    if (tok) return { 'not-json': json('nope', 'application/json'), crlf: json({ token: 'a\r\nInjected: 1' }, 'application/json'), number: json({ token: 5 }, 'application/json') }[tok[1]!];
    const m = /^\/v2\/(.+)\/manifests\/1$/.exec(u.pathname);
    if (m && manifests[m[1]!]) return manifests[m[1]!]!(reg.host);
    const b = /^\/v2\/.+\/blobs\/(sha256:[a-f0-9]{64})$/.exec(u.pathname);
    if (b) return [cfgBad, cfgNotJson].filter((c) => sha(c) === b[1]).map((c) => ({ body: c }))[0];
    return undefined;
  });
  d = await startDaemon();
});

after(async () => {
  await d?.stop();
  await reg?.close();
  await rm(tmp, { recursive: true, force: true });
});

const pullCases: Array<[string, RegExp]> = [
  ['realm-malformed', /malformed token realm URL/],
  ['realm-file', /token realm that is not http\(s\)/],
  ['realm-creds', /token realm with credentials/],
  ['realm-missing', /no realm/],
  ['token-not-json', /not JSON/],
  ['token-crlf', /not a header-safe string/],
  ['token-number', /without a token/],
  ['redirect-malformed', /malformed redirect URL/],
  ['redirect-file', /redirect URL that is not http\(s\)/],
  ['redirect-no-location', /redirect \(HTTP 307\) without a Location/],
  ['redirect-loop', /too many redirects/],
  ['manifest-not-json', /manifest is not valid JSON/],
  ['manifest-array', /manifest is malformed/],
  ['manifest-media-type', /unsupported manifest media type/],
  ['manifest-layers-string', /manifest is malformed: layers/],
  ['manifest-negative-size', /manifest is malformed: layers\.0\.size/],
  ['index-bad-entry', /image index is malformed: manifests\.0/],
  ['config-env-string', /image config is malformed: config\.Env/],
  ['config-not-json', /image config is not valid JSON/],
];

for (const [repo, want] of pullCases) {
  test(`pull from a hostile registry: ${repo} is a 400 naming the problem`, async () => {
    const r = await d.api<{ error: string; code: string }>('POST', '/v1/images/pull', { ref: `${reg.host}/${repo}:1` });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.code, 'E_INVALID_ARGUMENT');
    assert.match(r.body.error, want);
  });
}

test('the streaming pull (NDJSON) reports a hostile realm as an invalid-argument error line', async () => {
  const res = await fetch(`${d.host}/v1/images/pull`, {
    method: 'POST',
    headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json', accept: 'application/x-ndjson' },
    body: JSON.stringify({ ref: `${reg.host}/realm-malformed:1` }),
  });
  const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; code?: string; error?: string });
  const last = lines[lines.length - 1]!;
  assert.equal(last.type, 'error');
  assert.equal(last.code, 'E_INVALID_ARGUMENT');
  assert.match(last.error!, /malformed token realm/);
});

const layer = makeTar([{ path: 'a', body: 'a' }]);
const goodConfig = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(layer)] } });
/** A docker-save archive of these files (manifest.json first). */
const archive = (files: FixtureEntry[]) => makeTar(files);
const withManifest = (manifest: unknown, more: FixtureEntry[] = []) =>
  archive([{ path: 'manifest.json', body: typeof manifest === 'string' ? manifest : JSON.stringify(manifest) }, { path: 'config.json', body: goodConfig }, { path: 'l0/', type: 'Directory' }, { path: 'l0/layer.tar', body: layer }, ...more]);
const std = (over: object) => [{ Config: 'config.json', RepoTags: ['x:1'], Layers: ['l0/layer.tar'], ...over }];

const loadCases: Array<[string, Buffer, RegExp]> = [
  ['not a tar', Buffer.from('garbage'.repeat(300)), /not a readable image archive|neither manifest.json/],
  ['manifest.json not JSON', withManifest('{oops'), /manifest\.json is not valid JSON/],
  ['manifest.json an object', withManifest({}), /manifest\.json is malformed/],
  ['manifest.json empty list', withManifest([]), /manifest\.json is malformed: \(top level\): lists no images/],
  ['Config a number', withManifest(std({ Config: 5 })), /manifest\.json is malformed: 0\.Config/],
  ['Layers a string', withManifest(std({ Layers: 'l0/layer.tar' })), /manifest\.json is malformed: 0\.Layers/],
  ['RepoTags of numbers', withManifest(std({ RepoTags: [5] })), /0\.RepoTags\.0/],
  ['RepoTags not a reference', withManifest(std({ RepoTags: ['Bad Tag!!'] })), /image reference|bad tag|not valid/i],
  ['layer path escaping the archive', withManifest(std({ Layers: ['../../../../../../etc/passwd'] })), /outside the archive|missing/],
  ['absolute config path', withManifest(std({ Config: '/etc/passwd' })), /outside the archive|missing/],
  ['config path a directory', withManifest(std({ Config: 'l0' })), /l0 is not a regular file/],
  ['manifest.json a symlink out', archive([{ path: 'manifest.json', type: 'SymbolicLink', linkpath: '../../../../../../../etc/hostname' }]), /outside the archive|missing|escapes extraction/],
  ['config not JSON', withManifest(std({ Config: 'bad.json' }), [{ path: 'bad.json', body: 'nope' }]), /bad\.json is not valid JSON/],
  ['config Env a string', withManifest(std({ Config: 'bad.json' }), [{ path: 'bad.json', body: JSON.stringify({ config: { Env: 'PATH=/bin' }, rootfs: { type: 'layers', diff_ids: [sha(layer)] } }) }]), /bad\.json is malformed: config\.Env/],
  ['layer a broken gzip stream', withManifest(std({ Layers: ['l0/bad.gz'] }), [{ path: 'l0/bad.gz', body: Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(64, 7)]) }]), /not a readable \(gzip\/zstd\/plain\) tar stream/],
  ['diff ids of the wrong kind', dockerSave([[{ path: 'a', body: 'a' }]], { config: { rootfs: { diff_ids: ['md5:abc'] } } }), /malformed: rootfs\.diff_ids\.0/],
];

for (const [name, body, want] of loadCases) {
  test(`load of a malformed archive: ${name} is a 400 naming the problem`, async () => {
    const res = await fetch(`${d.host}/v1/images/load`, { method: 'POST', headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/x-tar' }, body });
    const r = (await res.json()) as { error: string; code: string };
    assert.equal(res.status, 400, JSON.stringify(r));
    assert.equal(r.code, 'E_INVALID_ARGUMENT');
    assert.match(r.error, want);
  });
}

test('llmos load of a malformed manifest.json exits 1 with one line; the daemon keeps serving, nothing is kept', async () => {
  const file = path.join(tmp, 'bad.tar');
  await writeFile(file, withManifest(std({ Config: 'l0' })));
  const r = await d.cli(['load', '-i', file]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^llmos: .*not a regular file/);
  const list = await d.api<{ images: unknown[] }>('GET', '/v1/images');
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.images, []);
});
