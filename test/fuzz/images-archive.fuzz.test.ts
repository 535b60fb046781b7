// Fuzzing `load` (archive.ts): byte-level damage to a valid docker-save archive, arbitrary and
// near-valid manifest.json and image configs, OCI layouts with hostile index.json and manifests,
// decompression bombs and huge tar headers. Properties: the load works or is refused as an
// InvalidArgument (never a 500, never a crash); what loads has well-typed run settings; memory
// stays bounded; nothing of a refused load stays in the store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync, createGzip } from 'node:zlib';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { MT } from '../../src/modules/images/media-types.js';
import { makeTar, type FixtureEntry } from '../../src/modules/images/tar-fixture.test-util.js';
import { imagesService, type TestImages } from '../images/archive-fixture.js';
import { assertClientError, budget, fuzz } from './images-fuzz-support.js';
import { InvalidArgument } from '../../src/kernel/errors.js';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
let tmp: string;
let s: TestImages;
const rss0 = process.memoryUsage().rss;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-fuzz-archive-'));
  s = await imagesService(tmp, { limits: { maxImageBytes: 32 << 20 } });
});

after(async () => {
  await s.close();
  await rm(tmp, { recursive: true, force: true });
});

/** Loads; a refusal must be a client error. Loaded images are checked, then removed. */
async function tryLoad(archive: Buffer): Promise<boolean> {
  const imgs = await s.load(archive).catch((e: unknown) => {
    assertClientError(e, 'load');
    return undefined;
  });
  assert.ok(process.memoryUsage().rss < rss0 + 768 * 2 ** 20, `memory stays bounded (rss ${process.memoryUsage().rss})`);
  if (!imgs) {
    if (!(await s.svc.list()).length) assert.deepEqual(await s.svc.snapshots.list(), [], 'a refused load keeps no snapshot');
    return false;
  }
  for (const img of imgs) {
    const c = img.config;
    for (const k of ['env', 'cmd', 'entrypoint'] as const) assert.ok(c[k] === undefined || (Array.isArray(c[k]) && c[k]!.every((x) => typeof x === 'string')), `${k} is a list of strings`);
    for (const k of ['user', 'workingDir', 'stopSignal'] as const) assert.ok(c[k] === undefined || typeof c[k] === 'string', `${k} is a string`);
    assert.equal(typeof img.platform.os, 'string');
  }
  for (const img of await s.svc.list()) await s.svc.remove(img.id, { force: true });
  return true;
}

const layerA = makeTar([{ path: 'bin/', type: 'Directory' }, { path: 'bin/sh', body: 'elf' }, { path: 'etc/passwd', body: 'root:x:0:0::/:/bin/sh\n' }]);
const layerB = gzipSync(makeTar([{ path: 'etc/.wh.passwd' }, { path: 'app', type: 'SymbolicLink', linkpath: '/bin/sh' }]));
const validConfig = { architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] }, rootfs: { type: 'layers', diff_ids: [sha(layerA), sha(makeTar([{ path: 'etc/.wh.passwd' }, { path: 'app', type: 'SymbolicLink', linkpath: '/bin/sh' }]))] } };

/** A docker-save archive with exactly these files. */
function saveWith(manifest: unknown, config: unknown, extra: FixtureEntry[] = []): Buffer {
  return makeTar([
    { path: 'manifest.json', body: JSON.stringify(manifest) ?? 'undefined' },
    { path: 'config.json', body: JSON.stringify(config) ?? 'undefined' },
    { path: 'a.tar', body: layerA },
    { path: 'b.tar.gz', body: layerB },
    ...extra,
  ]);
}
const stdManifest = (tag: string) => [{ Config: 'config.json', RepoTags: [tag], Layers: ['a.tar', 'b.tar.gz'] }];

/** Mostly the valid value, sometimes any JSON, sometimes absent. */
const maybe = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 30, arbitrary: valid }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }, { weight: 1, arbitrary: fc.constant(undefined) });
const str = fc.string({ maxLength: 12 });

test('found by fuzzing: an archive whose first byte is zeroed is a clean InvalidArgument (the scratch clean-up raced tar and masked it with ENOTEMPTY)', async () => {
  const b = Buffer.from(saveWith(stdManifest('zero:1'), validConfig));
  b[0] = 0;
  for (let i = 0; i < 5; i++) {
    const err = await s.load(b).then(() => undefined, (e: unknown) => e);
    if (err !== undefined) assertClientError(err, 'load');
  }
});

