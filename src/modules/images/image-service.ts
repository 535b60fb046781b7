// The images service: pulls (manifest -> platform -> config -> layers), keeps image records in
// the state store, builds container root filesystems, and collects garbage. Its parts: records
// (stored-image.ts), manifest resolution (manifest-resolve.ts), layer transfer and unpacking
// (layer-fetch.ts), what gc keeps (image-gc.ts); archives and push are in archive.ts.
import { statfs } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ImageRecord, ImageStoreApi, PullProgress } from '../../contracts/images.js';
import type { StateStore } from '../../contracts/state-store.js';
import { faultPoint } from '../../kernel/faults.js';
import { FailedPrecondition, InvalidArgument, NotFound, Unavailable } from '../../kernel/errors.js';
import { importRootfs, loadArchive, pushImage } from './archive.js';
import { saveArchive } from './save.js';
import type { CredentialStore } from './auth.js';
import type { BlobStore } from './blob-store.js';
import { ImageContent } from './content.js';
import { staleIngest, underPressure, unreferenced, type GcPolicy } from './gc-policy.js';
import { references } from './image-gc.js';
import { LayerFetcher } from './layer-fetch.js';
import { DEFAULT_LIMITS, type ImageLimits } from './limits.js';
import { resolveManifest } from './manifest-resolve.js';
import type { Descriptor, ImageConfigBlob } from './media-types.js';
import { formatPlatform, parsePlatform } from './platform.js';
import { parseRef, repoName, tagName, type ImageRef } from './reference.js';
import { readCappedBody, type RegistryClient } from './registry-client.js';
import type { RootfsManager } from './rootfs.js';
import { chainIds, type SnapshotStore } from './snapshots.js';
import { imageConfigSchema, parseJsonWith } from './schemas.js';
import { KEY, findStored, publicRecord, runConfig, type StoredImage } from './stored-image.js';
import { Mutex } from './sync.js';

export { publicRecord, runConfig, type StoredImage } from './stored-image.js';

export interface ServiceOptions {
  maxConcurrentDownloads: number;
  retries: number;
  chown: boolean;
  gc: GcPolicy;
  limits?: ImageLimits;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
  publish?: (topic: string, subject: string, message: string, data?: Record<string, unknown>) => void;
}

export class ImageService implements ImageStoreApi {
  private readonly records = new Mutex();
  private readonly layerFetcher: LayerFetcher;
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
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.content = new ImageContent(blobs, snapshots);
    this.layerFetcher = new LayerFetcher({ blobs, snapshots, client, limits: this.limits, maxConcurrentDownloads: opts.maxConcurrentDownloads, retries: opts.retries, chown: opts.chown, log: opts.log });
  }

  readonly limits: Required<ImageLimits>;
  /** Blobs by digest and layer sizes: what load, import and push work through. */
  readonly content: ImageContent;

  warn(o: object, m: string): void {
    this.opts.log?.warn(o, m);
  }

  /** Refuses images with more layers than we mount (and than Docker accepts). */
  checkLayerCount(n: number, what: string): void {
    this.layerFetcher.checkLayerCount(n, what);
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
    return findStored(await this.listStored(), ref);
  }

  async get(ref: string): Promise<ImageRecord> {
    return publicRecord(await this.getStored(ref));
  }

  /** Saves an image under a name, moving the name off any other image. */
  async saveRecord(img: StoredImage, name?: string): Promise<StoredImage> {
    return this.records.runExclusive(async () => {
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

  // ---- pull, load, import, push --------------------------------------------------------------

  /** Refuses a malformed reference or platform before a pull starts (and before a stream is opened). */
  checkPull(ref: string, platform?: string): void {
    parseRef(ref);
    parsePlatform(platform);
  }

  async load(src: Readable): Promise<ImageRecord[]> {
    return (await loadArchive(this, src)).map(publicRecord);
  }

  async importRootfs(src: Readable, name: string, opts: { cmd?: string[]; env?: string[] } = {}): Promise<ImageRecord> {
    return publicRecord(await importRootfs(this, src, name, opts));
  }

  readonly save = (refs: readonly string[]): Promise<Readable> => saveArchive(this, refs); // docker save (save.ts)
  push(ref: string, onBlob?: (blob: { digest: string; status: 'exists' | 'pushed' }) => void): Promise<{ ref: string; digest: string }> {
    return pushImage(this, ref, (d, status) => onBlob?.({ digest: d.digest, status }));
  }

  async pull(refStr: string, opts: { platform?: string; onProgress?: (p: PullProgress) => void; signal?: AbortSignal } = {}): Promise<ImageRecord> {
    return publicRecord(await this.pullStored(refStr, opts));
  }

  async pullStored(refStr: string, opts: { platform?: string; onProgress?: (p: PullProgress) => void; signal?: AbortSignal } = {}): Promise<StoredImage> {
    const ref = parseRef(refStr);
    const want = parsePlatform(opts.platform);
    this.activePulls++;
    try {
      const resolved = await resolveManifest((r) => this.client.getManifest(ref, r, opts.signal), ref.digest ?? ref.tag!, refStr, want);
      const { manifest, bytes: manifestBytes, digest: manifestDigest, mediaType, singlePlatform } = resolved;
      this.checkLayerCount(manifest.layers.length, refStr);

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
        size: await this.content.layerSize(chainIds(diffIds)),
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
  unpackLayers(ref: ImageRef | undefined, layers: Descriptor[], diffIds: string[], onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    return this.layerFetcher.unpackLayers(ref, layers, diffIds, onProgress, signal);
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
    return this.records.runExclusive(async () => {
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
    await this.records.runExclusive(async () => {
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
    if (this.activePulls > 0 || this.layerFetcher.busy) return { blobs: 0, snapshots: 0, bytes: 0 };
    const { blobs: blobRefs, snapshots: snapRefs } = references(await this.listStored(), await this.rootfs.list());
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
