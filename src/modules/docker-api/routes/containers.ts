// Container life cycle on the containers contract: create (Docker's Config + HostConfig), list
// with filters, inspect, start, stop, restart, kill, remove, prune, rename/pause/update when offered.
import dgram from 'node:dgram';
import net from 'node:net';
import type { ContainerInfo, ContainerLimits } from '../../../contracts/containers.js';
import type { ImageRecord } from '../../../contracts/images.js';
import { isAlreadyExists, isNotFound } from '../../../kernel/errors.js';
import { jsonBody, qbool, qfilters, qint, type Call } from '../call.js';
import { toContainerSpec } from '../create-body.js';
import { specHas } from '../create-extra.js';
import type { DockerDeps } from '../deps.js';
import { badParameter, DockerError, notImplemented, orNoSuch } from '../errors.js';
import type { Router } from '../router.js';
import { containerInspect, containerSummary, dockerState } from '../shapes.js';

export const ID = '(?<id>[^/]+)';

/** A free host port, as Docker picks one for `-p CONTAINERPORT` and -P. */
export function freePort(protocol: 'tcp' | 'udp'): Promise<number> {
  return new Promise((resolve, reject) => {
    if (protocol === 'udp') {
      const s = dgram.createSocket('udp4');
      s.once('error', reject);
      s.bind(0, () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
      return;
    }
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '0.0.0.0', () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => resolve(a.port));
    });
  });
}

const knownFilters = new Set(['status', 'label', 'name', 'id', 'ancestor', 'exited']);

