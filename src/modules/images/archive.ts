// Images that do not come from a registry: `load` (docker save archives, OCI archives and
// layouts) and `import` (a plain root filesystem tarball). Archives are unpacked into a private
// temp dir by node-tar (which strips absolute paths and ".." and refuses to follow links), and
// every blob is verified against its digest on the way into the store.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { InvalidArgument, NotFound, errorMessage } from '../../kernel/errors.js';
import { createDecompressor, withSniffedCompression } from './decompress.js';
import { z } from 'zod';
import { MT, manifestKind, type Descriptor, type ImageConfigBlob, type Manifest } from './media-types.js';
import { SizeBudget } from './limits.js';
import { dockerSaveSchema, imageConfigSchema, indexSchema, manifestSchema, parseJsonWith, validateWith } from './schemas.js';
import { DEFAULT_PLATFORM, selectManifest } from './platform.js';
import { parseRef, tagName } from './reference.js';
import { chainIds } from './snapshots.js';
import type { ImageService } from './image-service.js';
import { runConfig, type StoredImage } from './stored-image.js';

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

/** A regular file inside dir, following links only if they stay inside. */
async function inside(dir: string, rel: string): Promise<string> {
  if (typeof rel !== 'string' || rel.includes('\0')) throw new InvalidArgument('archive entry path is not a valid path');
  const p = path.resolve(dir, rel);
  const real = await realpath(p).catch(() => {
    throw new InvalidArgument(`archive is missing ${rel}`);
  });
  const root = await realpath(dir);
  if (real !== root && !real.startsWith(root + '/')) throw new InvalidArgument(`archive entry ${rel} points outside the archive`);
  if (!(await stat(real)).isFile()) throw new InvalidArgument(`archive entry ${rel} is not a regular file`);
  return real;
}

/** Manifests, indexes and configs are read whole: bounded, like a registry's (4/16 MiB). */
const MAX_JSON = 16 * 2 ** 20;

async function readSmall(file: string, what: string): Promise<Buffer> {
  if ((await stat(file)).size > MAX_JSON) throw new InvalidArgument(`${what} is larger than 16 MiB`);
  return readFile(file);
}

const jsonObject = z.record(z.string(), z.unknown());

async function digestOfFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) h.update(c);
  return `sha256:${h.digest('hex')}`;
}

/** sha256 of the decompressed content (the diff id), counting it against the image's budget. */
async function diffIdOfFile(file: string, budget: SizeBudget): Promise<{ diffId: string; mediaType: string }> {
  const { kind, stream } = await withSniffedCompression(createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>);
  const h = createHash('sha256');
  await pipeline(stream, createDecompressor(kind), async (s: AsyncIterable<Buffer>) => {
    for await (const c of s) {
      budget.add(c.length);
      h.update(c);
    }
  }).catch((e: unknown) => {
    if (e instanceof InvalidArgument) throw e;
    throw new InvalidArgument(`layer ${path.basename(file)} is not a readable (gzip/zstd/plain) tar stream: ${(e as Error).message}`);
  });
  return { diffId: `sha256:${h.digest('hex')}`, mediaType: kind === 'gzip' ? MT.ociLayerGzip : kind === 'zstd' ? MT.ociLayerZstd : MT.ociLayer };
}

export async function loadArchive(svc: ImageService, src: Readable, scratch = svc.content.scratchDir): Promise<StoredImage[]> {
  return svc.track(() => loadArchiveTracked(svc, src, scratch)).catch(async (e: unknown) => {
    await svc.gc(); // nothing of a failed load stays
    throw e;
  });
}

async function loadArchiveTracked(svc: ImageService, src: Readable, scratch: string): Promise<StoredImage[]> {
  const dir = await mkdtemp(path.join(scratch, 'load-'));
  try {
    try {
      // An OCI archive or docker save may itself be compressed: node-tar detects gzip.
      await pipeline(src, tar.x({ cwd: dir, strict: true, preserveOwner: false, filter: (_p, e) => ['File', 'OldFile', 'Directory', 'SymbolicLink'].includes((e as tar.ReadEntry).type) }));
    } catch (e) {
      throw new InvalidArgument(`not a readable image archive: ${(e as Error).message}`);
    }
    return await loadDir(svc, dir);
  } finally {
    // A failed extraction may still have writes in flight (ENOTEMPTY while removing): retry, and
    // never let the clean-up mask the real error (the scratch dir is emptied at start-up anyway).
    await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }).catch((e: unknown) => svc.warn({ err: errorMessage(e), dir }, 'removing a load scratch dir failed'));
  }
}

