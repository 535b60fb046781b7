// Registration of the images module: content store, snapshots, registry client and the
// disk-pressure sweep. Image records live in the state store under /images/.
import path from 'node:path';
import { Kinds } from '../../contracts/kinds.js';
import type { StateStore } from '../../contracts/state-store.js';
import { InvalidArgument } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import { CredentialStore } from './auth.js';
import { BlobStore } from './blob-store.js';
import type { GcPolicy } from './gc-policy.js';
import { ImageService } from './image-service.js';
import { DEFAULT_LIMITS } from './limits.js';
import { RegistryClient } from './registry-client.js';
import { RootfsManager } from './rootfs.js';
import { SnapshotStore } from './snapshots.js';
import { LLMOS_VERSION } from '../../version.js';

export interface ImagesConfig {
  /** Registries (host[:port]) reached over plain HTTP; loopback always is. */
  insecureRegistries: string[];
  maxConcurrentDownloads: number;
  /** Resumed attempts after an interrupted layer transfer. */
  retries: number;
  /** Build root filesystems with overlayfs when the host has it (else copies). */
  overlay: boolean;
  gc: GcPolicy;
  /** How often to check the disk for pressure, ms. */
  gcIntervalMs: number;
  /** Layers one image may have (Docker: 127). */
  maxLayers: number;
  /** Uncompressed bytes of all layers of one image: a decompression bomb stops here. */
  maxImageBytes: number;
}

export const IMAGES_ID = 'default';

export const imagesModule = (): ModuleDef<ImagesConfig, ImageService> => ({
  kind: Kinds.images,
  id: IMAGES_ID,
  description: 'OCI images: registry pulls, content store, layer snapshots, container root filesystems',
  requires: [Kinds.stateStore],
  defaults: {
    insecureRegistries: [],
    maxConcurrentDownloads: 3,
    retries: 3,
    overlay: true,
    gc: { minFreeRatio: 0.05, minFreeBytes: 512 * 2 ** 20, ingestMaxAgeMs: 24 * 3600_000 },
    gcIntervalMs: 60_000,
    maxLayers: DEFAULT_LIMITS.maxLayers,
    maxImageBytes: DEFAULT_LIMITS.maxImageBytes,
  },
  validate(c) {
    if (!Array.isArray(c.insecureRegistries)) throw new InvalidArgument('images.insecureRegistries must be a list of host[:port]');
    if (!(c.maxConcurrentDownloads >= 1 && c.maxConcurrentDownloads <= 32)) throw new InvalidArgument('images.maxConcurrentDownloads must be 1..32');
    if (!(c.retries >= 0 && c.retries <= 10)) throw new InvalidArgument('images.retries must be 0..10');
    if (!(c.gc.minFreeRatio >= 0 && c.gc.minFreeRatio < 1)) throw new InvalidArgument('images.gc.minFreeRatio must be in [0, 1)');
    if (!(Number.isInteger(c.maxLayers) && c.maxLayers >= 1 && c.maxLayers <= 127)) throw new InvalidArgument('images.maxLayers must be an integer in 1..127');
    if (!(Number.isSafeInteger(c.maxImageBytes) && c.maxImageBytes >= 2 ** 20)) throw new InvalidArgument('images.maxImageBytes must be an integer of at least 1 MiB');
    return { ...c, gcIntervalMs: Math.max(1000, c.gcIntervalMs) };
  },
  async init(ctx) {
    const store = ctx.getSingle<StateStore>(Kinds.stateStore);
    const blobs = new BlobStore(ctx.dir);
    await blobs.init();
    const snapshots = new SnapshotStore(path.join(ctx.dir, 'snapshots'));
    await snapshots.init();
    const rootfs = new RootfsManager(path.join(ctx.dir, 'rootfs'), snapshots, { overlay: ctx.config.overlay && ctx.host.overlayfs, log: ctx.log });
    await rootfs.init();
    const creds = new CredentialStore(path.join(ctx.dataDir, 'registry-auth.json'));
    const client = new RegistryClient({ insecure: ctx.config.insecureRegistries, credentials: (r) => creds.get(r), userAgent: `llmos/${LLMOS_VERSION}` });
    const root = process.getuid?.() === 0;
    const svc = new ImageService(store, blobs, snapshots, rootfs, client, {
      maxConcurrentDownloads: ctx.config.maxConcurrentDownloads,
      retries: ctx.config.retries,
      chown: root,
      gc: ctx.config.gc,
      limits: { maxLayers: ctx.config.maxLayers, maxImageBytes: ctx.config.maxImageBytes },
      log: ctx.log,
      publish: (topic, subject, message, data) => ctx.events.publish({ topic, subject, message, data }),
    });
    svc.credentials = creds;
    ctx.reconciler.register('images/disk-pressure', async () => {
      await svc.gcIfPressure(ctx.dir);
    }, ctx.config.gcIntervalMs);
    Object.assign(ctx.meta.exports, { dir: ctx.dir, overlay: ctx.config.overlay && ctx.host.overlayfs, insecureRegistries: ctx.config.insecureRegistries });
    return svc;
  },
  stop: (svc) => svc.client.close(),
});
