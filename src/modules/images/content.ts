// The images service's content API: blobs by digest and the size of unpacked layers. This is
// what load, import and push (archive.ts) build and ship images with, so they never reach into the
// blob store's or the snapshot store's files.
import type { Readable } from 'node:stream';
import type { BlobStore } from './blob-store.js';
import type { SnapshotStore } from './snapshots.js';

export class ImageContent {
  constructor(
    private readonly blobs: BlobStore,
    private readonly snapshots: SnapshotStore,
  ) {}

  /** A private temp dir on the store's file system (emptied at start-up). */
  get scratchDir(): string {
    return this.blobs.scratchDir;
  }

  /** Stores bytes; with `expected` they must hash to it. Returns the digest. */
  put(bytes: Uint8Array, expected?: string): Promise<string> {
    return this.blobs.put(bytes, expected);
  }

  /** Stores a stream, hashing as it goes; with `expected` a mismatch stores nothing. */
  putStream(src: Readable | AsyncIterable<Buffer>, expected?: string): Promise<{ digest: string; size: number }> {
    return this.blobs.putStream(src, expected);
  }

  has(digest: string): Promise<boolean> {
    return this.blobs.has(digest);
  }

  /** Removes a blob; returns the bytes freed. */
  delete(digest: string): Promise<number> {
    return this.blobs.delete(digest);
  }

  /** The blob's file, for readers that need a path (decompression sniffing). */
  file(digest: string): string {
    return this.blobs.path(digest);
  }

  read(digest: string): Promise<Buffer> {
    return this.blobs.read(digest);
  }

  open(digest: string): Readable {
    return this.blobs.open(digest);
  }

  /** Uncompressed bytes of the unpacked layers of a chain. */
  async layerSize(chain: readonly string[]): Promise<number> {
    let n = 0;
    for (const c of chain) n += (await this.snapshots.meta(c)).size;
    return n;
  }
}