/** Loads from an unpacked archive or an OCI layout directory. */
export async function loadDir(svc: ImageService, dir: string): Promise<StoredImage[]> {
  if (await exists(path.join(dir, 'manifest.json'))) return loadDockerSave(svc, dir);
  if (await exists(path.join(dir, 'index.json'))) return loadOciLayout(svc, dir);
  // Neither at the top: a wrong-shaped archive, not our failure.
  throw new InvalidArgument('archive has neither manifest.json (docker save) nor index.json (OCI layout)');
}

async function loadOciLayout(svc: ImageService, dir: string): Promise<StoredImage[]> {
  const blobPath = (d: Descriptor) => inside(dir, path.join('blobs', ...d.digest.split(':')));
  const readBlob = async (d: Descriptor, what: string) => {
    const bytes = await readSmall(await blobPath(d), what);
    return svc.content.put(bytes, d.digest).then(() => bytes);
  };
  const index = parseJsonWith(indexSchema, await readSmall(await inside(dir, 'index.json'), 'index.json'), 'index.json');
  const out: StoredImage[] = [];
  for (const top of index.manifests) {
    let desc = top;
    let raw = parseJsonWith(jsonObject, await readBlob(desc, `manifest ${desc.digest}`), `manifest ${desc.digest}`);
    if (manifestKind(raw, desc.mediaType) === 'index') {
      const nested = validateWith(indexSchema, raw, `index ${desc.digest}`);
      desc = selectManifest(nested.manifests, DEFAULT_PLATFORM);
      raw = parseJsonWith(jsonObject, await readBlob(desc, `manifest ${desc.digest}`), `manifest ${desc.digest}`);
    }
    const body = validateWith(manifestSchema, raw, `manifest ${desc.digest}`);
    svc.checkLayerCount(body.layers.length, `manifest ${desc.digest}`);
    const ann = top.annotations ?? {};
    const nameAnn = ann['io.containerd.image.name'] ?? ann['org.opencontainers.image.ref.name'];
    const name = nameAnn && /[/:]/.test(nameAnn) ? tagName(parseRef(nameAnn)) : undefined;
    for (const l of body.layers) {
      if (!(await svc.content.has(l.digest))) await svc.content.putStream(createReadStream(await blobPath(l)), l.digest);
    }
    out.push(await register(svc, body, desc.digest, desc.mediaType ?? body.mediaType ?? MT.ociManifest, await readBlob(body.config, `config ${body.config.digest}`), name ? [name] : []));
  }
  if (!out.length) throw new InvalidArgument('the OCI layout lists no images');
  return out;
}

async function loadDockerSave(svc: ImageService, dir: string): Promise<StoredImage[]> {
  const entries = parseJsonWith(dockerSaveSchema, await readSmall(await inside(dir, 'manifest.json'), 'manifest.json'), 'manifest.json');
  const out: StoredImage[] = [];
  for (const [i, e] of entries.entries()) {
    svc.checkLayerCount(e.Layers.length, `manifest.json image ${i}`);
    const configBytes = await readSmall(await inside(dir, e.Config), e.Config);
    const config = parseJsonWith(imageConfigSchema, configBytes, e.Config);
    const configDigest = await svc.content.put(configBytes);
    const budget = new SizeBudget(svc.limits.maxImageBytes);
    const layers: Descriptor[] = [];
    for (const rel of e.Layers) {
      const file = await inside(dir, rel);
      const { diffId, mediaType } = await diffIdOfFile(file, budget);
      const digest = mediaType === MT.ociLayer ? diffId : await digestOfFile(file);
      await svc.content.putStream(createReadStream(file), digest);
      layers.push({ mediaType, digest, size: (await stat(file)).size });
    }
    if ((config.rootfs?.diff_ids ?? []).length !== layers.length) throw new InvalidArgument(`${e.Config}: config lists ${config.rootfs?.diff_ids?.length ?? 0} layers, the archive ${layers.length}`);
    const manifest: Manifest = { schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: configDigest, size: configBytes.length }, layers };
    const mBytes = Buffer.from(JSON.stringify(manifest));
    const mDigest = await svc.content.put(mBytes);
    out.push(await register(svc, manifest, mDigest, MT.ociManifest, configBytes, (e.RepoTags ?? []).map((t) => tagName(parseRef(t)))));
  }
  return out;
}

