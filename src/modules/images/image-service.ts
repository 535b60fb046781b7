// The images service: pulls (manifest -> platform -> config -> layers), keeps image records in
// the state store, builds container root filesystems, and collects garbage.
//
// A layer travels in one stream: registry body -> sha256 + append to ingest/<hex> ->
// decompress -> diff-id sha256 -> tar extraction into a temp snapshot. All layers of an image
// run at once (bounded); each waits for the layer below only to settle cross-layer checks.
import { createHash } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { rm } from 'node:fs/promises';
import type { ImageRecord, ImageRunConfig, ImagesApi, PullProgress } from '../../contracts/images.js';
import type { StateStore } from '../../contracts/state-store.js';
import { faultPoint } from '../../kernel/faults.js';
import { FailedPrecondition, InvalidArgument, NotFound, Unavailable, errorMessage } from '../../kernel/errors.js';
import type { CredentialStore } from './auth.js';
import { BlobStore, DigestMismatch } from './blob-store.js';
import { createDecompressor, withSniffedCompression } from './decompress.js';
import { staleIngest, underPressure, unreferenced, type GcPolicy } from './gc-policy.js';
import { MT, manifestKind, type Descriptor, type ImageConfigBlob, type Manifest } from './media-types.js';
import { formatPlatform, parsePlatform, selectManifest } from './platform.js';
import { parseRef, repoName, tagName, type ImageRef } from './reference.js';
import { readCappedBody, type RegistryClient } from './registry-client.js';
import type { RootfsManager } from './rootfs.js';
import { chainIds, finalizeLayer, type SnapshotStore } from './snapshots.js';
import { imageConfigSchema, indexSchema, manifestSchema, parseJsonWith, validateWith } from './schemas.js';
import { z } from 'zod';
import { DEFAULT_LIMITS, SizeBudget, type ImageLimits } from './limits.js';
import { KeyedLock, Mutex, Semaphore } from './sync.js';
import { UnsafeArchive, createExtractor } from './unpack.js';
import { LowerFailed, download, isRetryable, progressReporter, readLocal, wrapLayerError } from './transfer.js';

/** What we keep per image, beyond the contract's record. */
export interface StoredImage extends ImageRecord {
  manifestMediaType: string;
  /** Layer blobs (compressed, as the registry serves them), base first. */
  blobs: Descriptor[];
  chainIds: string[];
  /** Registry the image came from, for `push` of the same name. */
  source?: string;
}

export interface ServiceOptions {
  maxConcurrentDownloads: number;
  retries: number;
  chown: boolean;
  gc: GcPolicy;
  limits?: ImageLimits;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
  publish?: (topic: string, subject: string, message: string, data?: Record<string, unknown>) => void;
}

const KEY = '/images/';

export function runConfig(c: ImageConfigBlob['config'] | undefined): ImageRunConfig {
  const out: ImageRunConfig = {};
  if (!c) return out;
  if (c.Entrypoint?.length) out.entrypoint = c.Entrypoint;
  if (c.Cmd?.length) out.cmd = c.Cmd;
  if (c.Env?.length) out.env = c.Env;
  if (c.WorkingDir) out.workingDir = c.WorkingDir;
  if (c.User) out.user = c.User;
  if (c.ExposedPorts && Object.keys(c.ExposedPorts).length) out.exposedPorts = Object.keys(c.ExposedPorts);
  if (c.StopSignal) out.stopSignal = c.StopSignal;
  if (c.Labels && Object.keys(c.Labels).length) out.labels = c.Labels;
  return out;
}


/** The public record: the contract's fields only. */
export const publicRecord = (s: StoredImage): ImageRecord => ({
  id: s.id,
  digest: s.digest,
  repoTags: s.repoTags,
  size: s.size,
  created: s.created,
  platform: s.platform,
  config: s.config,
  layers: s.layers,
});

export class ImageService implements ImagesApi {
  private readonly downloads: Semaphore;
  private readonly records = new Mutex();
  private readonly inflight = new Map<string, Promise<void>>();
  /** The same blob can appear twice (empty layers): only one transfer may write its ingest file. */
  private readonly blobLocks = new KeyedLock();
  private activePulls = 0;
  /** Set by the module: where `login` keeps credentials. */
  credentials?: CredentialStore;

