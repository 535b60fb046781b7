// Image commands: pull (live per-layer progress like `docker pull`), images, rmi, image prune,
// load, import, push, login, logout.
import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import * as tar from 'tar';
import type { ImageRecord, PullProgress, PullStreamLine } from '../../contracts/images.js';
import { CliError } from '../client.js';
import type { CliContext } from '../context.js';
import { ago, bytes, table } from '../output.js';

/** Splits "reg:5000/team/app:1.2" into repository and tag for display. */
export function splitTag(t: string): { repo: string; tag: string } {
  const at = t.indexOf('@');
  if (at >= 0) return { repo: t.slice(0, at), tag: '<none>' };
  const i = t.lastIndexOf(':');
  return i > t.lastIndexOf('/') ? { repo: t.slice(0, i), tag: t.slice(i + 1) } : { repo: t, tag: 'latest' };
}

const short = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);

export function imageRows(images: ImageRecord[]) {
  const rows: Array<{ repo: string; tag: string; id: string; digest: string; size: number; created?: string }> = [];
  for (const i of images) {
    const names = i.repoTags.length ? i.repoTags : ['<none>@'];
    for (const n of names) rows.push({ ...splitTag(n), id: short(i.id), digest: i.digest, size: i.size, created: i.created });
  }
  return rows;
}

const label: Record<PullProgress['status'], string> = {
  waiting: 'Waiting',
  downloading: 'Downloading',
  verifying: 'Verifying',
  extracting: 'Extracting',
  done: 'Pull complete',
  exists: 'Already exists',
};

