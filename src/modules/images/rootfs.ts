// Container root filesystems: an overlayfs mount of the image's layer snapshots under a private
// upper/work pair, or (no overlayfs, no whiteout devices) a confined copy (flatten.ts) that never
// follows a link. Any image the images service accepts (at most 127 layers) fits one mount: the
// lowerdirs are short per-container links (l/0, l/1, ...), as Docker's overlay2 does, instead of
// snapshot paths that overflowed the one-page mount options at about 58 layers.
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { InvalidArgument, Internal, errorMessage } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { applyLayer } from './flatten.js';
import type { SnapshotStore } from './snapshots.js';

const run = promisify(execFile);

export interface RootfsRecord {
  containerId: string;
  imageId: string;
  /** Snapshot chain ids, base first. */
  chain: string[];
  mode: 'overlay' | 'copy';
  path: string;
}

const idRe = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Mount points under dir, from /proc/self/mountinfo (field 5; octal escapes for spaces). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const p = mp.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (p === dir || p.startsWith(dir + '/')) out.push(p);
  }
  return out;
}

export class RootfsManager {
  constructor(
    readonly root: string,
    private readonly snapshots: SnapshotStore,
    private readonly opts: { overlay: boolean; log?: { warn(o: object, m: string): void } },
  ) {}

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  private dir(id: string): string {
    if (!idRe.test(id)) throw new InvalidArgument(`container id "${id}" is not valid for a root filesystem`);
    return path.join(this.root, id);
  }

  async get(id: string): Promise<RootfsRecord | undefined> {
    try {
      return JSON.parse(await readFile(path.join(this.dir(id), 'rootfs.json'), 'utf8')) as RootfsRecord;
    } catch {
      return undefined;
    }
  }

  async list(): Promise<RootfsRecord[]> {
    const out: RootfsRecord[] = [];
    for (const n of await readdir(this.root).catch(() => [] as string[])) {
      if (!idRe.test(n)) continue;
      const r = await this.get(n);
      if (r) out.push(r);
    }
    return out;
  }

  /** Builds (or returns the existing) root filesystem of a container. */
  async create(id: string, imageId: string, chain: string[], overlayWhiteouts: boolean): Promise<RootfsRecord> {
    const dir = this.dir(id);
    const existing = await this.get(id);
    if (existing) {
      if (existing.imageId !== imageId) throw new InvalidArgument(`container ${id} already has a root filesystem from image ${existing.imageId}`);
      if (existing.mode === 'copy' || (await mountsUnder(existing.path)).includes(existing.path)) return existing;
      // Mounted once, gone now (host reboot): mount again over the same upper dir, keeping the
      // container's writes.
      try {
        await this.mountOverlay(dir, existing.chain);
        return existing;
      } catch (e) {
        this.opts.log?.warn({ err: errorMessage(e), container: id }, 'remounting the root filesystem failed; building it again');
      }
      await this.remove(id);
    }
    await rm(dir, { recursive: true, force: true });
    const merged = path.join(dir, 'merged');
    await mkdir(merged, { recursive: true });
    const rec: RootfsRecord = { containerId: id, imageId, chain, mode: 'overlay', path: merged };
    try {
      let mounted = false;
      if (this.opts.overlay && overlayWhiteouts && chain.length > 0) {
        mounted = await this.mountOverlay(dir, chain).then(
          () => true,
          (e) => {
            this.opts.log?.warn({ err: errorMessage(e), container: id }, 'overlay mount failed; copying layers (confined) instead');
            return false;
          },
        );
      }
      if (!mounted) {
        rec.mode = 'copy';
        await this.copyLayers(merged, chain, process.getuid?.() === 0);
      }
      await writeFile(path.join(dir, 'rootfs.json'), JSON.stringify(rec));
      return rec;
    } catch (e) {
      await this.remove(id).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      throw e instanceof InvalidArgument ? e : new Internal(`building the root filesystem of ${id}: ${errorMessage(e)}`, { cause: e });
    }
  }

  private async mountOverlay(dir: string, chain: string[]): Promise<void> {
    const upper = path.join(dir, 'upper');
    const work = path.join(dir, 'work');
    if (!(await stat(upper).catch(() => undefined))) {
      // The union's root takes the upper dir's attributes: give it the image's (top layer's root).
      const top = await stat(this.snapshots.fs(chain[chain.length - 1]!));
      await mkdir(upper);
      if (process.getuid?.() === 0) await chown(upper, top.uid, top.gid);
      await chmod(upper, top.mode & 0o7777);
    }
    await mkdir(work, { recursive: true });
    // One short link per layer keeps the option string far below the page-size limit for every
    // layer count we accept; the kernel resolves them once, at mount time.
    const links = path.join(dir, 'l');
    await rm(links, { recursive: true, force: true });
    await mkdir(links);
    for (let i = 0; i < chain.length; i++) await symlink(this.snapshots.fs(chain[i]!), path.join(links, String(i)));
    // Top layer first; paths relative to dir (the mount runs there).
    const lower = chain.map((_, i) => `l/${i}`).reverse().join(':');
    const options = `lowerdir=${lower},upperdir=upper,workdir=work`;
    if (options.length > 4000) throw new InvalidArgument(`too many layers for one overlay mount (${chain.length})`);
    faultPoint('images.rootfs.mount');
    await run('mount', ['-t', 'overlay', 'overlay', '-o', options, path.join(dir, 'merged')], { cwd: dir });
  }

  /** Applies the layers base first onto an empty merged dir, confined to it (see flatten.ts). */
  private async copyLayers(merged: string, chain: string[], chown: boolean): Promise<void> {
    for (const c of chain) {
      const meta = await this.snapshots.meta(c);
      await applyLayer(merged, this.snapshots.fs(c), meta.whiteouts, chown);
    }
  }

  /** Unmounts and deletes; idempotent. */
  async remove(id: string): Promise<void> {
    const dir = this.dir(id);
    for (const mp of (await mountsUnder(dir)).sort((a, b) => b.length - a.length)) {
      try {
        await run('umount', [mp]);
      } catch {
        await run('umount', ['-l', mp]).catch(() => undefined);
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
}