  constructor(
    readonly store: StateStore,
    readonly blobs: BlobStore,
    readonly snapshots: SnapshotStore,
    readonly rootfs: RootfsManager,
    readonly client: RegistryClient,
    private readonly opts: ServiceOptions,
  ) {
    this.downloads = new Semaphore(Math.max(1, opts.maxConcurrentDownloads));
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
  }

  readonly limits: Required<ImageLimits>;

  warn(o: object, m: string): void {
    this.opts.log?.warn(o, m);
  }

  /** Refuses images with more layers than we mount (and than Docker accepts). */
  checkLayerCount(n: number, what: string): void {
    if (n > this.limits.maxLayers) throw new InvalidArgument(`${what} has ${n} layers; images may have at most ${this.limits.maxLayers}`);
  }

  /** Runs fn as a transfer: garbage collection waits (skips) until it is over. */
  async track<T>(fn: () => Promise<T>): Promise<T> {
    this.activePulls++;
    try {
      return await fn();
    } finally {
      this.activePulls--;
    }
  }

  // ---- records -------------------------------------------------------------------------------

  async listStored(): Promise<StoredImage[]> {
    const { items } = await this.store.list<StoredImage>(KEY);
    return items.map((i) => i.value);
  }

  async list(): Promise<ImageRecord[]> {
    return (await this.listStored()).map(publicRecord);
  }

  /** By id (or a 12+ hex prefix), manifest digest, name:tag, or name@digest. */
  async getStored(ref: string): Promise<StoredImage> {
    const all = await this.listStored();
    const s = ref.trim();
    const hexish = s.replace(/^sha256:/, '');
    if (/^[a-f0-9]{12,64}$/.test(hexish)) {
      const hits = all.filter((i) => i.id.slice(7).startsWith(hexish) || i.digest.slice(7).startsWith(hexish));
      if (hits.length === 1) return hits[0]!;
      if (hits.length > 1) throw new InvalidArgument(`image id prefix ${s} is ambiguous`);
    }
    let parsed: ImageRef | undefined;
    try {
      parsed = parseRef(s);
    } catch {
      /* not a reference */
    }
    if (parsed) {
      const name = repoName(parsed);
      const hit = parsed.digest
        ? all.find((i) => i.digest === parsed.digest && (i.repoTags.some((t) => t.startsWith(name + ':') || t.startsWith(name + '@')) || i.source === name))
        : all.find((i) => i.repoTags.includes(tagName(parsed)));
      if (hit) return hit;
    }
    throw new NotFound(`image ${ref} not found locally (pull it first)`);
  }

  async get(ref: string): Promise<ImageRecord> {
    return publicRecord(await this.getStored(ref));
  }

  /** Saves an image under a name, moving the name off any other image. */
  async saveRecord(img: StoredImage, name?: string): Promise<StoredImage> {
    return this.records.run(async () => {
      const existing = (await this.store.get<StoredImage>(KEY + img.id))?.value;
      const tags = new Set([...(existing?.repoTags ?? []), ...img.repoTags]);
      if (name) {
        tags.add(name);
        for (const other of await this.listStored()) {
          if (other.id !== img.id && other.repoTags.includes(name)) {
            await this.store.put(KEY + other.id, { ...other, repoTags: other.repoTags.filter((t) => t !== name) });
          }
        }
      }
      const rec: StoredImage = { ...(existing ?? {}), ...img, repoTags: [...tags] };
      await this.store.put(KEY + img.id, rec);
      return rec;
    });
  }

  // ---- pull ----------------------------------------------------------------------------------

  async pull(refStr: string, opts: { platform?: string; onProgress?: (p: PullProgress) => void; signal?: AbortSignal } = {}): Promise<ImageRecord> {
    return publicRecord(await this.pullStored(refStr, opts));
  }

