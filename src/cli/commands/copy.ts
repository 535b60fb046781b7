// `llmos cp` (both directions, `-` for a tar on stdin/stdout, -a, -L) and `llmos save`, as
// Docker's. The daemon resolves container paths tar-safely; here the host side follows Docker's
// rules for where the copy lands (into an existing directory, or as a new name).
import { createWriteStream } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import * as tar from 'tar';
import type { ContainerPathStat } from '../../contracts/containers.js';
import { CliError } from '../client.js';
import type { CliContext } from '../context.js';

interface Loc {
  container?: string;
  path: string;
}

/** Docker's rule: NAME:PATH is a container path unless the argument starts with / or . (a local path with a colon). */
export function parseLoc(arg: string): Loc {
  if (arg === '-' || arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const m = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*):(.*)$/.exec(arg);
  if (!m) return { path: arg };
  return { container: m[1], path: m[2] || '/' };
}

const isDirMode = (mode: number) => (mode & 0o170000) === 0o040000;
const missingPath = (e: unknown) => e instanceof CliError && /no such file or directory in container/.test(e.message);
const q = (o: Record<string, string>) => new URLSearchParams(o).toString();

export function copyCommands(program: Command, ctx: CliContext): void {
  const enc = encodeURIComponent;
  const statOf = (c: string, p: string) => ctx.client().request<ContainerPathStat>('GET', `/v1/containers/${enc(c)}/archive/stat?${q({ path: p })}`);

  async function fromContainer(src: Loc & { container: string }, dst: string, o: { archive?: boolean; followLink?: boolean }): Promise<void> {
    let from = src.path.startsWith('/') ? src.path : `/${src.path}`;
    const contents = /\/\.$/.test(from); // DIR/. copies what is in DIR
    if (o.followLink) {
      const st = await statOf(src.container, from);
      if (st.linkTarget) from = st.linkTarget;
    }
    const res = await ctx.client().fetch('GET', `/v1/containers/${enc(src.container)}/archive?${q({ path: from })}`);
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    if (dst === '-') return void (await pipeline(body, process.stdout));
    const st = JSON.parse(Buffer.from(res.headers.get('x-llmos-path-stat') ?? '', 'base64').toString() || '{}') as ContainerPathStat;
    const base = path.posix.basename(path.posix.normalize(from)) || '.';
    const local = await stat(dst).catch(() => undefined);
    let cwd = dst;
    let rename: ((p: string) => string) | undefined;
    if (contents && local?.isDirectory()) rename = (p) => p.replace(new RegExp(`^${escapeRe(base)}(/|$)`), './');
    else if (!local || !local.isDirectory()) {
      if (local && isDirMode(st.mode)) throw new CliError(`cannot copy a directory to a file: ${dst}`);
      if (dst.endsWith('/')) throw new CliError(`no such directory: ${dst}`);
      cwd = path.dirname(dst);
      if (!(await stat(cwd).then((s) => s.isDirectory(), () => false))) throw new CliError(`no such directory: ${cwd}`);
      const to = path.basename(dst);
      rename = (p) => p.replace(new RegExp(`^${escapeRe(base)}(/|$)`), `${to}$1`);
    }
    await pipeline(
      body,
      tar.x({
        cwd,
        strict: true,
        preserveOwner: !!o.archive,
        filter: (_p: string, e: unknown) => {
          const en = e as { path: string; type?: string; linkpath?: string };
          if (rename) {
            en.path = rename(en.path);
            if (en.type === 'Link' && en.linkpath) en.linkpath = rename(en.linkpath);
          }
          return true;
        },
      }) as unknown as NodeJS.WritableStream,
    );
  }

  async function toContainer(src: string, dst: Loc & { container: string }, o: { archive?: boolean; followLink?: boolean }): Promise<void> {
    const to = dst.path.startsWith('/') ? dst.path : `/${dst.path}`;
    const put = (dir: string, body: AsyncIterable<Uint8Array>, rename?: { from: string; to: string }) =>
      ctx.client().request('PUT', `/v1/containers/${enc(dst.container)}/archive?${q({ path: dir, ...(o.archive ? { copyUidGid: 'true' } : {}), ...(rename ? { from: rename.from, to: rename.to } : {}) })}`, body, { headers: { 'content-type': 'application/x-tar' } });
    if (src === '-') return void (await put(to, process.stdin));
    const local = await (o.followLink ? stat(src) : lstat(src)).catch(() => {
      throw new CliError(`no such file or directory: ${src}`);
    });
    const target = await statOf(dst.container, to).catch((e: unknown) => {
      if (missingPath(e)) return undefined;
      throw e;
    });
    const abs = path.resolve(src);
    const contents = /\/\.$/.test(src) && local.isDirectory();
    const pack = (cwd: string, entry: string) => Readable.from(tar.c({ cwd, follow: !!o.followLink, portable: !o.archive }, [entry]) as unknown as AsyncIterable<Uint8Array>);
    if (target && isDirMode(target.mode)) return void (await put(to, contents ? pack(abs, '.') : pack(path.dirname(abs), path.basename(abs))));
    if (target && local.isDirectory()) throw new CliError(`cannot copy a directory to a file: ${dst.container}:${to}`);
    if (!target && to.endsWith('/')) throw new CliError(`no such directory in container ${dst.container}: ${to}`);
    const name = path.posix.basename(to);
    await put(path.posix.dirname(to), pack(path.dirname(abs), path.basename(abs)), { from: path.basename(abs), to: name });
  }

  program
    .command('cp <src> <dst>')
    .description('copy files between a container and the host: CONTAINER:PATH HOSTPATH|-, or HOSTPATH|- CONTAINER:PATH (- is a tar on stdin/stdout)')
    .option('-a, --archive', 'keep owners (uid/gid) of the files')
    .option('-L, --follow-link', 'follow a symbolic link in SRC')
    .action(async (srcArg: string, dstArg: string, o: { archive?: boolean; followLink?: boolean }) => {
      const src = parseLoc(srcArg);
      const dst = parseLoc(dstArg);
      if (src.container && dst.container) throw new CliError('copying between containers is not supported: copy to the host first');
      if (!src.container && !dst.container) throw new CliError('one of SRC and DST must be CONTAINER:PATH');
      if (src.container) await fromContainer(src as Loc & { container: string }, dst.path, o);
      else await toContainer(src.path, dst as Loc & { container: string }, o);
    });

  program
    .command('save <images...>')
    .description('save images as a docker-archive tar (what `docker load` and `llmos load` read)')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (images: string[], o: { output?: string }) => {
      if (!o.output && process.stdout.isTTY) throw new CliError('refusing to write a tar to a terminal: use -o FILE or a redirect');
      const res = await ctx.client().fetch('GET', `/v1/images/save?${new URLSearchParams(images.map((r): [string, string] => ['ref', r]))}`);
      const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
      await pipeline(body, o.output ? createWriteStream(o.output) : process.stdout);
    });
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
