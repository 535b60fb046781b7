// The Docker socket's pause, unpause, rename, update, top and cp (the archive endpoints) for a
// container on another node: each is the node's own LLMOS API route, through its tunnel. `routed`
// (remote.ts) runs the local operation when this machine has the container.
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import type { NodeClient, NodeResponse } from '../../contracts/cluster.js';
import type { ContainerInfo, ContainerPathStat } from '../../contracts/containers.js';
import { fromHttp } from '../../kernel/http-errors.js';
import type { ContainersExtra } from './deps.js';

export type Routed = <R>(ref: string, here: () => Promise<R>, there: (n: NodeClient) => Promise<R>) => Promise<R>;

const enc = encodeURIComponent;

/** The node's answer, or its error as the LLMOS error it was. */
async function ok(n: NodeClient, r: NodeResponse): Promise<NodeResponse> {
  if (r.status >= 200 && r.status < 300) return r;
  throw fromHttp(r.status, await text(r.body), `node ${n.name}: `);
}

export function remoteControlOps(view: ContainersExtra, routed: Routed, nodeOf: (ref: string) => Promise<NodeClient | undefined>): Partial<ContainersExtra> {
  const ops: Partial<ContainersExtra> = {};
  const path = (ref: string, rest: string) => `/v1/containers/${enc(ref)}/${rest}`;
  for (const op of ['pause', 'unpause'] as const) {
    const here = view[op]?.bind(view);
    if (here) ops[op] = (ref) => routed(ref, () => here(ref), (n) => n.json<ContainerInfo>('POST', path(ref, op)));
  }
  const rename = view.rename?.bind(view);
  if (rename) ops.rename = (ref, name) => routed(ref, () => rename(ref, name), (n) => n.json<ContainerInfo>('POST', path(ref, `rename?name=${enc(name)}`)));
  const update = view.update?.bind(view);
  if (update) ops.update = (ref, limits) => routed(ref, () => update(ref, limits), (n) => n.json<ContainerInfo>('POST', path(ref, 'update'), limits));
  ops.nodeTop = async (ref) => {
    const n = await nodeOf(ref);
    return n && n.json<{ titles: string[]; processes: string[][] }>('GET', path(ref, 'top'));
  };

  const [statPath, getArchive, putArchive] = [view.statPath?.bind(view), view.getArchive?.bind(view), view.putArchive?.bind(view)];
  if (!statPath || !getArchive || !putArchive) return ops;
  const stat = (n: NodeClient, ref: string, p: string) => n.json<ContainerPathStat>('GET', path(ref, `archive/stat?path=${enc(p)}`));
  ops.statPath = (ref, p) => routed(ref, () => statPath(ref, p), (n) => stat(n, ref, p));
  ops.getArchive = (ref, p) => routed(ref, () => getArchive(ref, p), async (n) => {
    const r = await ok(n, await n.request({ method: 'GET', path: path(ref, `archive?path=${enc(p)}`) }));
    const header = r.headers['x-llmos-path-stat'];
    const st = typeof header === 'string' ? (JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as ContainerPathStat) : await stat(n, ref, p);
    return { stat: st, tar: r.body as AsyncIterable<Uint8Array> };
  });
  ops.putArchive = (ref, p, tar, o = {}) => routed(ref, () => putArchive(ref, p, tar, o), async (n) => {
    const q = new URLSearchParams({ path: p, ...(o.copyUidGid ? { copyUidGid: 'true' } : {}), ...(o.noOverwriteDirNonDir ? { noOverwriteDirNonDir: 'true' } : {}), ...(o.rename ? { from: o.rename.from, to: o.rename.to } : {}) });
    const r = await ok(n, await n.request({ method: 'PUT', path: path(ref, `archive?${q}`), headers: { 'content-type': 'application/x-tar' }, body: Readable.from(tar) }));
    await text(r.body); // the node's empty answer, read to its end
  });
  return ops;
}
