import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgument, NotFound } from '../../kernel/errors.js';
import { sha256 } from './blob-store.js';
import { resolveManifest, type FetchManifest } from './manifest-resolve.js';
import { MT } from './media-types.js';

const d = (s: string) => sha256(s);
const manifest = (arch: string) => JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: d(`cfg-${arch}`), size: 2 }, layers: [{ mediaType: MT.ociLayerGzip, digest: d(`l-${arch}`), size: 3 }] });
const docs = new Map<string, { bytes: Buffer; mediaType?: string }>();
for (const arch of ['amd64', 'arm64']) docs.set(d(manifest(arch)), { bytes: Buffer.from(manifest(arch)), mediaType: MT.ociManifest });
const index = JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: ['amd64', 'arm64'].map((a) => ({ mediaType: MT.ociManifest, digest: d(manifest(a)), size: manifest(a).length, platform: { os: 'linux', architecture: a } })) });
docs.set('multi', { bytes: Buffer.from(index), mediaType: MT.ociIndex });
docs.set('single', { bytes: Buffer.from(manifest('amd64')), mediaType: MT.ociManifest });
const nested = JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [{ mediaType: MT.ociIndex, digest: d('inner'), size: 5, platform: { os: 'linux', architecture: 'amd64' } }] });
docs.set('nested', { bytes: Buffer.from(nested), mediaType: MT.ociIndex });
docs.set(d('inner'), { bytes: Buffer.from(index), mediaType: MT.ociIndex });
docs.set('junk', { bytes: Buffer.from('not json') });

// The registry's answers as bytes; the registry client itself is tested against a real registry in test/images.
const fetchDoc: FetchManifest = async (r) => {
  const doc = docs.get(r);
  if (!doc) throw new NotFound(`manifest ${r} not found`);
  return { ...doc, digest: r.startsWith('sha256:') ? r : sha256(doc.bytes) };
};

test('an index resolves to the manifest of the wanted platform', async () => {
  const r = await resolveManifest(fetchDoc, 'multi', 'x:multi', { os: 'linux', architecture: 'arm64' });
  assert.equal(r.digest, d(manifest('arm64')));
  assert.equal(r.manifest.config.digest, d('cfg-arm64'));
  assert.equal(r.mediaType, MT.ociManifest);
  assert.equal(r.singlePlatform, false);
});

test('a plain manifest is single-platform; a nested index and bad JSON are refused with the reference named', async () => {
  const r = await resolveManifest(fetchDoc, 'single', 'x:single', { os: 'linux', architecture: 'arm64' });
  assert.equal(r.singlePlatform, true);
  assert.equal(r.digest, sha256(manifest('amd64')));
  await assert.rejects(resolveManifest(fetchDoc, 'nested', 'x:nested', { os: 'linux', architecture: 'amd64' }), (e) => e instanceof InvalidArgument && /x:nested: the index entry for linux\/amd64 is itself an index/.test(e.message));
  await assert.rejects(resolveManifest(fetchDoc, 'junk', 'x:junk', { os: 'linux', architecture: 'amd64' }), (e) => e instanceof InvalidArgument && /x:junk/.test(e.message));
});
