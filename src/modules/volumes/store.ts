// Named volumes on disk: <dir>/<name>/_data (the data, mounted into containers) and
// <dir>/<name>/volume.json (labels, who uses it). One lock for every change, so a create racing
// a remove or two acquires of a new volume see one consistent answer.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Mutex } from 'async-mutex';
import type { VolumeCreate, VolumeInfo, VolumesApi } from '../../contracts/volumes.js';
import { AlreadyExists, FailedPrecondition, InvalidArgument, NotFound } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';

const nameRe = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

interface Meta {
  name: string;
  createdAt: string;
  labels: Record<string, string>;
  anonymous: boolean;
  usedBy: string[];
}

export class VolumeStore implements VolumesApi {
  private readonly lock = new Mutex();
  private readonly metas = new Map<string, Meta>();

  constructor(private readonly dir: string, private readonly now: () => number = Date.now) {}

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.dir)) {
      if (!nameRe.test(name)) continue;
      const meta = await readFile(path.join(this.dir, name, 'volume.json'), 'utf8').then((t) => JSON.parse(t) as Meta, () => undefined);
      // A directory without its record is a create cut short: finished as an empty volume.
      this.metas.set(name, meta ?? { name, createdAt: new Date(this.now()).toISOString(), labels: {}, anonymous: false, usedBy: [] });
    }
  }

  private info(m: Meta): VolumeInfo {
    return { name: m.name, driver: 'local', mountpoint: path.join(this.dir, m.name, '_data'), createdAt: m.createdAt, labels: { ...m.labels }, anonymous: m.anonymous, usedBy: [...m.usedBy] };
  }

  private async save(m: Meta): Promise<void> {
    const file = path.join(this.dir, m.name, 'volume.json');
    await writeFile(file + '.tmp', JSON.stringify(m), { mode: 0o600 });
    await rename(file + '.tmp', file);
  }

  private get(name: string): Meta {
    const m = this.metas.get(name);
    if (!m) throw new NotFound(`no such volume: ${name}`);
    return m;
  }

  private async createLocked(req: VolumeCreate, anonymous: boolean): Promise<Meta> {
    const name = req.name ?? randomBytes(32).toString('hex');
    if (!nameRe.test(name)) throw new InvalidArgument(`invalid volume name ${JSON.stringify(name)}: use letters, digits, _ . - (starting with a letter or digit)`);
    const m: Meta = { name, createdAt: new Date(this.now()).toISOString(), labels: req.labels ?? {}, anonymous, usedBy: [] };
    faultPoint('volumes.create.dir');
    await mkdir(path.join(this.dir, name, '_data'), { recursive: true, mode: 0o755 });
    await this.save(m);
    this.metas.set(name, m);
    return m;
  }

  create(req: VolumeCreate, opts: { anonymous?: boolean } = {}): Promise<VolumeInfo> {
    return this.lock.runExclusive(async () => {
      // Docker answers an existing name with the volume itself.
      const existing = req.name !== undefined ? this.metas.get(req.name) : undefined;
      if (existing) {
        if (req.labels && JSON.stringify(req.labels) !== JSON.stringify(existing.labels)) throw new AlreadyExists(`volume ${req.name} already exists with other labels`);
        return this.info(existing);
      }
      return this.info(await this.createLocked(req, !!opts.anonymous));
    });
  }

  async list(): Promise<VolumeInfo[]> {
    return [...this.metas.values()].sort((a, b) => a.name.localeCompare(b.name)).map((m) => this.info(m));
  }

  async inspect(name: string): Promise<VolumeInfo> {
    return this.info(this.get(name));
  }

  private async removeLocked(m: Meta): Promise<void> {
    if (m.usedBy.length) throw new FailedPrecondition(`volume ${m.name} is in use by container${m.usedBy.length > 1 ? 's' : ''} ${m.usedBy.map((id) => id.slice(0, 12)).join(', ')}`);
    this.metas.delete(m.name);
    faultPoint('volumes.remove.dir');
    await rm(path.join(this.dir, m.name), { recursive: true, force: true });
  }

  remove(name: string): Promise<void> {
    return this.lock.runExclusive(() => this.removeLocked(this.get(name)));
  }

  prune(): Promise<string[]> {
    return this.lock.runExclusive(async () => {
      const out: string[] = [];
      for (const m of [...this.metas.values()]) {
        if (m.usedBy.length) continue;
        await this.removeLocked(m);
        out.push(m.name);
      }
      return out;
    });
  }

  acquire(name: string | undefined, containerId: string): Promise<{ volume: VolumeInfo; created: boolean }> {
    return this.lock.runExclusive(async () => {
      let m = name !== undefined ? this.metas.get(name) : undefined;
      const created = !m;
      m ??= await this.createLocked({ name }, name === undefined);
      if (!m.usedBy.includes(containerId)) {
        m.usedBy.push(containerId);
        await this.save(m);
      }
      return { volume: this.info(m), created };
    });
  }

  release(name: string, containerId: string, opts: { removeAnonymous?: boolean } = {}): Promise<void> {
    return this.lock.runExclusive(async () => {
      const m = this.metas.get(name);
      if (!m) return;
      if (m.usedBy.includes(containerId)) {
        m.usedBy = m.usedBy.filter((id) => id !== containerId);
        await this.save(m);
      }
      if (m.anonymous && opts.removeAnonymous && !m.usedBy.length) await this.removeLocked(m);
    });
  }
}