test('fuzz: byte damage to a valid docker-save archive is refused cleanly or loads', async () => {
  const base = saveWith(stdManifest('dmg:1'), validConfig);
  assert.equal(await tryLoad(base), true, 'the undamaged archive loads');
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  );
  await fuzz(
    'archive-bytes',
    fc.record({ muts: fc.array(mutation, { minLength: 1, maxLength: 4 }), gzip: fc.boolean() }),
    async ({ muts, gzip }) => {
      let b = Buffer.from(base);
      for (const m of muts) {
        if (m.kind === 'truncate') b = b.subarray(0, m.at % (b.length + 1));
        else if (b.length) Buffer.from(m.bytes).copy(b, m.at % b.length);
      }
      await tryLoad(gzip ? gzipSync(b) : b);
    },
    budget(150, 0.25),
  );
});

test('fuzz: arbitrary and near-valid manifest.json and image configs are refused cleanly or load well-typed', async () => {
  const manifestArb = fc.oneof(
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    {
      weight: 8,
      arbitrary: fc.array(
        fc.record({
          Config: maybe(fc.oneof({ weight: 10, arbitrary: fc.constant('config.json') }, { weight: 1, arbitrary: fc.constantFrom('a.tar', '/etc/passwd', '../config.json', '.', 'missing') })),
          RepoTags: maybe(fc.array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom('fz:1', 'x/y:z') }, { weight: 1, arbitrary: str }), { maxLength: 2 })),
          Layers: maybe(fc.oneof({ weight: 6, arbitrary: fc.constant(['a.tar', 'b.tar.gz']) }, { weight: 1, arbitrary: fc.array(fc.constantFrom('a.tar', 'b.tar.gz', 'config.json', '../a.tar', '/a.tar', '.', 'manifest.json'), { maxLength: 3 }) })),
        }, { requiredKeys: [] }),
        { minLength: 1, maxLength: 2 },
      ),
    },
  );
  const configArb = fc.oneof(
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    {
      weight: 8,
      arbitrary: fc.record({
        architecture: maybe(fc.constantFrom('amd64', 'arm64')),
        os: maybe(fc.constant('linux')),
        created: maybe(fc.constant('2024-01-01T00:00:00Z')),
        config: maybe(fc.record({
          Env: maybe(fc.array(str, { maxLength: 2 })),
          Cmd: maybe(fc.array(str, { maxLength: 2 })),
          Entrypoint: maybe(fc.array(str, { maxLength: 2 })),
          User: maybe(str),
          WorkingDir: maybe(str),
          ExposedPorts: maybe(fc.dictionary(str, fc.constant({}), { maxKeys: 2 })),
          Labels: maybe(fc.dictionary(str, str, { maxKeys: 2 })),
          StopSignal: maybe(str),
        }, { requiredKeys: [] })),
        rootfs: maybe(fc.record({ type: maybe(fc.constant('layers')), diff_ids: maybe(fc.constant(validConfig.rootfs.diff_ids)) })),
      }, { requiredKeys: [] }),
    },
  );
  let loaded = 0;
  const runs = await fuzz(
    'manifest-config',
    fc.record({ manifest: manifestArb, config: configArb }),
    async ({ manifest, config }) => {
      if (await tryLoad(saveWith(manifest, config))) loaded++;
    },
    budget(300, 0.25),
  );
  console.log(`# fuzz manifest-config: ${runs} cases, ${loaded} loaded`);
});

test('fuzz: OCI layouts with hostile index.json and manifests are refused cleanly or load', async () => {
  const cfg = Buffer.from(JSON.stringify(validConfig));
  const layerBPlain = makeTar([{ path: 'etc/.wh.passwd' }, { path: 'app', type: 'SymbolicLink', linkpath: '/bin/sh' }]);
  const blobs = [layerA, layerBPlain, cfg];
  const desc = (b: Buffer, mediaType: string) => ({ mediaType, digest: sha(b), size: b.length });
  const descArb = (b: Buffer, mt: string) => fc.oneof({ weight: 5, arbitrary: fc.constant(desc(b, mt)) }, { weight: 1, arbitrary: fc.record({ mediaType: maybe(fc.constant(mt)), digest: maybe(fc.constantFrom(sha(b), 'sha256:' + '0'.repeat(64), 'sha256:../../etc', 'md5:x')), size: maybe(fc.oneof(fc.constant(b.length), fc.integer(), fc.double())) }, { requiredKeys: [] }) });
  const manifestArb = fc.record({
    schemaVersion: maybe(fc.constant(2)),
    mediaType: maybe(fc.constantFrom(MT.ociManifest, MT.ociIndex, 'text/plain')),
    config: maybe(descArb(cfg, MT.ociConfig)),
    layers: maybe(fc.tuple(descArb(layerA, MT.ociLayer), descArb(layerBPlain, MT.ociLayer))),
  }, { requiredKeys: [] });
  await fuzz(
    'oci-layout',
    fc.record({ manifest: manifestArb, indexExtra: maybe(fc.record({ platform: maybe(fc.record({ os: maybe(fc.constant('linux')), architecture: maybe(fc.constant('amd64')) })), annotations: maybe(fc.dictionary(fc.constantFrom('org.opencontainers.image.ref.name', 'x'), fc.oneof(str, fc.constant('oci/x:1')), { maxKeys: 1 })) }, { requiredKeys: [] })), nested: fc.boolean() }),
    async ({ manifest, indexExtra, nested }) => {
      const mBytes = Buffer.from(JSON.stringify(manifest));
      let top = { ...desc(mBytes, MT.ociManifest), ...(typeof indexExtra === 'object' && indexExtra ? indexExtra : {}) };
      const files: FixtureEntry[] = [{ path: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' }];
      const all = [...blobs, mBytes];
      if (nested) {
        const inner = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [{ ...desc(mBytes, MT.ociManifest), platform: { os: 'linux', architecture: 'amd64' } }] }));
        all.push(inner);
        top = { ...desc(inner, MT.ociIndex) };
      }
      for (const b of all) files.push({ path: `blobs/sha256/${sha(b).slice(7)}`, body: b });
      files.push({ path: 'index.json', body: JSON.stringify({ schemaVersion: 2, manifests: [top] }) });
      await tryLoad(makeTar(files));
    },
    budget(150, 0.25),
  );
});

