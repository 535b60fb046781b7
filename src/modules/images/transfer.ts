// One layer's bytes on their way in: the resumable registry download into ingest/, the local
// replay of a stored blob, progress reporting, and which failures a retry can cure.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { PullProgress } from '../../contracts/images.js';
import { LlmosError, Unavailable, errorMessage } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { DigestMismatch, type BlobStore } from './blob-store.js';
import type { Descriptor } from './media-types.js';
import type { ImageRef } from './reference.js';
import type { RegistryClient } from './registry-client.js';

type Log = { info(o: object, m: string): void; warn(o: object, m: string): void };

export const isRetryable = (e: unknown): boolean => {
  if (e instanceof LlmosError) return e instanceof Unavailable;
  const code = (e as { code?: string }).code ?? '';
  return !code.startsWith('Z_') && !code.startsWith('TAR_');
};

/** A layer gave up because the one below it failed (the root cause is reported instead). */
export class LowerFailed extends LlmosError {}

export function wrapLayerError(desc: Descriptor, e: unknown): unknown {
  if (e instanceof LlmosError) return e;
  const code = (e as { code?: string }).code;
  if (code?.startsWith('Z_')) return new DigestMismatch(`layer ${desc.digest} is corrupt: gzip stream: ${errorMessage(e)}`, { cause: e });
  return new Unavailable(`layer ${desc.digest}: ${errorMessage(e)}`, { cause: e });
}

export /** Progress for one layer, throttled to ~10 updates a second except for status changes. */
function progressReporter(desc: Descriptor, onProgress?: (p: PullProgress) => void) {
  let last = 0;
  let lastStatus = '';
  return (status: PullProgress['status'], current: number, force = false) => {
    if (!onProgress) return;
    const now = Date.now();
    if (!force && status === lastStatus && now - last < 100) return;
    last = now;
    lastStatus = status;
    onProgress({ layer: desc.digest, status, current, total: desc.size });
  };
}

export async function* readLocal(blobs: BlobStore, desc: Descriptor, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const c of createReadStream(blobs.path(desc.digest), { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    n += c.length;
    onBytes(n);
    yield c;
  }
}

/**
 * Streams a blob from the registry, appending to its ingest file. A partial file from an
 * interrupted transfer is replayed from disk and the rest fetched with a Range request. The
 * digest and size are checked at the end; the caller commits the ingest file when all is well.
 */
export async function* download(blobs: BlobStore, client: RegistryClient, log: Log | undefined, ref: ImageRef, desc: Descriptor, onBytes: (n: number) => void, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const file = blobs.ingestPath(desc.digest);
  let offset = await blobs.partialSize(desc.digest);
  if (offset >= desc.size) {
    await blobs.discardIngest(desc.digest);
    offset = 0;
  }
  const { body, partial } = await client.openBlob(ref, desc.digest, offset, signal);
  const resume = offset > 0 && partial;
  const h = createHash('sha256');
  let n = 0;
  faultPoint('images.pull.blob');
  const out: WriteStream = createWriteStream(file, { flags: resume ? 'a' : 'w' });
  const closeOut = async () => {
    if (!out.closed) {
      out.end();
      await once(out, 'close').catch(() => undefined);
    }
  };
  try {
    if (resume) {
      log?.info({ layer: desc.digest, offset }, 'resuming download');
      for await (const c of createReadStream(file, { start: 0, end: offset - 1, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
        h.update(c);
        n += c.length;
        yield c;
      }
    }
    for await (const c of body as AsyncIterable<Buffer>) {
      h.update(c);
      n += c.length;
      if (n > desc.size) throw new DigestMismatch(`blob ${desc.digest} is larger than the ${desc.size} bytes its descriptor says`);
      if (!out.write(c)) await once(out, 'drain');
      onBytes(n);
      yield c;
    }
    await closeOut();
    if (n < desc.size) throw new Unavailable(`blob ${desc.digest}: connection ended after ${n} of ${desc.size} bytes`);
    const got = `sha256:${h.digest('hex')}`;
    if (got !== desc.digest) throw new DigestMismatch(`blob ${desc.digest} from ${ref.registry} is corrupt: its content hashes to ${got}`);
  } finally {
    body.destroy();
    await closeOut();
  }
}
