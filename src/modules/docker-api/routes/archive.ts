// `docker cp`: HEAD/GET/PUT /containers/{id}/archive on the runtime's tar-safe copy, with the
// path's stat in X-Docker-Container-Path-Stat (base64 JSON, mode in Go's os.FileMode bits).
import type { ContainerPathStat } from '../../../contracts/containers.js';
import { isNotFound } from '../../../kernel/errors.js';
import { qbool, type Call } from '../call.js';
import type { DockerDeps } from '../deps.js';
import { badParameter, DockerError, notImplemented, orNoSuch } from '../errors.js';
import type { Router } from '../router.js';
import { ID } from './containers.js';

// Go's os.FileMode type bits (the CLI tests IsDir() and the symlink bit on them).
const goDir = 2 ** 31;
const goSymlink = 2 ** 27;
const goDevice = 2 ** 26;
const goPipe = 2 ** 25;
const goSocket = 2 ** 24;
const goSetuid = 2 ** 23;
const goSetgid = 2 ** 22;
const goCharDevice = 2 ** 21;
const goSticky = 2 ** 20;

/** A Unix st_mode as Go's os.FileMode. */
export function goFileMode(mode: number): number {
  let m = mode & 0o777;
  const type = mode & 0o170000;
  if (type === 0o040000) m += goDir;
  else if (type === 0o120000) m += goSymlink;
  else if (type === 0o010000) m += goPipe;
  else if (type === 0o140000) m += goSocket;
  else if (type === 0o020000) m += goDevice + goCharDevice;
  else if (type === 0o060000) m += goDevice;
  if (mode & 0o4000) m += goSetuid;
  if (mode & 0o2000) m += goSetgid;
  if (mode & 0o1000) m += goSticky;
  return m;
}

export const statHeader = (s: ContainerPathStat): string =>
  Buffer.from(JSON.stringify({ name: s.name, size: s.size, mode: goFileMode(s.mode), mtime: s.mtime, linkTarget: s.linkTarget })).toString('base64');

export function archiveRoutes(r: Router, d: DockerDeps): void {
  const target = async (c: Call) => {
    const id = c.params.id!;
    const info = await orNoSuch('container', id, () => d.containers().inspect(id));
    const p = c.query.get('path');
    if (!p) throw badParameter('path is required');
    return { id: info.id, path: p };
  };
  // A missing path is Docker's 404 text (the CLI shows "No such container:path").
  const noPath = async <T>(t: { id: string; path: string }, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (isNotFound(e)) throw new DockerError(404, `Could not find the file ${t.path} in container ${t.id}`);
      throw e;
    }
  };
  const api = () => {
    const a = d.containers();
    if (!a.statPath || !a.getArchive || !a.putArchive) throw notImplemented('copying files (docker cp, /containers/{id}/archive)');
    return a as Required<Pick<typeof a, 'statPath' | 'getArchive' | 'putArchive'>>;
  };

  r.on('HEAD', `/containers/${ID}/archive`, async (c) => {
    const t = await target(c);
    const st = await noPath(t, () => api().statPath(t.id, t.path));
    c.empty(200, { 'x-docker-container-path-stat': statHeader(st) });
  });

  r.on('GET', `/containers/${ID}/archive`, async (c) => {
    const t = await target(c);
    const { stat, tar } = await noPath(t, () => api().getArchive(t.id, t.path));
    const out = c.stream(200, 'application/x-tar', { 'x-docker-container-path-stat': statHeader(stat) });
    try {
      for await (const chunk of tar) if (!out.write(chunk)) await new Promise((res) => out.once('drain', res));
    } finally {
      out.end();
    }
  });

  r.on('PUT', `/containers/${ID}/archive`, async (c) => {
    const t = await target(c);
    const opts = { noOverwriteDirNonDir: qbool(c, 'noOverwriteDirNonDir'), copyUidGid: qbool(c, 'copyUIDGID') };
    await noPath(t, () => api().putArchive(t.id, t.path, c.bodyStream(), opts));
    c.empty(200);
  });
}