test('a gzip bomb layer stops at the decompressed size limit with bounded memory, nothing kept', async () => {
  // A 1 GiB file of zeros in a layer: about 1 MiB of gzip.
  const size = 2 ** 30;
  const header = makeTar([{ path: 'big', body: '' }]).subarray(0, 512);
  const h = Buffer.from(header);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124, 12, 'ascii');
  let sum = 8 * 32;
  for (let i = 0; i < 512; i++) if (i < 148 || i >= 156) sum += h[i]!;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  const zeros = Buffer.alloc(1 << 20);
  const chunks: Buffer[] = [];
  const gz = createGzip({ level: 1 });
  gz.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => gz.on('end', r));
  await (async () => {
    for await (const c of Readable.from((function* () {
      yield h;
      for (let i = 0; i < size / zeros.length; i++) yield zeros;
      yield Buffer.alloc(1024);
    })())) if (!gz.write(c)) await new Promise((r) => gz.once('drain', r));
    gz.end();
  })();
  await done;
  const bomb = Buffer.concat(chunks);
  assert.ok(bomb.length < 8 << 20, `the bomb is small (${bomb.length} bytes)`);
  const before = process.memoryUsage().rss;
  const err = await s
    .load(makeTar([
      { path: 'manifest.json', body: JSON.stringify([{ Config: 'config.json', RepoTags: ['bomb:1'], Layers: ['bomb.tar.gz'] }]) },
      { path: 'config.json', body: JSON.stringify({ rootfs: { type: 'layers', diff_ids: ['sha256:' + 'a'.repeat(64)] } }) },
      { path: 'bomb.tar.gz', body: bomb },
    ]))
    .then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof InvalidArgument, `refused as invalid: ${String(err)}`);
  assert.match((err as Error).message, /decompressed size limit/);
  assert.ok(process.memoryUsage().rss - before < 256 * 2 ** 20, 'memory stays bounded');
  assert.deepEqual(await s.svc.list(), []);
  assert.deepEqual(await s.svc.snapshots.list(), []);
});

test('a layer with a huge pax header (a 4 MiB path) is refused or skipped with bounded memory', async () => {
  const long = 'a/'.repeat(2 << 20);
  // A pax record is "LEN path=VALUE\n", where LEN counts its own digits too.
  const rec = (() => {
    const body = ` path=${long}\n`;
    let len = body.length;
    while (String(len + String(len).length).length !== String(len).length) len++;
    return Buffer.from(`${len + String(len).length}${body}`);
  })();
  const paxHeader = makeTar([{ path: 'PaxHeader', body: rec }]).subarray(0, 512);
  const ph = Buffer.from(paxHeader);
  ph[156] = 'x'.charCodeAt(0);
  let sum = 8 * 32;
  for (let i = 0; i < 512; i++) if (i < 148 || i >= 156) sum += ph[i]!;
  ph.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  const layer = Buffer.concat([ph, rec, Buffer.alloc((512 - (rec.length % 512)) % 512), makeTar([{ path: 'f', body: 'x' }])]);
  const before = process.memoryUsage().rss;
  const archive = makeTar([
    { path: 'manifest.json', body: JSON.stringify([{ Config: 'config.json', RepoTags: ['pax:1'], Layers: ['l.tar'] }]) },
    { path: 'config.json', body: JSON.stringify({ rootfs: { type: 'layers', diff_ids: [sha(layer)] } }) },
    { path: 'l.tar', body: layer },
  ]);
  await tryLoad(archive);
  assert.ok(process.memoryUsage().rss - before < 256 * 2 ** 20, 'memory stays bounded');
});
