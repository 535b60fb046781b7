// Layers: makes sure each layer of an image has its blob and its snapshot. A layer travels in
// one stream: registry body -> sha256 + append to ingest/<hex> -> decompress -> diff-id sha256 ->
// tar extraction into a temp snapshot. All layers of an image run at once (bounded); each waits
// for the layer below only to settle cross-layer checks.
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { PullProgress } from '../../contracts/images.js';
import { InvalidArgument, NotFound, errorMessage } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { DigestMismatch, type BlobStore } from './blob-store.js';
import { createDecompressor, withSniffedCompression } from './decompress.js';
import { SizeBudget, type ImageLimits } from './limits.js';
import type { Descriptor } from './media-types.js';
import type { ImageRef } from './reference.js';
import type { RegistryClient } from './registry-client.js';
import { chainIds, finalizeLayer, type SnapshotStore } from './snapshots.js';
import { KeyedLock, Semaphore } from './sync.js';
import { LowerFailed, download, isRetryable, progressReporter, readLocal, wrapLayerError } from './transfer.js';
import { UnsafeArchive, createExtractor } from './unpack.js';

export interface LayerFetcherDeps {
  blobs: BlobStore;
  snapshots: SnapshotStore;
  client: RegistryClient;
  limits: Required<ImageLimits>;
  maxConcurrentDownloads: number;
  retries: number;
  chown: boolean;
  log?: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

export class LayerFetcher {
  private readonly downloads: Semaphore;
  private readonly inflight = new Map<string, Promise<void>>();
  /** The same blob can appear twice (empty layers): only one transfer may write its ingest file. */
  private readonly blobLocks = new KeyedLock();

  constructor(private readonly d: LayerFetcherDeps) {
    this.downloads = new Semaphore(Math.max(1, d.maxConcurrentDownloads));
  }

  /** Whether a layer is being fetched: garbage collection must not run meanwhile. */
  get busy(): boolean {
    return this.inflight.size > 0;
  }

  /** Refuses images with more layers than we mount (and than Docker accepts). */
  checkLayerCount(n: number, what: string): void {
    if (n > this.d.limits.maxLayers) throw new InvalidArgument(`${what} has ${n} layers; images may have at most ${this.d.limits.maxLayers}`);
  }

  /**
   * Makes sure every layer has its blob and its snapshot. `ref` is where missing blobs come from
   * (undefined: they must already be local, e.g. for images loaded from an archive).
   */
  async unpackLayers(ref: ImageRef | undefined, layers: Descriptor[], diffIds: string[], onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    this.checkLayerCount(layers.length, 'the image');
    const chain = chainIds(diffIds);
    const budget = new SizeBudget(this.d.limits.maxImageBytes);
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
    const needBlob = !(await this.d.blobs.has(desc.digest));
    const needSnapshot = !(await this.d.snapshots.has(chainId));
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
        const source = needBlob ? download(this.d.blobs, this.d.client, this.d.log, ref!, desc, (n) => report('downloading', n), signal) : readLocal(this.d.blobs, desc, (n) => report('extracting', n));
        if (!needSnapshot) {
          for await (const _ of source) void _;
          faultPoint('images.pull.commit');
          await this.d.blobs.commitIngest(desc.digest);
          release();
          report('done', desc.size, true);
          return;
        }
        faultPoint('images.pull.unpack');
        tmp = await this.d.snapshots.temp();
        const { kind, stream } = await withSniffedCompression(source);
        const diff = createHash('sha256');
        const ex = createExtractor(tmp.fs, { chown: this.d.chown });
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
          await this.d.blobs.commitIngest(desc.digest);
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
        const lowers = await Promise.all(chain.slice(0, -1).reverse().map((c) => this.d.snapshots.lower(c)));
        const r = ex.result();
        const fin = await finalizeLayer(tmp.fs, r, lowers, this.d.chown);
        faultPoint('images.pull.snapshot');
        await this.d.snapshots.commit(tmp.dir, {
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
        if (tmp) await rm(tmp.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }).catch((err: unknown) => this.d.log?.warn({ err: errorMessage(err), dir: tmp?.dir }, 'removing a temp snapshot failed'));
        // Bad content is not kept for resuming: the next try starts over.
        if (needBlob && !committed && (e instanceof DigestMismatch || e instanceof UnsafeArchive || e instanceof InvalidArgument || (e as { code?: string }).code?.startsWith('Z_'))) await this.d.blobs.discardIngest(desc.digest);
        // Only the transfer is retried; once the blob is in, a failure is final.
        if (committed || e instanceof LowerFailed || signal?.aborted || !isRetryable(e) || attempt >= this.d.retries) throw wrapLayerError(desc, e);
        this.d.log?.warn({ layer: desc.digest, attempt: attempt + 1, err: errorMessage(e) }, 'layer transfer interrupted; resuming');
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
  }
}