export function filterContainers(list: ContainerInfo[], f: Record<string, string[]>): ContainerInfo[] {
  for (const k of Object.keys(f)) if (!knownFilters.has(k)) throw badParameter(`filter ${k} is not supported by LLMOS (status, label, name, id, ancestor, exited)`);
  const has = (k: string) => !!f[k]?.length;
  return list.filter(
    (c) =>
      (!has('status') || f.status!.includes(dockerState(c))) &&
      (!has('id') || f.id!.some((x) => c.id.startsWith(x))) &&
      (!has('name') || f.name!.some((x) => c.name.includes(x.replace(/^\//, '')))) &&
      (!has('ancestor') || f.ancestor!.some((x) => c.image === x || c.imageId === x || c.imageId.replace(/^sha256:/, '').startsWith(x))) &&
      (!has('exited') || (dockerState(c) === 'exited' && f.exited!.includes(String(c.exitCode ?? 0)))) &&
      (!has('label') ||
        f.label!.every((l) => {
          const i = l.indexOf('=');
          return i < 0 ? l in (c.labels ?? {}) : c.labels?.[l.slice(0, i)] === l.slice(i + 1);
        })),
  );
}

const num = (v: unknown, k: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badParameter(`${k} must be a number`);
  return v;
};

/** Docker's update body (the CLI sends every field, zero when unset) as the runtime's limits. */
export function updateLimits(b: Record<string, unknown>): ContainerLimits {
  const l: ContainerLimits = {};
  for (const [k, v] of Object.entries(b)) {
    if (v === 0 || v === '' || v === null || v === false || (Array.isArray(v) && !v.length)) continue;
    if (k === 'Memory') l.memory = num(v, k);
    else if (k === 'MemorySwap') l.memorySwap = num(v, k);
    else if (k === 'NanoCpus' || k === 'NanoCPUs') l.cpus = num(v, k) / 1e9;
    else if (k === 'CpuQuota') l.cpus = num(v, k) / num(b.CpuPeriod || 100_000, 'CpuPeriod');
    else if (k === 'CpuPeriod') num(v, k);
    else if (k === 'CpuShares') l.cpuShares = num(v, k);
    else if (k === 'PidsLimit') l.pidsLimit = num(v, k);
    else if (k === 'RestartPolicy') {
      const rp = v as { Name?: string; MaximumRetryCount?: number };
      if (!rp.Name) continue;
      if (rp.Name === 'no' || rp.Name === 'always') l.restart = { name: rp.Name };
      else if (rp.Name === 'unless-stopped') l.restart = { name: 'always' };
      else if (rp.Name === 'on-failure') l.restart = { name: 'on-failure', ...(rp.MaximumRetryCount ? { maxRetries: rp.MaximumRetryCount } : {}) };
      else throw badParameter(`invalid restart policy ${rp.Name}`);
    } else if (typeof v === 'object' && v && !Object.values(v).some((x) => x !== 0 && x !== '' && x !== null)) continue;
    else throw badParameter(`${k} is not supported by LLMOS for docker update (memory, memory-swap, cpus, cpu-shares, pids-limit, restart)`);
  }
  return l;
}

export function containerRoutes(r: Router, d: DockerDeps): void {
  const ctrs = () => d.containers();
  const inspect = (id: string) => orNoSuch('container', id, () => ctrs().inspect(id));
  const imageOf = async (c: ContainerInfo): Promise<ImageRecord | undefined> => d.images().get(c.imageId).catch(() => undefined);
  const notRunning = (c: ContainerInfo) => new DockerError(409, `Container ${c.id} is not running`);

  r.on('POST', '/containers/create', async (c) => {
    const spec = await toContainerSpec(await jsonBody(c), c.query.get('name'), { freePort });
    // --platform: the CLI sends it on create (and pulls with it on a 404); the runtime checks the image against it.
    const platform = c.query.get('platform');
    if (platform) {
      if (!specHas('platform')) throw badParameter('platform is not supported by LLMOS on create (pull the image for it first)');
      spec.platform = platform;
    }
    try {
      const info = await ctrs().create(spec);
      c.json(201, { Id: info.id, Warnings: [] });
    } catch (e) {
      if (isAlreadyExists(e) && spec.name && /name/.test(e.message)) throw new DockerError(409, `Conflict. The container name "/${spec.name}" is already in use. You have to remove (or rename) that container to be able to reuse that name.`);
      if (isNotFound(e) && !/container/.test(e.message)) throw new DockerError(404, `No such image: ${spec.image}`);
      throw e;
    }
  });

  r.on('GET', '/containers/json', async (c) => {
    const all = qbool(c, 'all') || (qint(c, 'limit') ?? 0) > 0;
    let list = filterContainers(await ctrs().list({ all }), qfilters(c));
    const limit = qint(c, 'limit');
    if (limit && limit > 0) list = list.slice(0, limit);
    const images = new Map<string, ImageRecord | undefined>();
    for (const x of list) if (!images.has(x.imageId)) images.set(x.imageId, await imageOf(x));
    c.json(200, list.map((x) => containerSummary(x, images.get(x.imageId))));
  });

  r.on('GET', `/containers/${ID}/json`, async (c) => {
    const info = await inspect(c.params.id!);
    c.json(200, containerInspect(info, await imageOf(info)));
  });

  r.on('POST', `/containers/${ID}/start`, async (c) => {
    const info = await inspect(c.params.id!);
    if (dockerState(info) === 'running') return c.empty(304);
    await ctrs().start(info.id);
    c.empty(204);
  });

  const stopTimeout = (c: Call) => {
    const t = qint(c, 't') ?? qint(c, 'timeout');
    if (t !== undefined && (t < -1 || t > 3600)) throw badParameter(`invalid timeout ${t}`);
    return t === undefined || t < 0 ? undefined : t;
  };

  r.on('POST', `/containers/${ID}/stop`, async (c) => {
    const info = await inspect(c.params.id!);
    if (dockerState(info) !== 'running' && dockerState(info) !== 'restarting') return c.empty(304);
    await ctrs().stop(info.id, { timeoutSeconds: stopTimeout(c) });
    c.empty(204);
  });

  r.on('POST', `/containers/${ID}/restart`, async (c) => {
    const info = await inspect(c.params.id!);
    const a = ctrs();
    const timeoutSeconds = stopTimeout(c);
    if (a.restart) await a.restart(info.id, { timeoutSeconds });
    else {
      if (dockerState(info) === 'running') await a.stop(info.id, { timeoutSeconds });
      await a.start(info.id);
    }
    c.empty(204);
  });

  r.on('POST', `/containers/${ID}/kill`, async (c) => {
    const info = await inspect(c.params.id!);
    if (dockerState(info) !== 'running') throw notRunning(info);
    await ctrs().kill(info.id, c.query.get('signal') || undefined);
    c.empty(204);
  });

  r.on('DELETE', `/containers/${ID}`, async (c) => {
    const info = await inspect(c.params.id!);
    if (qbool(c, 'link')) throw badParameter('links are not supported by LLMOS');
    const force = qbool(c, 'force');
    if (!force && dockerState(info) === 'running') throw new DockerError(409, `You cannot remove a running container ${info.id}. Stop the container before attempting removal or force remove`);
    // -v: the container's anonymous volumes (-v /path) go with it; named ones stay, as dockerd.
    const vols = qbool(c, 'v') ? d.volumes() : undefined;
    const anonymous = vols ? (await vols.list()).filter((v) => v.anonymous && v.usedBy?.includes(info.id)).map((v) => v.name) : [];
    await orNoSuch('container', c.params.id!, () => ctrs().remove(info.id, { force }));
    for (const name of anonymous)
      await vols!.remove(name).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
    c.empty(204);
  });

  r.on('POST', '/containers/prune', async (c) => {
    const f = qfilters(c);
    if (Object.keys(f).some((k) => k !== 'label')) throw badParameter('only the label filter is supported by LLMOS for prune');
    const gone: string[] = [];
    for (const x of filterContainers(await ctrs().list({ all: true }), f)) {
      if (dockerState(x) === 'running' || dockerState(x) === 'restarting') continue;
      await ctrs().remove(x.id).then(
        () => gone.push(x.id),
        (e: unknown) => {
          if (!isNotFound(e)) throw e;
        },
      );
    }
    c.json(200, { ContainersDeleted: gone, SpaceReclaimed: 0 });
  });

  r.on('POST', `/containers/${ID}/rename`, async (c) => {
    const info = await inspect(c.params.id!);
    const a = ctrs();
    if (!a.rename) throw notImplemented('POST /containers/{id}/rename');
    const name = c.query.get('name');
    if (!name) throw badParameter('name is required');
    await a.rename(info.id, name.replace(/^\//, ''));
    c.empty(204);
  });

  for (const op of ['pause', 'unpause'] as const) {
    r.on('POST', `/containers/${ID}/${op}`, async (c) => {
      const info = await inspect(c.params.id!);
      const fn = ctrs()[op];
      if (!fn) throw notImplemented(`POST /containers/{id}/${op}`);
      await fn.call(ctrs(), info.id);
      c.empty(204);
    });
  }

  r.on('POST', `/containers/${ID}/update`, async (c) => {
    const info = await inspect(c.params.id!);
    const a = ctrs();
    if (!a.update) throw notImplemented('POST /containers/{id}/update');
    await a.update(info.id, updateLimits((await jsonBody<Record<string, unknown>>(c)) ?? {}));
    c.json(200, { Warnings: [] });
  });
}