  async pullStored(refStr: string, opts: { platform?: string; onProgress?: (p: PullProgress) => void; signal?: AbortSignal } = {}): Promise<StoredImage> {
    const ref = parseRef(refStr);
    const want = parsePlatform(opts.platform);
    this.activePulls++;
    try {
      const top = await this.client.getManifest(ref, ref.digest ?? ref.tag!, opts.signal);
      let manifestBytes = top.bytes;
      let manifestDigest = top.digest;
      let body = parseJsonWith(jsonObject, top.bytes, `${refStr}: manifest`);
      let kind = manifestKind(body, top.mediaType);
      let mediaType = stringOr(body.mediaType, top.mediaType?.split(';')[0] ?? MT.ociManifest);
      if (kind === 'index') {
        const index = validateWith(indexSchema, body, `${refStr}: image index`);
        const desc = selectManifest(index.manifests, want);
        const m = await this.client.getManifest(ref, desc.digest, opts.signal);
        manifestBytes = m.bytes;
        manifestDigest = m.digest;
        body = parseJsonWith(jsonObject, m.bytes, `${refStr}: manifest`);
        kind = manifestKind(body, m.mediaType);
        mediaType = stringOr(body.mediaType, m.mediaType?.split(';')[0] ?? desc.mediaType ?? MT.ociManifest);
        if (kind !== 'manifest') throw new InvalidArgument(`${refStr}: the index entry for ${formatPlatform(want)} is itself an index`);
      }
      const manifest: Manifest = validateWith(manifestSchema, body, `${refStr}: manifest`);
      this.checkLayerCount(manifest.layers.length, refStr);

      const singlePlatform = top.digest === manifestDigest;
      const wrongPlatform = (p: { os?: string; architecture?: string }) => opts.platform && singlePlatform && p.architecture && (p.architecture !== want.architecture || (p.os && p.os !== want.os));
      // Unchanged since the last pull: nothing to download.
      const known = (await this.listStored()).find((i) => i.digest === manifestDigest);
      if (known && wrongPlatform(known.platform)) throw new NotFound(`${refStr} is a single-platform image for ${formatPlatform(known.platform)}, not ${formatPlatform(want)}`);
      if (known && (await this.layersPresent(known))) {
        for (const l of known.blobs) opts.onProgress?.({ layer: l.digest, status: 'exists', current: l.size, total: l.size });
        return this.saveRecord(known, tagName(ref));
      }

      const configBytes = await this.fetchSmallBlob(ref, manifest.config, opts.signal);
      const config: ImageConfigBlob = parseJsonWith(imageConfigSchema, configBytes, `${refStr}: image config`);
      const diffIds = config.rootfs?.diff_ids ?? [];
      if (diffIds.length !== manifest.layers.length) throw new InvalidArgument(`${refStr}: config lists ${diffIds.length} layers, manifest ${manifest.layers.length}`);
      if (wrongPlatform(config)) {
        throw new NotFound(`${refStr} is a single-platform image for ${config.os}/${config.architecture}, not ${formatPlatform(want)}`);
      }
      await this.unpackLayers(ref, manifest.layers, diffIds, opts.onProgress, opts.signal);
      faultPoint('images.pull.manifest');
      await this.blobs.put(manifestBytes, manifestDigest);
      const img: StoredImage = {
        id: manifest.config.digest,
        digest: manifestDigest,
        repoTags: [],
        size: await this.layerSize(chainIds(diffIds)),
        created: config.created,
        platform: { os: config.os ?? want.os, architecture: config.architecture ?? want.architecture, ...(config.variant ? { variant: config.variant } : {}) },
        config: runConfig(config.config),
        layers: diffIds,
        manifestMediaType: mediaType,
        blobs: manifest.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
        chainIds: chainIds(diffIds),
        source: repoName(ref),
      };
      // Last: an image is listed only once everything it needs is on disk.
      faultPoint('images.pull.record');
      const saved = await this.saveRecord(img, tagName(ref));
      this.opts.publish?.('/images/pull', `image/${tagName(ref)}`, `pulled ${tagName(ref)} (${manifestDigest.slice(0, 19)})`, { id: img.id, digest: manifestDigest });
      return saved;
    } catch (e) {
      this.activePulls--;
      // Bad content (corrupt, hostile) leaves nothing behind. An interrupted transfer keeps its
      // finished layers and partial downloads, so the next pull resumes (prune removes them).
      if (this.activePulls === 0 && e instanceof InvalidArgument) await this.gc().catch(() => undefined);
      this.activePulls++;
      throw e;
    } finally {
      this.activePulls--;
    }
  }

  private async layersPresent(img: StoredImage): Promise<boolean> {
    for (let i = 0; i < img.blobs.length; i++) {
      if (!(await this.blobs.has(img.blobs[i]!.digest)) || !(await this.snapshots.has(img.chainIds[i]!))) return false;
    }
    return true;
  }

  private async layerSize(chain: string[]): Promise<number> {
    let n = 0;
    for (const c of chain) n += (await this.snapshots.meta(c)).size;
    return n;
  }

