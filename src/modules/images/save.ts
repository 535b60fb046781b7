// `save` (docker save): local images as a docker-archive tar, the format `docker load` and
// `podman load` read: manifest.json, repositories, the config as <id>.json and each layer
// uncompressed as <diff id>/layer.tar. The tree is built in a private temp dir on the store's
// file system (layers decompressed from the store's blobs) and streamed out by node-tar; the
// temp dir goes when the stream ends or is dropped.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { InvalidArgument, NotFound } from '../../kernel/errors.js';
import { createDecompressor, withSniffedCompression } from './decompress.js';
import type { ImageService } from './image-service.js';
import type { Manifest } from './media-types.js';
import { parseRef, tagName } from './reference.js';
import type { StoredImage } from './stored-image.js';

const hex = (digest: string) => digest.replace(/^sha256:/, '');

/** "host:5000/a/b:tag" -> ["host:5000/a/b", "tag"]. */
export function splitTag(t: string): [string, string] {
  const at = t.lastIndexOf(':');
  if (at < 0 || t.slice(at).includes('/')) return [t, 'latest'];
  return [t.slice(0, at), t.slice(at + 1)];
}

/** The names a saved image carries: the one asked for, or all of them for an id. */
function namesFor(img: StoredImage, ref: string): string[] {
  try {
    const r = parseRef(ref);
    if (r.tag && img.repoTags.includes(tagName(r))) return [tagName(r)];
  } catch {
    /* an id */
  }
  return img.repoTags.filter((t) => !t.includes('@'));
}

export async function saveArchive(svc: ImageService, refs: readonly string[]): Promise<Readable> {
  if (!refs.length) throw new InvalidArgument('save needs at least one image');
  const images = await Promise.all(refs.map(async (r) => ({ img: await svc.getStored(r), ref: r })));
  const dir = await mkdtemp(path.join(svc.content.scratchDir, 'save-'));
  // A transfer: garbage collection does not remove the blobs while they are read.
  await svc.track(async () => {
    try {
      const entries = new Map<string, { Config: string; RepoTags: string[]; Layers: string[] }>();
      const repositories: Record<string, Record<string, string>> = {};
      const written = new Set<string>();
      for (const { img, ref } of images) {
        const manifest = JSON.parse((await svc.content.read(img.digest).catch(() => {
          throw new NotFound(`the manifest of ${ref} is not in the local store; pull or load the image again`);
        })).toString()) as Manifest;
        const config = `${hex(img.id)}.json`;
        if (!written.has(config)) {
          await writeFile(path.join(dir, config), await svc.content.read(manifest.config.digest));
          written.add(config);
        }
        const layers: string[] = [];
        for (const [i, blob] of manifest.layers.entries()) {
          const diffId = img.layers[i];
          if (!diffId) throw new InvalidArgument(`image ${ref}: the manifest has more layers than its config`);
          const rel = `${hex(diffId)}/layer.tar`;
          layers.push(rel);
          if (written.has(rel)) continue;
          await mkdir(path.join(dir, hex(diffId)));
          const { kind, stream } = await withSniffedCompression(svc.content.open(blob.digest) as AsyncIterable<Buffer>);
          await pipeline(stream, createDecompressor(kind), createWriteStream(path.join(dir, rel)));
          await writeFile(path.join(dir, hex(diffId), 'VERSION'), '1.0');
          written.add(rel);
        }
        const e = entries.get(img.id) ?? { Config: config, RepoTags: [], Layers: layers };
        for (const n of namesFor(img, ref)) {
          if (!e.RepoTags.includes(n)) e.RepoTags.push(n);
          const [repo, tag] = splitTag(n);
          (repositories[repo] ??= {})[tag] = hex(img.id);
        }
        entries.set(img.id, e);
      }
      await writeFile(path.join(dir, 'manifest.json'), JSON.stringify([...entries.values()]));
      await writeFile(path.join(dir, 'repositories'), JSON.stringify(repositories));
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  });
  const files = ['manifest.json', 'repositories'];
  async function* out(): AsyncGenerator<Buffer> {
    try {
      const pack = tar.create({ cwd: dir, portable: true, noMtime: false }, [...files, ...(await readdir(dir)).filter((f) => !files.includes(f)).sort()]);
      for await (const c of pack as AsyncIterable<Buffer>) yield c;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return Readable.from(out());
}
