// Images: pull with Docker's progress stream, list, inspect, tag, remove, prune; push, save and
// load when the images module offers them (501 otherwise).
import type { Writable } from 'node:stream';
import type { PullProgress } from '../../../contracts/images.js';
import { errorMessage } from '../../../kernel/errors.js';
import { qbool, qfilters, type Call } from '../call.js';
import type { DockerDeps } from '../deps.js';
import { badParameter, notImplemented, orNoSuch } from '../errors.js';
import type { Router } from '../router.js';
import { imageInspect, imageSummary, repoOf } from '../shapes.js';

const progressStatus: Record<PullProgress['status'], string> = {
  waiting: 'Waiting',
  downloading: 'Downloading',
  verifying: 'Verifying Checksum',
  extracting: 'Extracting',
  done: 'Pull complete',
  exists: 'Already exists',
};
const shortId = (layer: string) => layer.replace(/^sha256:/, '').slice(0, 12);

/** Docker's "name" + "tag" query pair as one reference (a digest stays as it is). */
export function joinRef(name: string, tag: string | null): string {
  if (!tag) return name;
  if (tag.startsWith('sha256:')) return `${name}@${tag}`;
  return `${name}:${tag}`;
}

function streamError(out: Writable, e: unknown): void {
  const message = errorMessage(e);
  out.write(JSON.stringify({ errorDetail: { message }, error: message }) + '\n');
}

export function imageRoutes(r: Router, d: DockerDeps): void {
  r.on('GET', '/images/json', async (c) => {
    const f = qfilters(c);
    let list = await d.images().list();
    if (f.reference?.length) list = list.filter((i) => i.repoTags.some((t) => f.reference!.some((p) => t === p || repoOf(t) === p || globMatch(p, t) || globMatch(p, repoOf(t)))));
    if (f.dangling?.includes('true')) list = list.filter((i) => !i.repoTags.length);
    c.json(200, list.map((i) => imageSummary(i)));
  });

  r.on('POST', '/images/create', async (c) => {
    if (c.query.get('fromSrc')) throw notImplemented('image import (POST /images/create?fromSrc)');
    const name = c.query.get('fromImage');
    if (!name) throw badParameter('fromImage is required');
    const ref = joinRef(name, c.query.get('tag') || (name.includes('@') || /:[^/]+$/.test(name) ? null : 'latest'));
    const platform = c.query.get('platform') || undefined;
    const out = c.stream(200, 'application/json');
    const line = (o: unknown) => !out.writableEnded && out.write(JSON.stringify(o) + '\n');
    const tag = ref.includes('@') ? ref.split('@')[1] : ref.split(':').pop();
    line({ status: `Pulling from ${repoOf(ref.split('@')[0]!)}`, id: tag });
    const ac = new AbortController();
    c.signal.addEventListener('abort', () => ac.abort(), { once: true });
    try {
      const img = await d.images().pull(ref, {
        platform,
        signal: ac.signal,
        onProgress: (p) => line({ status: progressStatus[p.status], ...(p.status === 'downloading' || p.status === 'extracting' ? { progressDetail: { current: p.current, total: p.total } } : { progressDetail: {} }), id: shortId(p.layer) }),
      });
      line({ status: `Digest: ${img.digest}` });
      line({ status: `Status: Downloaded newer image for ${ref}` });
    } catch (e) {
      streamError(out, e);
    }
    out.end();
  });

  r.on('GET', '/images/(?<name>.+)/json', async (c) => {
    const img = await orNoSuch('image', c.params.name!, () => d.images().get(c.params.name!));
    c.json(200, imageInspect(img));
  });

  r.on('POST', '/images/(?<name>.+)/tag', async (c) => {
    const images = d.images();
    if (!images.tag) throw notImplemented('POST /images/{name}/tag');
    const repo = c.query.get('repo');
    if (!repo) throw badParameter('repo is required');
    await orNoSuch('image', c.params.name!, () => images.get(c.params.name!));
    await images.tag(c.params.name!, joinRef(repo, c.query.get('tag') || 'latest'));
    c.empty(201);
  });

  r.on('DELETE', '/images/(?<name>.+)', async (c) => {
    const images = d.images();
    if (!images.remove) throw notImplemented('DELETE /images/{name}');
    const res = await orNoSuch('image', c.params.name!, () => images.remove!(c.params.name!, { force: qbool(c, 'force') }));
    c.json(200, [...res.untagged.map((u) => ({ Untagged: u })), ...(res.deleted ? [{ Deleted: res.deleted }] : [])]);
  });

  r.on('POST', '/images/prune', async (c) => {
    const images = d.images();
    if (!images.prune) throw notImplemented('POST /images/prune');
    if (Object.keys(qfilters(c)).some((k) => k !== 'dangling')) throw badParameter('only the dangling filter is supported by LLMOS');
    const res = await images.prune();
    c.json(200, { ImagesDeleted: res.images.map((id) => ({ Deleted: id })), SpaceReclaimed: res.bytes });
  });

  r.on('POST', '/images/(?<name>.+)/push', async (c) => {
    const images = d.images();
    if (!images.push) throw notImplemented('POST /images/{name}/push');
    const ref = joinRef(c.params.name!, c.query.get('tag'));
    const img = await orNoSuch('image', ref, () => images.get(ref));
    const out = c.stream(200, 'application/json');
    out.write(JSON.stringify({ status: `The push refers to repository [${repoOf(ref)}]` }) + '\n');
    try {
      const res = await images.push!(ref, (b) => out.write(JSON.stringify({ status: b.status === 'exists' ? 'Layer already exists' : 'Pushed', progressDetail: {}, id: shortId(b.digest) }) + '\n'));
      out.write(JSON.stringify({ status: `${ref.split(':').pop()}: digest: ${res.digest} size: ${img.size}` }) + '\n');
      out.write(JSON.stringify({ aux: { Tag: ref.split(':').pop(), Digest: res.digest, Size: img.size } }) + '\n');
    } catch (e) {
      streamError(out, e);
    }
    out.end();
  });

  const save = async (c: Call, names: string[]) => {
    const images = d.images();
    if (!images.save) throw notImplemented('GET /images/get (docker save)');
    for (const n of names) await orNoSuch('image', n, () => images.get(n));
    const tar = await images.save(names);
    tar.pipe(c.stream(200, 'application/x-tar'));
  };
  r.on('GET', '/images/get', (c) => save(c, c.query.getAll('names')));
  r.on('GET', '/images/(?<name>.+)/get', (c) => save(c, [c.params.name!]));

  r.on('POST', '/images/load', async (c) => {
    const images = d.images();
    if (!images.load) throw notImplemented('POST /images/load (docker load)');
    const loaded = await images.load(c.bodyStream());
    const out = c.stream(200, 'application/json');
    for (const i of loaded) out.write(JSON.stringify({ stream: `Loaded image: ${i.repoTags[0] ?? i.id}\n` }) + '\n');
    out.end();
  });
}

/** Docker's reference filter takes shell-style globs ("busy*", "*:1"). */
function globMatch(pattern: string, s: string): boolean {
  if (!/[*?]/.test(pattern)) return false;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.')}$`);
  return re.test(s);
}