async function register(svc: ImageService, manifest: Manifest, digest: string, mediaType: string, configBytes: Buffer, names: string[]): Promise<StoredImage> {
  const config: ImageConfigBlob = parseJsonWith(imageConfigSchema, configBytes, `config of ${digest}`);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) throw new InvalidArgument(`image ${digest}: config lists ${diffIds.length} layers, manifest ${manifest.layers.length}`);
  await svc.unpackLayers(undefined, manifest.layers, diffIds);
  const chain = chainIds(diffIds);
  const size = await svc.content.layerSize(chain);
  const img: StoredImage = {
    id: manifest.config.digest,
    digest,
    repoTags: [],
    size,
    created: config.created,
    platform: { os: config.os ?? 'linux', architecture: config.architecture ?? 'amd64', ...(config.variant ? { variant: config.variant } : {}) },
    config: runConfig(config.config),
    layers: diffIds,
    manifestMediaType: mediaType,
    blobs: manifest.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    chainIds: chain,
  };
  let saved = await svc.saveRecord(img);
  for (const n of names) saved = await svc.saveRecord(img, n);
  return saved;
}

const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** `import`: one tarball (optionally gzip/zstd) becomes a one-layer image named `name`. */
export async function importRootfs(svc: ImageService, src: Readable, name: string, opts: { cmd?: string[]; env?: string[] } = {}): Promise<StoredImage> {
  const img = await svc.track(() => importTracked(svc, src, name, opts)).catch(async (e: unknown) => {
    await svc.gc(); // nothing of a failed import stays
    throw e;
  });
  return img;
}

async function importTracked(svc: ImageService, src: Readable, name: string, opts: { cmd?: string[]; env?: string[] }): Promise<StoredImage> {
  const ref = parseRef(name);
  if (!ref.tag) throw new InvalidArgument(`import needs NAME[:TAG], not a digest (${name})`);
  const { digest, size } = await svc.content.putStream(src);
  if (size === 0) {
    await svc.content.delete(digest);
    throw new InvalidArgument('the root filesystem archive is empty');
  }
  let diff: { diffId: string; mediaType: string };
  try {
    diff = await diffIdOfFile(svc.content.file(digest), new SizeBudget(svc.limits.maxImageBytes));
  } catch (e) {
    await svc.content.delete(digest);
    throw new InvalidArgument(`root filesystem archive is not readable: ${(e as Error).message}`);
  }
  const config = {
    created: new Date().toISOString(),
    architecture: goArch[process.arch] ?? process.arch,
    os: 'linux',
    config: { Env: opts.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ...(opts.cmd ? { Cmd: opts.cmd } : {}) },
    rootfs: { type: 'layers', diff_ids: [diff.diffId] },
    history: [{ created: new Date().toISOString(), created_by: 'llmos import' }],
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = await svc.content.put(configBytes);
  const manifest: Manifest = { schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: configDigest, size: configBytes.length }, layers: [{ mediaType: diff.mediaType, digest, size }] };
  const mBytes = Buffer.from(JSON.stringify(manifest));
  const mDigest = await svc.content.put(mBytes);
  return register(svc, manifest, mDigest, MT.ociManifest, configBytes, [tagName(ref)]);
}

/** `push`: uploads what the registry lacks, then the manifest under the reference's tag. */
export async function pushImage(svc: ImageService, refStr: string, onBlob?: (d: Descriptor, status: 'exists' | 'pushed') => void): Promise<{ ref: string; digest: string }> {
  const ref = parseRef(refStr);
  if (!ref.tag) throw new InvalidArgument(`push needs NAME:TAG (${refStr})`);
  const img = await svc.getStored(refStr);
  let bytes: Buffer;
  try {
    bytes = await svc.content.read(img.digest);
  } catch {
    throw new NotFound(`the manifest of ${refStr} is not in the local store; pull or load the image again`);
  }
  const manifest = JSON.parse(bytes.toString()) as Manifest;
  for (const d of [...manifest.layers, manifest.config]) {
    if (await svc.client.blobExists(ref, d.digest)) {
      onBlob?.(d, 'exists');
      continue;
    }
    if (!(await svc.content.has(d.digest))) throw new NotFound(`blob ${d.digest} of ${refStr} is not in the local store`);
    await svc.client.uploadBlob(ref, d.digest, d.size, () => svc.content.open(d.digest));
    onBlob?.(d, 'pushed');
  }
  await svc.client.putManifest(ref, ref.tag, bytes, img.manifestMediaType);
  await svc.saveRecord(img, tagName(ref));
  return { ref: tagName(ref), digest: img.digest };
}

