// Tar-safe copies in and out of a container (`llmos cp`, Docker's /containers/{id}/archive), for
// running and stopped containers. The files belong to the image author and the container's
// processes, both untrusted, so: the container path resolves inside the root filesystem as in a
// chroot (resolveInRoot: absolute links and `..` stay below it) and its last component is never
// followed; extraction refuses absolute and `..` entries and writing through a symlink (node-tar's
// checks, kept on); and a running container is frozen for the copy, so that its processes cannot
// swap a checked directory for a symlink before the write (what Docker does since CVE-2018-15664).
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, lstatSync } from 'node:fs';
import { lstat, open, readdir, readlink, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import type { ContainerCopyApi, ContainerPathStat } from '../../contracts/containers.js';
import { FailedPrecondition, InvalidArgument, NotFound } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { RuncContainerControl } from './control.js';
import type { Entry } from './entries.js';
import { resolveInRoot } from './rootfs-files.js';

interface Located {
  /** The host path of the container path (its last component not followed). */
  host: string;
  /** The cleaned container path. */
  clean: string;
  /** The host directory the path resolves in: the rootfs or a bind/volume source. */
  root: string;
  /** The container path of `root`. */
  rootAt: string;
  readOnly: boolean;
}

const posix = path.posix;
/** In the container's directory while a copy holds it frozen. */
const freezeMark = 'cp-frozen';

async function writeSynced(file: string, text: string): Promise<void> {
  const fh = await open(file, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
const isUnder = (p: string, dir: string) => dir === '/' || p === dir || p.startsWith(dir + '/');

export class RuncContainerCopy extends RuncContainerControl implements ContainerCopyApi {
  /** Where a container path lives on the host: the deepest mount holding it, else the rootfs. */
  private async locate(e: Entry, p: string, follow = false): Promise<Located> {
    if (typeof p !== 'string' || !p.startsWith('/')) throw new InvalidArgument(`container path ${JSON.stringify(p)} must be absolute`);
    if (p.includes('\0')) throw new InvalidArgument('container path contains a NUL byte');
    if (!e.rec.rootfs) throw new FailedPrecondition(`container ${e.rec.name} has no root filesystem`);
    const clean = posix.normalize(p).replace(/(.)\/+$/, '$1');
    const spec = e.rec.spec;
    const mounts: Array<{ target: string; source?: string; readOnly: boolean; kind: string }> = [
      ...(spec.volumes ?? []).map((v) => ({ target: v.containerPath, source: v.hostPath, readOnly: v.readOnly, kind: 'bind' })),
      ...(spec.mounts ?? []).map((m) => ({ target: m.target, source: m.type === 'bind' ? m.source : undefined, readOnly: !!m.readOnly, kind: m.type })),
    ].map((m) => ({ ...m, target: posix.normalize(m.target).replace(/(.)\/+$/, '$1') }));
    const best = mounts.filter((m) => isUnder(clean, m.target) && m.target !== '/').sort((a, b) => b.target.length - a.target.length)[0];
    let root = e.rec.rootfs;
    let rootAt = '/';
    let readOnly = !!spec.readOnly;
    if (best) {
      let source = best.source;
      if (best.kind === 'volume') {
        const name = e.rec.volumes?.[best.target] ?? e.rec.volumes?.[best.target + '/'];
        const vols = this.d.volumes?.();
        if (name && vols) source = (await vols.inspect(name)).mountpoint;
      }
      if (!source) throw new FailedPrecondition(`${clean} is on a ${best.kind} mount of container ${e.rec.name}: cp reaches its root filesystem, bind mounts and named volumes only`);
      root = source;
      rootAt = best.target;
      readOnly = best.readOnly;
    }
    const rel = posix.relative(rootAt, clean);
    if (!rel) return { host: root, clean, root, rootAt, readOnly };
    if (follow) {
      // Extraction goes into what the path names once every link is followed (in the root), as dockerd's.
      const host = await resolveInRoot(root, rel);
      if (!host) throw new NotFound(`no such file or directory in container ${e.rec.name}: ${clean}`);
      return { host, clean, root, rootAt, readOnly };
    }
    const parent = await resolveInRoot(root, posix.dirname(rel));
    if (!parent || !(await lstat(parent)).isDirectory()) throw new NotFound(`no such file or directory in container ${e.rec.name}: ${clean}`);
    return { host: path.join(parent, posix.basename(rel)), clean, root, rootAt, readOnly };
  }

  private async statOf(e: Entry, loc: Located): Promise<ContainerPathStat> {
    const st = await lstat(loc.host).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new NotFound(`no such file or directory in container ${e.rec.name}: ${loc.clean}`);
      throw err;
    });
    let linkTarget = '';
    if (st.isSymbolicLink()) {
      // The target as the container sees it, resolved below its root (Docker's -L follows it).
      const resolved = await resolveInRoot(loc.root, posix.relative(loc.rootAt, loc.clean));
      const t = await readlink(loc.host);
      linkTarget = resolved ? posix.join(loc.rootAt, path.relative(loc.root, resolved).split(path.sep).join('/')) : posix.resolve(posix.dirname(loc.clean), t);
    }
    return { name: loc.clean === '/' ? '/' : posix.basename(loc.clean), size: st.size, mode: st.mode, mtime: st.mtime.toISOString(), linkTarget };
  }

  async statPath(idOrName: string, p: string): Promise<ContainerPathStat> {
    const e = this.entry(idOrName);
    return this.statOf(e, await this.locate(e, p));
  }

  /** Copies in progress that hold a container frozen: the first freezes it, the last thaws it. */
  private readonly freezes = new Map<string, { holders: number; ready: Promise<void> }>();

  /**
   * Runs fn with the container frozen when it runs (and is not paused already). The freeze is
   * recorded before it happens and the record removed after the thaw, so a daemon killed
   * in between leaves a mark the next boot thaws by (thawInterruptedCopies).
   */
  private async frozen<T>(e: Entry, fn: () => Promise<T>): Promise<T> {
    const id = e.rec.id;
    let f = this.freezes.get(id);
    if (!f && (e.rec.state !== 'running' || e.rec.paused)) return fn();
    if (!f) {
      const mark = this.d.store.file(id, freezeMark);
      const ready = (async () => {
        faultPoint('containers.cp.record');
        await writeSynced(mark, new Date(this.now()).toISOString());
        faultPoint('containers.cp.freeze');
        await this.d.runc.pause(id).catch(async (err) => {
          await rm(mark, { force: true });
          throw err;
        });
      })();
      f = { holders: 0, ready };
      this.freezes.set(id, f);
      ready.catch(() => this.freezes.delete(id));
    }
    f.holders++;
    try {
      await f.ready;
      return await fn();
    } finally {
      if (--f.holders === 0 && this.freezes.get(id) === f) {
        this.freezes.delete(id);
        if (await f.ready.then(() => true, () => false)) await this.thaw(e);
      }
    }
  }

  private async thaw(e: Entry): Promise<void> {
    faultPoint('containers.cp.thaw');
    try {
      await this.d.runc.resume(e.rec.id);
    } catch (err) {
      // The mark stays: the next boot tries again.
      this.d.log.warn({ err }, `thawing ${e.rec.name} after a copy`);
      return;
    }
    faultPoint('containers.cp.record-done');
    await rm(this.d.store.file(e.rec.id, freezeMark), { force: true });
  }

  /** Thaws what a copy froze when the daemon died before thawing it (before adoption: runc reports a frozen container as paused, not running). */
  protected async thawInterruptedCopies(): Promise<string[]> {
    const thawed: string[] = [];
    const ids = await readdir(this.d.store.root).catch(() => [] as string[]);
    for (const id of ids) {
      const mark = this.d.store.file(id, freezeMark);
      if (!existsSync(mark)) continue;
      const st = await this.d.runc.state(id).catch(() => undefined);
      if (st?.status === 'paused') {
        await this.d.runc.resume(id);
        thawed.push(id);
      }
      await rm(mark, { force: true });
    }
    if (thawed.length) this.d.log.warn(`boot: thawed ${thawed.length} container(s) a copy left frozen: ${thawed.join(', ')}`);
    return thawed;
  }

  override async adopt(): Promise<{ adopted: number; ended: number; leftovers: string[] }> {
    await this.d.runc.init();
    await this.thawInterruptedCopies();
    return super.adopt();
  }

  async getArchive(idOrName: string, p: string): Promise<{ stat: ContainerPathStat; tar: AsyncIterable<Uint8Array> }> {
    const e = this.entry(idOrName);
    const release = this.hold(e.rec.id);
    try {
      // The whole tar is built while frozen: the walk must not see a swapped link.
      return await this.frozen(e, async () => {
        const loc = await this.locate(e, p);
        const stat = await this.statOf(e, loc);
        const cwd = loc.clean === loc.rootAt ? loc.host : path.dirname(loc.host);
        const entry = loc.clean === loc.rootAt ? '.' : path.basename(loc.host);
        // Spooled to a file in the container's directory (disk, not memory, bounds a large copy),
        // unlinked once open: it goes away with the stream.
        const tmp = this.d.store.file(e.rec.id, `cp-${randomBytes(6).toString('hex')}.tar`);
        try {
          await pipeline(tar.create({ cwd, follow: false, portable: false }, [entry]) as unknown as NodeJS.ReadableStream, createWriteStream(tmp, { mode: 0o600 }));
          const fh = await open(tmp, 'r');
          return { stat, tar: fh.createReadStream() };
        } finally {
          await rm(tmp, { force: true });
        }
      });
    } finally {
      release();
    }
  }

  async putArchive(idOrName: string, p: string, src: AsyncIterable<Uint8Array>, opts: { copyUidGid?: boolean; noOverwriteDirNonDir?: boolean; rename?: { from: string; to: string } } = {}): Promise<void> {
    const e = this.entry(idOrName);
    const release = this.hold(e.rec.id);
    try {
      await this.frozen(e, async () => {
        const loc = await this.locate(e, p, true);
        const st = await this.statOf(e, loc);
        if ((st.mode & 0o170000) !== 0o040000) throw new InvalidArgument(`extraction point is not a directory: ${loc.clean} in container ${e.rec.name}`);
        if (loc.readOnly) throw new FailedPrecondition(`${loc.clean} is read-only in container ${e.rec.name}`);
        const refused: string[] = [];
        const rename = opts.rename;
        if (rename && !validName(rename.to)) throw new InvalidArgument(`cannot copy to ${JSON.stringify(rename.to)}: a file name without '/' is needed`);
        if (rename && !validName(rename.from)) throw new InvalidArgument(`invalid source name ${JSON.stringify(rename.from)}`);
        const x = tar.extract({
          cwd: loc.host,
          // No preservePaths: absolute names lose their '/', '..' entries are refused, and an
          // existing symlink in an entry's path is an error instead of being followed.
          ...(opts.copyUidGid ? { preserveOwner: true } : { preserveOwner: false, uid: 0, gid: 0 }),
          strict: true,
          // node-tar does not check a hard link's target path: link(2) would follow a symlink in
          // it (`escape -> /etc`, then a link to `escape/shadow` is the host's /etc/shadow).
          filter: (name: string, ent: unknown) => {
            const en = ent as { type?: string; path: string; linkpath?: string };
            if (rename) {
              en.path = rebase(en.path, rename);
              if (en.type === 'Link' && en.linkpath !== undefined) en.linkpath = rebase(en.linkpath, rename);
            }
            if (en.type === 'Link' && en.linkpath !== undefined && linksThrough(loc.host, en.linkpath)) {
              refused.push(`${name} (a hard link through a symbolic link: ${en.linkpath})`);
              return false;
            }
            if (opts.noOverwriteDirNonDir) {
              const st = statQuiet(path.join(loc.host, en.path));
              if (st && st.isDirectory() !== (en.type === 'Directory')) {
                refused.push(`${en.path} (would replace a ${st.isDirectory() ? 'directory with a non-directory' : 'non-directory with a directory'})`);
                return false;
              }
            }
            return true;
          },
        });
        try {
          await pipeline(Readable.from(src), x as unknown as NodeJS.WritableStream);
        } catch (err) {
          throw new InvalidArgument(`extracting the archive into ${loc.clean}: ${(err as Error).message}`, { cause: err });
        }
        if (refused.length) throw new InvalidArgument(`the archive was refused in part: ${refused.slice(0, 3).join(', ')}`);
      });
    } finally {
      release();
    }
  }
}

/** Whether a path below `cwd` (absolute or with `..`: refused too) crosses a symlink or leaves it. */
function linksThrough(cwd: string, rel: string): boolean {
  const parts = rel.split('/').filter((x) => x && x !== '.');
  if (rel.startsWith('/') || parts.includes('..')) return true;
  let p = cwd;
  for (const part of parts.slice(0, -1)) {
    p = path.join(p, part);
    try {
      if (lstatSync(p).isSymbolicLink()) return true;
    } catch {
      return false; // missing: link(2) fails on its own
    }
  }
  return false;
}

const validName = (n: string) => !!n && n !== '.' && n !== '..' && !n.includes('/') && !n.includes('\0');

/** The archive's top entry `from` (and what is below it) as `to`. */
function rebase(p: string, r: { from: string; to: string }): string {
  const q = p.replace(/^(\.\/)+/, '');
  return q === r.from || q === r.from + '/' || q.startsWith(r.from + '/') ? r.to + q.slice(r.from.length) : p;
}

function statQuiet(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}
