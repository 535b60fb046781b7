// Volumes on the volumes module (kind llmos.volumes.v1) when this build has it; without it there
// are no named volumes: the list is empty, an inspect is a 404, and creating or removing is a 501.
import type { ModuleKind } from '../../../contracts/kinds.js';
import { isNotFound } from '../../../kernel/errors.js';
import { jsonBody, qbool, qfilters } from '../call.js';
import { badParameter, DockerError } from '../errors.js';
import type { Router } from '../router.js';

export const VOLUMES_KIND = 'llmos.volumes.v1' satisfies ModuleKind;

/** The part of the volumes contract the Docker API uses (declared here: narrowest interface). */
export interface VolumesPort {
  create(req: { name?: string; labels?: Record<string, string> }): Promise<VolumeLike>;
  list(): Promise<VolumeLike[]>;
  inspect(name: string): Promise<VolumeLike>;
  remove(name: string): Promise<void>;
  prune(): Promise<string[]>;
}
const orMissing = (e: unknown): undefined => {
  if (isNotFound(e)) return undefined;
  throw e;
};

interface VolumeLike {
  name: string;
  mountpoint: string;
  createdAt: string;
  labels: Record<string, string>;
  anonymous?: boolean;
  usedBy?: string[];
}

const shape = (v: VolumeLike) => ({ Name: v.name, Driver: 'local', Mountpoint: v.mountpoint, CreatedAt: v.createdAt, Labels: v.labels ?? {}, Scope: 'local', Options: null, UsageData: { RefCount: v.usedBy?.length ?? -1, Size: -1 } });

export function volumeRoutes(r: Router, volumes: () => VolumesPort | undefined): void {
  const need = (what: string) => {
    const v = volumes();
    if (!v) throw new DockerError(501, `${what} is not implemented by LLMOS: named volumes are not in this build`);
    return v;
  };
  r.on('GET', '/volumes', async (c) => {
    const v = volumes();
    if (!v) return c.json(200, { Volumes: [], Warnings: ['named volumes are not in this LLMOS build'] });
    const f = qfilters(c);
    let list = await v.list();
    if (f.name?.length) list = list.filter((x) => f.name!.some((n) => x.name.includes(n)));
    if (f.dangling?.includes('true')) list = list.filter((x) => !x.usedBy?.length);
    c.json(200, { Volumes: list.map(shape), Warnings: null });
  });
  r.on('GET', '/volumes/(?<name>[^/]+)', async (c) => {
    const v = volumes();
    const found = v ? await v.inspect(c.params.name!).catch(orMissing) : undefined;
    if (!found) throw new DockerError(404, `get ${c.params.name}: no such volume`);
    c.json(200, shape(found));
  });
  r.on('POST', '/volumes/create', async (c) => {
    const v = need('docker volume create');
    const b = (await jsonBody<{ Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> }>(c)) ?? {};
    if (b.Driver && b.Driver !== 'local') throw badParameter(`volume driver ${b.Driver} is not supported by LLMOS (local only)`);
    if (b.DriverOpts && Object.keys(b.DriverOpts).length) throw badParameter('volume driver options are not supported by LLMOS');
    c.json(201, shape(await v.create({ ...(b.Name ? { name: b.Name } : {}), ...(b.Labels && Object.keys(b.Labels).length ? { labels: b.Labels } : {}) })));
  });
  r.on('DELETE', '/volumes/(?<name>[^/]+)', async (c) => {
    const v = need('docker volume rm');
    qbool(c, 'force');
    const found = await v.inspect(c.params.name!).catch(orMissing);
    if (!found) throw new DockerError(404, `get ${c.params.name}: no such volume`);
    await v.remove(found.name);
    c.empty(204);
  });
  r.on('POST', '/volumes/prune', async (c) => {
    const v = need('docker volume prune');
    c.json(200, { VolumesDeleted: await v.prune(), SpaceReclaimed: 0 });
  });
}
