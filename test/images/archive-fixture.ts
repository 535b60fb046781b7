// Builds docker-save archives in memory (manifest.json, config, one tar per layer) from fixture
// entries, including hostile layers no real tool would write, and an in-process images service
// on a temp data dir to load them into. Shared by the hostile-image tests and the fuzz suites.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { SqliteStore } from '../../src/modules/state-store/sqlite-store.js';
import { BlobStore } from '../../src/modules/images/blob-store.js';
import { SnapshotStore } from '../../src/modules/images/snapshots.js';
import { RootfsManager } from '../../src/modules/images/rootfs.js';
import { RegistryClient } from '../../src/modules/images/registry-client.js';
import { ImageService, type ServiceOptions } from '../../src/modules/images/image-service.js';
import { makeTar, type FixtureEntry } from '../../src/modules/images/tar-fixture.test-util.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A docker-save archive with one image of these layers (each a list of tar entries). */
export function dockerSave(layers: FixtureEntry[][], opts: { tag?: string; config?: object; manifest?: unknown } = {}): Buffer {
  const tars = layers.map((l) => makeTar(l));
  const config = Buffer.from(JSON.stringify(opts.config ?? { architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: tars.map(sha) } }));
  const manifest = opts.manifest ?? [{ Config: 'config.json', RepoTags: [opts.tag ?? 'hostile:1'], Layers: tars.map((_, i) => `l${i}/layer.tar`) }];
  const entries: FixtureEntry[] = [
    { path: 'manifest.json', body: typeof manifest === 'string' ? manifest : JSON.stringify(manifest) },
    { path: 'config.json', body: config.toString() },
  ];
  tars.forEach((t, i) => entries.push({ path: `l${i}/`, type: 'Directory' }, { path: `l${i}/layer.tar`, body: t }));
  return makeTar(entries);
}

export interface TestImages {
  svc: ImageService;
  dir: string;
  load(archive: Buffer): ReturnType<typeof import('../../src/modules/images/archive.js').loadArchive>;
  close(): Promise<void>;
}

export interface TestImagesOptions {
  overlay?: boolean;
  limits?: ServiceOptions['limits'];
  /** Registry credentials for every pull and push. */
  creds?: { username: string; password: string };
  /** Resumed attempts per layer (default 0: a fault shows at once). */
  retries?: number;
  minFreeRatio?: number;
}

export async function imagesService(parent: string, opts: TestImagesOptions = {}): Promise<TestImages> {
  const dir = await mkdtemp(path.join(parent, 'svc-'));
  const store = new SqliteStore(path.join(dir, 'state.db'));
  const blobs = new BlobStore(dir);
  await blobs.init();
  const snapshots = new SnapshotStore(path.join(dir, 'snapshots'));
  await snapshots.init();
  const rootfs = new RootfsManager(path.join(dir, 'rootfs'), snapshots, { overlay: opts.overlay ?? true });
  await rootfs.init();
  const client = new RegistryClient({ insecure: [], credentials: async () => opts.creds });
  const svc = new ImageService(store, blobs, snapshots, rootfs, client, {
    maxConcurrentDownloads: 3,
    retries: opts.retries ?? 0,
    chown: process.getuid?.() === 0,
    gc: { minFreeRatio: opts.minFreeRatio ?? 0, minFreeBytes: 0, ingestMaxAgeMs: 3_600_000 },
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  const { loadArchive } = await import('../../src/modules/images/archive.js');
  return {
    svc,
    dir,
    load: (archive) => loadArchive(svc, Readable.from([archive]), blobs.scratchDir),
    async close() {
      for (const id of await svc.listRootfs()) await svc.removeRootfs(id);
      await client.close();
      await store.close();
      await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    },
  };
}
