// Content-addressed blob store: blobs/sha256/<hex>, written only after the bytes hashed to the
// digest they claim. Partial downloads wait in ingest/<hex> so an interrupted pull resumes.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { InvalidArgument, NotFound } from '../../kernel/errors.js';
import { digestRe } from './reference.js';

/** The bytes did not hash to the digest they were published under. */
export class DigestMismatch extends InvalidArgument {}

export const sha256 = (b: Uint8Array | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const hex = (digest: string): string => {
  if (!digestRe.test(digest)) throw new InvalidArgument(`unsupported digest ${digest} (only sha256)`);
  return digest.slice(7);
};

export class BlobStore {
  readonly blobsDir: string;
  readonly ingestDir: string;
  /** Scratch space for unpacking archives (`load`); emptied at start-up. */
  readonly scratchDir: string;

  constructor(root: string) {
    this.blobsDir = path.join(root, 'blobs', 'sha256');
    this.ingestDir = path.join(root, 'ingest');
    this.scratchDir = path.join(root, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await mkdir(this.ingestDir, { recursive: true });
    await rm(this.scratchDir, { recursive: true, force: true });
    await mkdir(this.scratchDir, { recursive: true });
  }

  path(digest: string): string {
    return path.join(this.blobsDir, hex(digest));
  }

  ingestPath(digest: string): string {
    return path.join(this.ingestDir, hex(digest));
  }

  async has(digest: string): Promise<boolean> {
    try {
      await stat(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  async size(digest: string): Promise<number> {
    try {
      return (await stat(this.path(digest))).size;
    } catch {
      throw new NotFound(`blob ${digest} is not in the local store`);
    }
  }

  /** Bytes already downloaded of an interrupted transfer. */
  async partialSize(digest: string): Promise<number> {
    try {
      return (await stat(this.ingestPath(digest))).size;
    } catch {
      return 0;
    }
  }

  async read(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch {
      throw new NotFound(`blob ${digest} is not in the local store`);
    }
  }

  open(digest: string): Readable {
    return createReadStream(this.path(digest), { highWaterMark: 1 << 20 });
  }

  /** Stores bytes; with `expected` they must hash to it. Returns the digest. */
  async put(bytes: Uint8Array, expected?: string): Promise<string> {
    const digest = sha256(bytes);
    if (expected && digest !== expected) throw new DigestMismatch(`content does not match its digest ${expected} (got ${digest})`);
    if (await this.has(digest)) return digest;
    const tmp = path.join(this.ingestDir, `put-${process.pid}-${Math.random().toString(36).slice(2)}`);
    await writeFile(tmp, bytes);
    await rename(tmp, this.path(digest));
    return digest;
  }

  /** Stores a stream, hashing as it goes; with `expected` a mismatch stores nothing. */
  async putStream(src: Readable | AsyncIterable<Buffer>, expected?: string): Promise<{ digest: string; size: number }> {
    const tmp = path.join(this.ingestDir, `put-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const h = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        src,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const c of source) {
            h.update(c);
            size += c.length;
            yield c;
          }
        },
        createWriteStream(tmp),
      );
      const digest = `sha256:${h.digest('hex')}`;
      if (expected && digest !== expected) throw new DigestMismatch(`content does not match its digest ${expected} (got ${digest})`);
      await rename(tmp, this.path(digest));
      return { digest, size };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /**
   * Moves a verified ingest file into the store. No fsync (it cost more than the whole unpack of
   * a small image on a busy disk): every reader re-verifies what it reads (unpacking checks the
   * diff id, a registry checks the digest of a pushed blob), so a blob torn by a crash is caught.
   */
  async commitIngest(digest: string): Promise<void> {
    await rename(this.ingestPath(digest), this.path(digest));
  }

  async discardIngest(digest: string): Promise<void> {
    await rm(this.ingestPath(digest), { force: true });
  }

  async list(): Promise<string[]> {
    return (await readdir(this.blobsDir).catch(() => [] as string[])).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  async listIngest(): Promise<Array<{ name: string; mtimeMs: number; size: number }>> {
    const names = await readdir(this.ingestDir).catch(() => [] as string[]);
    const out = [];
    for (const name of names) {
      const st = await stat(path.join(this.ingestDir, name)).catch(() => undefined);
      if (st?.isFile()) out.push({ name, mtimeMs: st.mtimeMs, size: st.size });
    }
    return out;
  }

  async removeIngestFile(name: string): Promise<void> {
    await rm(path.join(this.ingestDir, path.basename(name)), { force: true });
  }

  async delete(digest: string): Promise<number> {
    const p = this.path(digest);
    const size = await stat(p).then((s) => s.size, () => 0);
    await rm(p, { force: true });
    return size;
  }
}