  private async fetchSmallBlob(ref: ImageRef, desc: Descriptor, signal?: AbortSignal): Promise<Buffer> {
    if (await this.blobs.has(desc.digest)) return this.blobs.read(desc.digest);
    if (desc.size > 16 * 2 ** 20) throw new InvalidArgument(`config blob ${desc.digest} is larger than 16 MiB`);
    const { body } = await this.client.openBlob(ref, desc.digest, 0, signal);
    const bytes = await readCappedBody(body, desc.size, `config blob ${desc.digest}`);
    faultPoint('images.pull.config');
    await this.blobs.put(bytes, desc.digest);
    return bytes;
  }

  /**
   * Makes sure every layer has its blob and its snapshot. `ref` is where missing blobs come from
   * (undefined: they must already be local, e.g. for images loaded from an archive).
   */
  async unpackLayers(ref: ImageRef | undefined, layers: Descriptor[], diffIds: string[], onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    this.checkLayerCount(layers.length, 'the image');
    const chain = chainIds(diffIds);
    const budget = new SizeBudget(this.limits.maxImageBytes);
    const done: Array<Promise<void>> = [];
    for (let i = 0; i < layers.length; i++) {
      const lower = i > 0 ? done[i - 1] : undefined;
      const key = `${chain[i]}|${layers[i]!.digest}`;
      let job = this.inflight.get(key);
      if (!job) {
        job = this.layerJob(ref, layers[i]!, diffIds[i]!, chain.slice(0, i + 1), lower, budget, onProgress, signal).finally(() => this.inflight.delete(key));
        this.inflight.set(key, job);
      } else {
        // Another pull is fetching this layer: report it as waiting until it lands.
        const d = layers[i]!;
        onProgress?.({ layer: d.digest, status: 'waiting', current: 0, total: d.size });
        job = job.then(() => onProgress?.({ layer: d.digest, status: 'done', current: d.size, total: d.size }));
      }
      done.push(job);
    }
    const results = await Promise.allSettled(done);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) {
      // Report the root cause, not "the layer below failed" from the layers above it.
      const root = results.map((r) => (r.status === 'rejected' ? r.reason : undefined)).find((e) => e && !(e instanceof LowerFailed));
      throw root ?? failed.reason;
    }
  }

  private async layerJob(ref: ImageRef | undefined, desc: Descriptor, diffId: string, chain: string[], lower: Promise<void> | undefined, budget: SizeBudget, onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    const chainId = chain[chain.length - 1]!;
    const report = progressReporter(desc, onProgress);
    // Held only while the blob's ingest file is written, never while waiting for a lower layer
    // (two images with the same blobs in opposite order would otherwise deadlock).
    const unlock = await this.blobLocks.lock(desc.digest);
    let locked = true;
    const unlockBlob = () => {
      if (locked) unlock();
      locked = false;
    };
    try {
      await this.layerJobLocked(ref, desc, diffId, chain, chainId, lower, budget, report, unlockBlob, signal);
    } finally {
      unlockBlob();
    }
  }

  private async layerJobLocked(ref: ImageRef | undefined, desc: Descriptor, diffId: string, chain: string[], chainId: string, lower: Promise<void> | undefined, budget: SizeBudget, report: ReturnType<typeof progressReporter>, unlockBlob: () => void, signal?: AbortSignal): Promise<void> {
    const needBlob = !(await this.blobs.has(desc.digest));
    const needSnapshot = !(await this.snapshots.has(chainId));
    let committed = false;
    if (!needBlob && !needSnapshot) {
      report('exists', desc.size, true);
      return;
    }
    if (needBlob && !ref) throw new NotFound(`layer ${desc.digest} is missing from the local store`);
    report('waiting', 0, true);
    for (let attempt = 0; ; attempt++) {
      const release = await this.downloads.acquire();
      let tmp: { dir: string; fs: string } | undefined;
      try {
        const source = needBlob ? download(this.blobs, this.client, this.opts.log, ref!, desc, (n) => report('downloading', n), signal) : readLocal(this.blobs, desc, (n) => report('extracting', n));
        if (!needSnapshot) {
          for await (const _ of source) void _;
          faultPoint('images.pull.commit');
          await this.blobs.commitIngest(desc.digest);
          release();
          report('done', desc.size, true);
          return;
        }
        faultPoint('images.pull.unpack');
        tmp = await this.snapshots.temp();
        const { kind, stream } = await withSniffedCompression(source);
        const diff = createHash('sha256');
        const ex = createExtractor(tmp.fs, { chown: this.opts.chown });
        await pipeline(
          stream,
          createDecompressor(kind),
          async function* (s: AsyncIterable<Buffer>) {
            for await (const c of s) {
              // A decompression bomb stops here, before its bytes reach the disk.
              budget.add(c.length);
              diff.update(c);
              yield c;
            }
          },
          ex.stream,
        );
        const got = `sha256:${diff.digest('hex')}`;
        if (got !== diffId) throw new DigestMismatch(`layer ${desc.digest}: uncompressed content ${got} does not match the config's diff id ${diffId}`);
        // The blob is verified: keep it (a failed pull's GC removes it if the image never lands).
        if (needBlob) {
          faultPoint('images.pull.commit');
          await this.blobs.commitIngest(desc.digest);
        }
        committed = true;
        unlockBlob();
        release();
        report('extracting', desc.size, true);
        try {
          await lower;
        } catch (e) {
          throw new LowerFailed('a lower layer failed', { cause: e });
        }
        const lowers = await Promise.all(chain.slice(0, -1).reverse().map((c) => this.snapshots.lower(c)));
        const r = ex.result();
        const fin = await finalizeLayer(tmp.fs, r, lowers, this.opts.chown);
        faultPoint('images.pull.snapshot');
        await this.snapshots.commit(tmp.dir, {
          chainId,
          diffId,
          ...(chain.length > 1 ? { parent: chain[chain.length - 2] } : {}),
          whiteouts: fin.whiteouts,
          opaques: r.opaques,
          size: r.bytes,
          entries: r.entries,
          overlayWhiteouts: fin.overlayWhiteouts,
        });
        report('done', desc.size, true);
        return;
      } catch (e) {
        release();
        // Retried removal; a leftover .tmp- dir is swept at start-up, so it never masks the error.
        if (tmp) await rm(tmp.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }).catch((err: unknown) => this.warn({ err: errorMessage(err), dir: tmp?.dir }, 'removing a temp snapshot failed'));
        // Bad content is not kept for resuming: the next try starts over.
        if (needBlob && !committed && (e instanceof DigestMismatch || e instanceof UnsafeArchive || e instanceof InvalidArgument || (e as { code?: string }).code?.startsWith('Z_'))) await this.blobs.discardIngest(desc.digest);
        // Only the transfer is retried; once the blob is in, a failure is final.
        if (committed || e instanceof LowerFailed || signal?.aborted || !isRetryable(e) || attempt >= this.opts.retries) throw wrapLayerError(desc, e);
        this.opts.log?.warn({ layer: desc.digest, attempt: attempt + 1, err: errorMessage(e) }, 'layer transfer interrupted; resuming');
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
  }

  // ---- root filesystems ----------------------------------------------------------------------

  async createRootfs(ref: string, containerId: string): Promise<{ path: string; image: ImageRecord }> {
    let img: StoredImage;
    try {
      img = await this.getStored(ref);
    } catch (e) {
      if (!(e instanceof NotFound)) throw e;
      img = await this.pullStored(ref);
    }
    await this.unpackLayers(undefined, img.blobs, img.layers);
    let overlayWhiteouts = true;
    for (const c of img.chainIds) if (!(await this.snapshots.meta(c)).overlayWhiteouts) overlayWhiteouts = false;
    const rec = await this.rootfs.create(containerId, img.id, img.chainIds, overlayWhiteouts);
    return { path: rec.path, image: publicRecord(img) };
  }

  async removeRootfs(containerId: string): Promise<void> {
    await this.rootfs.remove(containerId);
  }

  async listRootfs(): Promise<string[]> {
    return (await this.rootfs.list()).map((r) => r.containerId);
  }

  /** Adds a name to a local image (moving it off any other image). */
  async tag(source: string, target: string): Promise<ImageRecord> {
    const img = await this.getStored(source);
    const ref = parseRef(target);
    if (!ref.tag || ref.digest) throw new InvalidArgument(`tag target must be NAME[:TAG] without a digest (${target})`);
    return publicRecord(await this.saveRecord({ ...img, repoTags: [] }, tagName(ref)));
  }

  /** Checks the credential against the registry, then stores it (0600). */
  async login(registry: string, username: string, password: string): Promise<void> {
    if (!this.credentials) throw new Unavailable('no credential store');
    if (!username || !password) throw new InvalidArgument('login needs a username and a password');
    await this.client.checkLogin(registry, { username, password });
    await this.credentials.set(registry, { username, password });
  }

  async logout(registry: string): Promise<void> {
    await this.credentials?.set(registry, undefined);
  }

  // ---- removal and garbage collection --------------------------------------------------------

  /** Untags (a name) or deletes (an id, or the last name); refuses while a container uses it, unless forced. */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<{ untagged: string[]; deleted?: string }> {
    const img = await this.getStored(ref);
    let name: string | undefined;
    try {
      const p = parseRef(ref);
      if (!p.digest && img.repoTags.includes(tagName(p))) name = tagName(p);
    } catch {
      /* an id */
    }
    return this.records.run(async () => {
      if (name && img.repoTags.length > 1) {
        await this.store.put(KEY + img.id, { ...img, repoTags: img.repoTags.filter((t) => t !== name) });
        return { untagged: [name] };
      }
      const users = (await this.rootfs.list()).filter((r) => r.imageId === img.id);
      if (users.length && !opts.force) throw new FailedPrecondition(`image ${ref} is used by container ${users.map((u) => u.containerId).join(', ')}: remove the container first (or force)`);
      await this.store.delete(KEY + img.id);
      this.opts.publish?.('/images/remove', `image/${img.repoTags[0] ?? img.id}`, `removed image ${img.repoTags[0] ?? img.id.slice(0, 19)}`, { id: img.id });
      return { untagged: img.repoTags, deleted: img.id };
    }).then(async (r) => {
      if (r.deleted) await this.gc();
      return r;
    });
  }

  /** Removes untagged images no container uses, then unreferenced blobs and snapshots. */
  async prune(): Promise<{ images: string[]; blobs: number; snapshots: number; bytes: number }> {
    const used = new Set((await this.rootfs.list()).map((r) => r.imageId));
    const removed: string[] = [];
    await this.records.run(async () => {
      for (const img of await this.listStored()) {
        if (img.repoTags.length === 0 && !used.has(img.id)) {
          await this.store.delete(KEY + img.id);
          removed.push(img.id);
        }
      }
    });
    // Partial downloads count as unreferenced too (gc skips them only while a pull runs).
    return { images: removed, ...(await this.gc(Date.now(), true)) };
  }

  /** Deletes blobs and snapshots no image or root filesystem references. Skipped during pulls. */
  async gc(now = Date.now(), pressure = false): Promise<{ blobs: number; snapshots: number; bytes: number }> {
    if (this.activePulls > 0 || this.inflight.size > 0) return { blobs: 0, snapshots: 0, bytes: 0 };
    const images = await this.listStored();
    const blobRefs = new Set<string>();
    const snapRefs = new Set<string>();
    for (const i of images) {
      blobRefs.add(i.id);
      blobRefs.add(i.digest);
      for (const b of i.blobs) blobRefs.add(b.digest);
      for (const c of i.chainIds) snapRefs.add(c);
    }
    for (const r of await this.rootfs.list()) for (const c of r.chain) snapRefs.add(c);
    let bytes = 0;
    const deadBlobs = unreferenced(await this.blobs.list(), blobRefs);
    for (const d of deadBlobs) bytes += await this.blobs.delete(d);
    const deadSnaps = unreferenced(await this.snapshots.list(), snapRefs);
    for (const c of deadSnaps) await this.snapshots.remove(c);
    for (const f of await this.blobs.listIngest()) {
      if (staleIngest(now, f.mtimeMs, this.opts.gc, pressure)) {
        bytes += f.size;
        await this.blobs.removeIngestFile(f.name);
      }
    }
    if (deadBlobs.length || deadSnaps.length) this.opts.log?.info({ blobs: deadBlobs.length, snapshots: deadSnaps.length, bytes }, 'image gc');
    return { blobs: deadBlobs.length, snapshots: deadSnaps.length, bytes };
  }

  /** Run by the reconciler: sweeps (and prunes dangling images) when the disk runs low. */
  async gcIfPressure(dir: string): Promise<boolean> {
    const s = await statfs(dir);
    const pressure = underPressure({ freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize }, this.opts.gc);
    if (!pressure) return false;
    this.opts.log?.warn({ dir }, 'disk pressure: collecting unused images, blobs and snapshots');
    await this.prune();
    await this.gc(Date.now(), true);
    return true;
  }
}



const jsonObject = z.record(z.string(), z.unknown());
const stringOr = (v: unknown, d: string): string => (typeof v === 'string' ? v : d);