/** One layer's line: bar, bytes, speed and ETA while downloading. Pure: time is passed in. */
export function progressLine(p: PullProgress, startedMs: number | undefined, nowMs: number, width = 30): string {
  const head = `${short(p.layer)}: ${label[p.status]}`;
  if (p.status !== 'downloading' && p.status !== 'extracting') return head;
  const frac = p.total > 0 ? Math.min(1, p.current / p.total) : 0;
  const filled = Math.floor(frac * width);
  const bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}]`;
  const secs = startedMs !== undefined ? Math.max(0.001, (nowMs - startedMs) / 1000) : 0;
  const speed = secs > 0 ? p.current / secs : 0;
  const eta = speed > 0 ? Math.ceil((p.total - p.current) / speed) : undefined;
  return `${head.padEnd(32)} ${bar} ${bytes(p.current)}/${bytes(p.total)}${p.status === 'downloading' ? `  ${bytes(Math.round(speed))}/s  ETA ${eta === undefined ? '-' : `${eta}s`}` : ''}`;
}

export function imagesCommands(program: Command, ctx: CliContext): void {
  program
    .command('pull <ref>')
    .description('pull an image from a registry (progress per layer)')
    .option('--platform <os/arch[/variant]>', 'platform to pull from a multi-platform image (default linux/amd64)')
    .option('-q, --quiet', 'print only the image digest')
    .action(async (ref: string, o: { platform?: string; quiet?: boolean }) => {
      const res = await ctx.client().fetch('POST', '/v1/images/pull', { ref, platform: o.platform }, { headers: { accept: 'application/x-ndjson' } });
      const tty = process.stdout.isTTY && !ctx.json() && !o.quiet;
      const order: string[] = [];
      const state = new Map<string, { p: PullProgress; started?: number; finished?: number }>();
      let drawn = 0;
      let lastDraw = 0;
      const draw = (force: boolean) => {
        const now = Date.now();
        if (!force && now - lastDraw < 100) return;
        lastDraw = now;
        if (drawn) process.stdout.write(`\x1b[${drawn}A`);
        for (const id of order) {
          const s = state.get(id)!;
          process.stdout.write(`\x1b[2K${progressLine(s.p, s.started, s.finished ?? now)}\n`);
        }
        drawn = order.length;
      };
      let result: ImageRecord | undefined;
      let failure: string | undefined;
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const text = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (!text) continue;
          const l = JSON.parse(text) as PullStreamLine;
          if (l.type === 'done') result = l.image;
          else if (l.type === 'error') failure = l.error;
          else {
            const p = l.progress;
            if (!state.has(p.layer)) order.push(p.layer);
            const prev = state.get(p.layer);
            const statusChanged = prev?.p.status !== p.status;
            // Freeze the clock once all bytes are in, so the speed shown stays the real one.
            const finished = prev?.finished ?? (p.status === 'downloading' && p.current >= p.total ? Date.now() : undefined);
            state.set(p.layer, { p, started: prev?.started ?? (p.status === 'downloading' ? Date.now() : undefined), finished });
            if (tty) draw(statusChanged);
            else if (statusChanged && !ctx.json() && !o.quiet) process.stdout.write(`${short(p.layer)}: ${label[p.status]}\n`);
          }
        }
      }
      if (tty) draw(true);
      if (failure || !result) throw new CliError(failure ?? 'pull ended without a result');
      const img = result;
      if (o.quiet) process.stdout.write(img.digest + '\n');
      else ctx.out(img, () => `Digest: ${img.digest}\nStatus: downloaded ${img.repoTags.find((t) => t.endsWith(splitTag(ref).tag)) ?? ref}`);
    });

  const list = async () => {
    const { images } = await ctx.client().request<{ images: ImageRecord[] }>('GET', '/v1/images');
    ctx.out(images, () =>
      table(imageRows(images), [
        { header: 'REPOSITORY', get: (r) => r.repo },
        { header: 'TAG', get: (r) => r.tag },
        { header: 'IMAGE ID', get: (r) => r.id },
        { header: 'DIGEST', get: (r) => short(r.digest) },
        { header: 'SIZE', get: (r) => bytes(r.size), align: 'right' },
        { header: 'CREATED', get: (r) => ago(r.created) },
      ]),
    );
  };
  program.command('images').description('list local images').action(list);

  const rmi = async (refs: string[], o: { force?: boolean }) => {
    const out: Array<{ untagged: string[]; deleted?: string }> = [];
    for (const ref of refs) out.push(await ctx.client().request<{ untagged: string[]; deleted?: string }>('DELETE', `/v1/images?${new URLSearchParams({ ref, ...(o.force ? { force: 'true' } : {}) })}`));
    ctx.out(out, () => out.flatMap((r) => [...r.untagged.map((t) => `Untagged: ${t}`), ...(r.deleted ? [`Deleted: ${r.deleted}`] : [])]).join('\n'));
  };
  program.command('rmi <refs...>').description('remove images (or untag one of several names)').option('-f, --force', 'remove even if a container root filesystem uses it').action(rmi);

  const prune = async () => {
    const r = await ctx.client().request<{ images: string[]; blobs: number; snapshots: number; bytes: number }>('POST', '/v1/images/prune');
    ctx.out(r, () => `Deleted ${r.images.length} untagged images, ${r.blobs} blobs, ${r.snapshots} layer snapshots\nTotal reclaimed space: ${bytes(r.bytes)}`);
  };
  const image = program.command('image').description('manage images (ls, inspect, rm, prune)');
  image.command('ls').description('list local images').action(list);
  image.command('rm <refs...>').description('remove images').option('-f, --force', 'remove even if in use').action(rmi);
  image.command('prune').description('remove untagged images no container uses, and unreferenced blobs and layers').action(prune);
  image
    .command('inspect <ref>')
    .description('show one image (config, layers, platform)')
    .action(async (ref: string) => {
      const img = await ctx.client().request<ImageRecord>('GET', `/v1/images/inspect?${new URLSearchParams({ ref })}`);
      ctx.out(img, () => JSON.stringify(img, null, 2));
    });

  program
    .command('load')
    .description('load images from a docker save archive, an OCI archive, or an OCI layout directory')
    .requiredOption('-i, --input <path>', 'archive file or OCI layout directory')
    .action(async (o: { input: string }) => {
      const st = await stat(o.input).catch(() => {
        throw new CliError(`cannot read ${o.input}`);
      });
      const body = st.isDirectory() ? (tar.c({ cwd: o.input, portable: true }, ['.']) as unknown as Readable) : createReadStream(o.input);
      const r = await ctx.client().request<{ images: ImageRecord[] }>('POST', '/v1/images/load', Readable.toWeb(Readable.from(body)) as unknown as AsyncIterable<Uint8Array>, { headers: { 'content-type': 'application/x-tar' } });
      ctx.out(r.images, () => r.images.map((i) => `Loaded image: ${i.repoTags.join(', ') || i.id}`).join('\n'));
    });

  program
    .command('import <rootfs-tar> <name>')
    .description('create a one-layer image NAME:TAG from a root filesystem tarball (plain, gzip or zstd)')
    .option('--cmd <json>', 'default command as a JSON array, e.g. ["/bin/sh"]')
    .action(async (file: string, name: string, o: { cmd?: string }) => {
      await stat(file).catch(() => {
        throw new CliError(`cannot read ${file}`);
      });
      const q = new URLSearchParams({ ref: name, ...(o.cmd ? { cmd: o.cmd } : {}) });
      const img = await ctx.client().request<ImageRecord>('POST', `/v1/images/import?${q}`, Readable.toWeb(createReadStream(file)) as unknown as AsyncIterable<Uint8Array>, { headers: { 'content-type': 'application/x-tar' } });
      ctx.out(img, () => `${img.id}\nImported ${img.repoTags.join(', ')}`);
    });

  program
    .command('tag <source> <target>')
    .description('give a local image another name (e.g. to push it elsewhere)')
    .action(async (source: string, target: string) => {
      const img = await ctx.client().request<ImageRecord>('POST', '/v1/images/tag', { source, target });
      ctx.out(img, () => `Tagged ${img.id.slice(7, 19)} as ${target}`);
    });

  program
    .command('push <ref>')
    .description('push a local image to its registry')
    .action(async (ref: string) => {
      const r = await ctx.client().request<{ ref: string; digest: string; blobs: Array<{ digest: string; status: string }> }>('POST', '/v1/images/push', { ref });
      ctx.out(r, () => [...r.blobs.map((b) => `${short(b.digest)}: ${b.status === 'exists' ? 'Layer already exists' : 'Pushed'}`), `${r.ref}: digest: ${r.digest}`].join('\n'));
    });

  program
    .command('login <registry>')
    .description('check and store credentials for a registry (0600 in the data dir)')
    .requiredOption('-u, --username <user>', 'user name')
    .option('-p, --password <password>', 'password (prefer --password-stdin)')
    .option('--password-stdin', 'read the password from stdin')
    .action(async (registry: string, o: { username: string; password?: string; passwordStdin?: boolean }) => {
      let password = o.password;
      if (o.passwordStdin) {
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
      }
      if (!password) throw new CliError('a password is needed: --password-stdin or -p');
      const r = await ctx.client().request('POST', '/v1/images/login', { registry, username: o.username, password });
      ctx.out(r, () => 'Login Succeeded');
    });
  program
    .command('logout <registry>')
    .description('forget stored credentials for a registry')
    .action(async (registry: string) => {
      const r = await ctx.client().request('POST', '/v1/images/logout', { registry });
      ctx.out(r, () => `Removed login credentials for ${registry}`);
    });
}
